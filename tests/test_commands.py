"""current, list, whoami, logout variants, shell detection and role-cache reuse."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import AWSENV, Home


def test_list_json_shows_kinds_and_session_state(home: Home) -> None:
    with home.config.open("a") as f:
        f.write("\n[profile keys]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n")
    assert home.awsenv("login", "Company-2-ReadOnly").returncode == 0
    rows = {r["name"]: r for r in json.loads(home.awsenv("list", "--json").stdout)}
    assert rows["Company-2-Administrator"]["state"] == "valid"
    assert rows["Company-2-Administrator"]["session"] == "company-2-sso"
    assert 8 * 3600 - 120 < rows["Company-2-Administrator"]["expires_in"] <= 8 * 3600
    assert rows["Company-1-ReadOnly"]["state"] == "none"
    assert rows["keys"]["kind"] == "static" and rows["keys"]["state"] is None
    table = home.awsenv("list").stdout.splitlines()
    assert table[0].split() == ["PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SESSION"]


def test_current_follows_the_shell(home: Home) -> None:
    assert home.awsenv("current").returncode == 1
    result = home.shell("bash", "awsenv use Company-1-ReadOnly\nawsenv current --json\n")
    row = json.loads(result.stdout)
    assert row["name"] == "Company-1-ReadOnly" and row["account"] == "222233334444"
    assert 3000 < row["credentials_expire_in"] <= 3600


def test_whoami_for_another_profile(home: Home) -> None:
    result = home.shell(
        "zsh", "awsenv use Company-1-ReadOnly\nawsenv whoami Company-2-Administrator --json\n"
    )
    identity = json.loads(result.stdout)
    assert identity["Account"] == "333344445555"
    assert "AWSReservedSSO_Administrator_" in identity["Arn"]


def test_logout_of_one_session_keeps_the_others(home: Home) -> None:
    for profile in ("Company-1-ReadOnly", "Company-2-ReadOnly"):
        assert home.awsenv("use", profile, "--shell", "bash").returncode == 0
    result = home.awsenv("logout", "--sso-session", "company-1-sso", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert "signed out of sso-session company-1-sso" in result.stderr
    assert [t["startUrl"] for t in home.tokens()] == ["https://d-555666777.awsapps.com/start"]
    assert len(list(home.cli_cache.glob("*.json"))) == 1
    assert home.awsenv("logout", "--all").returncode == 0
    assert home.tokens() == []


def test_role_credentials_are_not_reused_within_15_minutes_of_expiry(home: Home) -> None:
    home.emulator.knobs.role_credentials_ttl = 14 * 60
    for _ in range(2):
        assert home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash").returncode == 0
    assert len(home.emulator.calls("GetRoleCredentials")) == 2
    home.emulator.knobs.role_credentials_ttl = 16 * 60
    for _ in range(2):
        assert home.awsenv("use", "Company-1-Administrator", "--shell", "bash").returncode == 0
    assert len(home.emulator.calls("GetRoleCredentials")) == 3


def test_the_calling_shell_is_detected_without_the_function(home: Home) -> None:
    outputs = {}
    for shell, argv in (("fish", ["fish", "--no-config", "-c"]), ("zsh", ["zsh", "-f", "-c"])):
        outputs[shell] = subprocess.run(
            [*argv, "command awsenv use Company-1-ReadOnly --profile-only"],
            env=home.environ(),
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    assert "set -gx AWS_PROFILE 'Company-1-ReadOnly';" in outputs["fish"]
    assert "export AWS_PROFILE='Company-1-ReadOnly';" in outputs["zsh"]


# Forks, lets the parent exit so the child has no shell above it (as under cron or a service
# manager), then runs the command in the child.
ORPHAN = """
import os, sys, time
parent = os.getpid()
if os.fork():
    os._exit(0)
while os.getppid() == parent:
    time.sleep(0.01)
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_no_shell_above_the_program_is_not_an_internal_error(home: Home) -> None:
    env = home.environ()
    env.pop("SHELL", None)
    result = subprocess.run(
        [sys.executable, "-c", ORPHAN, AWSENV, "use", "Company-1-ReadOnly", "--profile-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "internal error" not in result.stderr
    assert "AWS_PROFILE" in result.stdout
