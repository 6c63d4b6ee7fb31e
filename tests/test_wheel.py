"""The package as users install it: a wheel built from the tree (not the editable install the
tests otherwise run), installed into a fresh virtualenv, loaded by each real shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from awsenv import __version__
from conftest import SHELLS, Home

REPO = Path(__file__).resolve().parents[1]
# What a checkout holds besides the sources: never part of a build.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a virtualenv holding only the wheel built from this tree."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    # A copy: the build writes egg-info and build/ next to the sources it reads.
    shutil.copytree(REPO, source, symlinks=True, ignore=_NOT_SOURCES)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", root / "dist", source], check=True)
    [wheel] = (root / "dist").glob("awsenv_shell-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    subprocess.run(
        [*pip, "--python", venv / "bin" / "python", "install", "--no-deps", wheel], check=True
    )
    # The dependencies (typer, boto3, ...) come from the test environment, appended after the
    # venv's own site-packages; its .pth files, the editable awsenv's among them, are not run.
    [site] = (venv / "lib").glob("python3*/site-packages")
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_wheel_is_named_and_carries_the_shell_sources(installed: Path) -> None:
    found = subprocess.run(
        [
            installed / "python",
            "-c",
            "import awsenv, importlib.metadata as m, pathlib; "
            "p = pathlib.Path(awsenv.__file__).parent; print(p); "
            "print(m.version('awsenv-shell')); "
            "print(*sorted(f.relative_to(p).as_posix() for d in ('shell', 'completion') "
            "for f in (p / d).iterdir()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    package, version, data = found.stdout.splitlines()
    assert Path(package).is_relative_to(installed.parent), "imported the tree, not the wheel"
    assert version == __version__
    assert data.split() == [
        *(f"completion/awsenv.{shell}" for shell in ("bash", "fish", "zsh")),
        *(f"shell/awsenv.{shell}" for shell in ("bash", "fish", "zsh")),
        *(f"shell/complete.{shell}" for shell in ("bash", "fish", "zsh")),
    ]
    assert not (Path(package) / "shell").is_symlink()


@pytest.mark.parametrize("shell", SHELLS)
def test_init_from_the_wheel_works_in_every_shell(installed: Path, home: Home, shell: str) -> None:
    env = {"PATH": f"{installed}{os.pathsep}/usr/local/bin:/usr/bin:/bin"}
    listed = {
        "bash": "complete -p awsenv\n",
        "zsh": "(( $+functions[_awsenv] )) && echo completion loaded\n",
        # fish loads it from fish_complete_path at the first completion.
        "fish": "complete -C 'awsenv us' | string match -q 'use*' && echo completion loaded\n",
    }[shell]
    script = (
        "echo $__awsenv_exe\n"
        + listed
        + "awsenv use Company-1-ReadOnly\necho $AWS_PROFILE\nawsenv --version\n"
    )
    result = home.shell(shell, script, env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(installed / "awsenv")
    assert lines[1] in ("complete -F _awsenv awsenv", "completion loaded")
    assert lines[2:] == ["Company-1-ReadOnly", __version__]
