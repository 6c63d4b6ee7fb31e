"""What runs all the time starts no boto3, no typer, nor anything else heavy: the common `use`
(valid cached credentials), `unset`, the cd hook's `_dir` and the prompt segment."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest

from conftest import AWSENV, Home

# The SDK, the CLI stack, and dataclasses, whose import of inspect alone cost every run 9 ms.
HEAVY = {"boto3", "botocore", "typer", "click", "rich", "configupdater", "dataclasses", "inspect"}


def imported(stderr: str) -> set[str]:
    """Top-level package names from PYTHONPROFILEIMPORTTIME's report."""
    found = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)", stderr, re.MULTILINE)
    return {name.split(".")[0] for name in found}


@pytest.mark.parametrize("verb", [["use", "Company-1-ReadOnly"], ["unset"]])
def test_cached_use_and_unset_import_nothing_heavy(home: Home, verb: list[str]) -> None:
    assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    result = home.awsenv(*verb, "--shell", "zsh", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & HEAVY


def test_entering_a_pinned_directory_imports_nothing_heavy(home: Home, tmp_path: Path) -> None:
    assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    pinned = tmp_path / "repo" / ".awsenv"
    pinned.parent.mkdir()
    pinned.write_text("Company-1-ReadOnly\n")
    pinned.chmod(0o644)
    assert home.awsenv("allow", str(pinned.parent)).returncode == 0
    result = home.awsenv(
        "_dir", str(pinned), env={"AWSENV_SHELL": "zsh", "PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert "export AWS_PROFILE='Company-1-ReadOnly';" in result.stdout
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & HEAVY


def test_the_prompt_segment_imports_nothing_heavy(home: Home) -> None:
    result = home.awsenv(
        "prompt", env={"AWSENV_PROFILE": "Company-1-ReadOnly", "PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("aws:Company-1-ReadOnly")
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & HEAVY


def test_a_cache_miss_does_reach_boto3(home: Home) -> None:
    result = home.awsenv(
        "use", "Company-1-ReadOnly", "--shell", "bash", env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert "boto3" in imported(result.stderr)


def test_use_prints_code_for_the_shell_asked_for(home: Home) -> None:
    result = home.awsenv("use", "Company-1-ReadOnly", "--shell", "fish")
    assert result.returncode == 0
    assert "set -gx AWS_PROFILE 'Company-1-ReadOnly';" in result.stdout


def test_use_on_a_terminal_says_how_to_load_the_integration(home: Home) -> None:
    child = pexpect.spawn(
        AWSENV,
        ["use", "Company-1-ReadOnly", "--shell", "bash"],
        env=home.environ({"SHELL": "/bin/zsh"}),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "export AWS_PROFILE='Company-1-ReadOnly';" in child.before
    assert 'load it with: eval "$(awsenv init ' in child.before


@pytest.mark.parametrize(
    "args", [["init", "zsh"], ["init", "bash", "--prompt", "left", "--save"], ["init", "fish"]]
)
def test_init_imports_nothing_heavy(home: Home, args: list[str]) -> None:
    """What every new shell with the plain `eval "$(awsenv init SHELL)"` line runs."""
    result = home.awsenv(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & HEAVY
