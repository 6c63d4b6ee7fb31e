"""Hostile or unlucky command lines: a closed stdout, a region that is no region."""

from __future__ import annotations

import subprocess

import pytest

from conftest import AWSENV, SHELL_ARGV, Home


def closed_stdout(home: Home, shell: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run awsenv from `shell` with its stdout closed (`>&-`)."""
    words = " ".join(f"'{a}'" for a in (AWSENV, *args))
    return subprocess.run(
        [*SHELL_ARGV[shell], f"{words} >&-"],
        env=home.environ(),
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [("use", "Default"), ("list",), ("unset",), ("logout", "--all"), ("version",), ("--help",)],
)
def test_a_closed_stdout_is_one_line_and_exit_1(home: Home, args: tuple[str, ...]) -> None:
    result = closed_stdout(home, "bash", *args)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "awsenv: stdout is closed; awsenv writes its results there\n"


def test_a_closed_stdout_in_zsh_and_fish(home: Home) -> None:
    for shell in ("zsh", "fish"):
        result = closed_stdout(home, shell, "use", "Default")
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
