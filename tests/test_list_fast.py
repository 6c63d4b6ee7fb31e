"""`awsenv list` runs without typer or boto3 (its speed on 2,000 profiles is bench/list.py's),
and prints what the typer command prints."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import AWSENV, Home


def imported(stderr: str) -> set[str]:
    """Top-level package names from PYTHONPROFILEIMPORTTIME's report."""
    found = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)", stderr, re.MULTILINE)
    return {name.split(".")[0] for name in found}


@pytest.mark.parametrize("args", [[], ["--json"]])
def test_list_imports_neither_typer_nor_boto3(home: Home, args: list[str]) -> None:
    result = home.awsenv("list", *args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert "awsenv" in modules
    assert not modules & {"boto3", "botocore", "typer", "click", "configupdater"}


def test_list_shows_every_profile_with_its_session_state(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    table = home.awsenv("list").stdout.splitlines()
    assert table[0].split() == ["PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SESSION"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["Company-1-ReadOnly"][:5] == [
        "Company-1-ReadOnly", "sso", "222233334444", "ReadOnly", "ap-southeast-2",
    ]  # fmt: skip
    assert rows["Company-1-ReadOnly"][5] == "valid"
    assert rows["Company-2-ReadOnly"][5] == "none"
    listed = json.loads(home.awsenv("list", "--json").stdout)
    assert [r["name"] for r in listed] == [line.split()[0] for line in table[1:]]


def test_list_into_a_closed_pipe_is_quiet(home: Home) -> None:
    result = subprocess.run(
        f'"{AWSENV}" list | head -1',
        shell=True,
        env=home.environ(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.startswith("PROFILE")
    assert result.stderr == ""


def test_list_with_an_unknown_option_gets_the_usage_error(home: Home) -> None:
    result = home.awsenv("list", "--bogus")
    assert result.returncode == 2
    assert "No such option: --bogus" in result.stderr
