"""The common `use` (valid cached credentials) starts no boto3 and no typer."""

from __future__ import annotations

import re

import pexpect
import pytest

from conftest import AWSENV, Home


def imported(stderr: str) -> set[str]:
    """Top-level package names from PYTHONPROFILEIMPORTTIME's report."""
    found = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)", stderr, re.MULTILINE)
    return {name.split(".")[0] for name in found}


@pytest.mark.parametrize("verb", [["use", "Company-1-ReadOnly"], ["unset"]])
def test_cached_use_and_unset_import_neither_boto3_nor_typer(home: Home, verb: list[str]) -> None:
    assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    result = home.awsenv(*verb, "--shell", "zsh", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & {"boto3", "botocore", "typer", "click", "rich", "configupdater"}


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
