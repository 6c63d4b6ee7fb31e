"""Hostile or unlucky command lines: a closed stdout, a region that is no region."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

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


BAD_REGIONS = ["$(id)", "us-east-1\n", "us-east-1\nexport X=1", "x" * 100_000, "eu-westt-1", ""]


@pytest.mark.parametrize("region", BAD_REGIONS)
def test_use_refuses_a_region_that_is_none(home: Home, region: str) -> None:
    assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    for argv in (
        ["use", "Company-1-ReadOnly", "--region", region, "--shell", "bash"],  # typer-free path
        ["use", "Company-1-ReadOnly", f"--region={region}", "--profile-only", "--shell", "zsh"],
        ["exec", "--region", region, "Company-1-ReadOnly", "--", "true"],
        ["console", "Company-1-ReadOnly", "--region", region, "--url-only"],
    ):
        result = home.awsenv(*argv)
        assert result.returncode == 2, (argv, result.stderr[:300])
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr[:300]
        assert len(result.stderr) < 200
        assert "is not an AWS region" in result.stderr or "--region" in result.stderr


def test_a_region_in_the_partitions_pattern_is_taken(home: Home) -> None:
    # Newer than botocore's list, but shaped as AWS names regions.
    result = home.awsenv("use", "Company-1-ReadOnly", "--region", "eu-south-9", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert "export AWS_REGION='eu-south-9';" in result.stdout


def test_a_dotawsenv_region_follows_the_same_rule(home: Home, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".awsenv").write_text("Company-1-ReadOnly\nregion = eu-westt-1\n")
    result = home.awsenv("allow", str(repo))
    assert result.returncode == 3
    assert "'eu-westt-1' is not an AWS region; did you mean eu-west-1" in result.stderr


def test_checking_a_region_loads_no_sdk(home: Home) -> None:
    assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    result = home.awsenv(
        "use",
        "Company-1-ReadOnly",
        "--region",
        "eu-west-1",
        "--shell",
        "bash",
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "awsenv.regions" in result.stderr
    assert not re.search(r"\| +(boto3|botocore|typer)$", result.stderr, re.MULTILINE)
