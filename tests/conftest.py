"""Shared fixtures: the emulator on 127.0.0.1, a throwaway HOME, and the real shells.

Everything runs for real: the `awsenv` program as a subprocess, bash/zsh/fish evaluating its
output, boto3 and the AWS CLI talking HTTP to the emulator through AWS_ENDPOINT_URL_*.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator.server import Emulator

BIN = Path(sys.executable).parent
AWSENV = str(BIN / "awsenv")
SHELLS = ("bash", "zsh", "fish")
# The real AWS CLI v2, which `./dev test` installs from ../shared/wheels (see aws_v2 in ./dev).
AWS_V2 = Path(__file__).resolve().parent.parent / ".venv-aws2" / "bin" / "aws"

# Each shell started bare (no rc files), and for bash and zsh in the strict mode users run.
SHELL_ARGV = {
    "bash": ["bash", "--norc", "--noprofile", "-c"],
    "zsh": ["zsh", "--no-rcs", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}
STRICT = {"bash": "set -euo pipefail\n", "zsh": "set -euo pipefail\n", "fish": ""}
LOAD = {
    "bash": 'eval "$(awsenv init bash)"\n',
    "zsh": 'eval "$(awsenv init zsh)"\n',
    "fish": "awsenv init fish | source\n",
}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_server: Emulator) -> Emulator:
    emulator_server.reset()
    return emulator_server


@pytest.fixture(scope="session")
def aws_v2() -> str:
    """The AWS CLI v2 executable; a test needing it fails (never skips) when it is missing."""
    if not os.access(AWS_V2, os.X_OK):
        pytest.fail(
            f"the AWS CLI v2 is not installed at {AWS_V2}: ./dev test installs it from "
            "../shared/wheels/awscli-2.*.whl",
            pytrace=False,
        )
    return str(AWS_V2)


@dataclass
class Home:
    """A throwaway HOME with the guide's example config, wired to the emulator."""

    path: Path
    env: dict[str, str]
    emulator: Emulator

    @property
    def config(self) -> Path:
        return self.path / ".aws" / "config"

    @property
    def sso_cache(self) -> Path:
        return self.path / ".aws" / "sso" / "cache"

    @property
    def cli_cache(self) -> Path:
        return self.path / ".aws" / "cli" / "cache"

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self.env, **(extra or {})}

    def awsenv(
        self, *args: str, env: Mapping[str, str] | None = None, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        """Run the real `awsenv` program."""
        return subprocess.run(
            [AWSENV, *args],
            env=self.environ(env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            **kw,  # type: ignore[call-overload]
        )

    def shell(
        self,
        shell: str,
        script: str,
        env: Mapping[str, str] | None = None,
        *,
        strict: bool = True,
        **kw: object,
    ) -> subprocess.CompletedProcess[str]:
        """Run `script` in a real shell with the integration loaded."""
        code = (STRICT[shell] if strict else "") + LOAD[shell] + script
        return subprocess.run(
            [*SHELL_ARGV[shell], code],
            env=self.environ(env),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=90,
            start_new_session=True,  # no controlling terminal, as in CI
            **kw,  # type: ignore[call-overload]
        )

    def tokens(self) -> list[dict[str, object]]:
        if not self.sso_cache.is_dir():
            return []
        found = [json.loads(p.read_text()) for p in sorted(self.sso_cache.glob("*.json"))]
        return [t for t in found if "accessToken" in t]


def base_env(home: Path, emulator: Emulator) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "BROWSER": f"{sys.executable} -m awsenv.emulator.browser %s",
        "AWSENV_AUTO_LOGIN": "always",
        **emulator.env(),
    }


@pytest.fixture
def home(tmp_path: Path, emulator: Emulator) -> Home:
    path = tmp_path / "home"
    (path / ".aws").mkdir(parents=True, mode=0o700)
    (path / ".aws" / "config").write_text(EXAMPLE_CONFIG)
    # Keeps fish from parsing every man page in the background on its first start here.
    (path / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True)
    return Home(path, base_env(path, emulator), emulator)


@pytest.fixture(autouse=True)
def _no_outside_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process code (boto3 in tests) must not see the developer's own AWS setup."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AWSENV_")):
            monkeypatch.delenv(name)
