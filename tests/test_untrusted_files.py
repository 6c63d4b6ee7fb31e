"""Files awsenv reads but did not write: FIFOs, devices, huge files, caches planted by other
users, and cached keys that are not keys. Each is refused or ignored with at most one line;
none hangs, grows without bound, or reaches the shell (issue 14, items 9, 10, 11)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsenv import errors
from conftest import AWSENV, Home

PROFILE = "Company-1-ReadOnly"
ACCOUNT, ROLE, SESSION = "222233334444", "ReadOnly", "company-1-sso"
TOKEN = f"{hashlib.sha1(SESSION.encode()).hexdigest()}.json"
OTHER_UID = 4242
# Well below the 3 GB /dev/zero grew to: a read without a cap dies quickly instead.
MEMORY_LIMIT = 1 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(home: Home, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real program, with bounded memory: a read without a cap fails fast."""
    return subprocess.run(
        [AWSENV, *args],
        env=home.environ(env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        preexec_fn=_limit_memory,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsenv: ") and text in lines[0], result.stderr


def role_cache_file(home: Home) -> Path:
    args = {"accountId": ACCOUNT, "roleName": ROLE, "sessionName": SESSION}
    key = hashlib.sha1(json.dumps(args, sort_keys=True, separators=(",", ":")).encode())
    return home.cli_cache / f"{key.hexdigest()}.json"


def planted_keys(**changes: object) -> str:
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    creds: dict[str, object] = {
        "AccessKeyId": "ASIAPLANTEDBYMALLORY",
        "SecretAccessKey": "mallory-secret",
        "SessionToken": "mallory-session",
        "Expiration": later,
        "AccountId": ACCOUNT,
    }
    creds.update(changes)
    return json.dumps({"ProviderType": "sso", "Credentials": creds})


def exported_key(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "AWS_ACCESS_KEY_ID=" in x)
    return line.split("=", 1)[1].strip("'")


# --- item 10: only regular files, and not too large ------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["use", PROFILE, "--shell", "bash"], ["logout"]])
@pytest.mark.parametrize("variable", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
def test_a_fifo_as_config_or_credentials_file_is_refused(
    home: Home, tmp_path: Path, command: list[str], variable: str
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    args = [*command, PROFILE] if command == ["logout"] else command
    result = run(home, *args, **{variable: str(fifo)})
    assert_one_line_error(result, errors.EXIT_CONFIG, f"{fifo} is not a regular file")


@pytest.mark.parametrize("variable", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
def test_an_endless_device_as_config_file_is_refused(home: Home, variable: str) -> None:
    result = run(home, "list", **{variable: "/dev/zero"})
    assert_one_line_error(result, errors.EXIT_CONFIG, "/dev/zero is not a regular file")


def test_a_huge_config_file_is_refused_not_read(home: Home, tmp_path: Path) -> None:
    huge = tmp_path / "config"
    with open(huge, "wb") as f:
        f.truncate(2 << 30)  # sparse: 2 GB on the books, nothing on disk
    result = run(home, "list", AWS_CONFIG_FILE=str(huge))
    assert_one_line_error(result, errors.EXIT_CONFIG, f"{huge} is larger than")


def test_a_fifo_at_the_recent_list_is_ignored_and_replaced(home: Home) -> None:
    state = home.path / ".local" / "share" / "awsenv"  # XDG_DATA_HOME: no XDG_STATE_HOME
    state.mkdir(parents=True)
    os.mkfifo(state / "recent.json")
    result = run(home, "use", PROFILE, "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert (state / "recent.json").is_file()  # else reading it here would hang the test
    assert json.loads((state / "recent.json").read_text()) == {"profiles": [PROFILE]}


def test_a_fifo_at_the_token_path_is_no_sign_in(home: Home) -> None:
    home.sso_cache.mkdir(parents=True)
    os.mkfifo(home.sso_cache / TOKEN)
    result = run(home, "use", PROFILE, "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert (
        f"{home.sso_cache / TOKEN} is not a regular file; treating it as no sign-in"
        in result.stderr
    )
    assert (home.sso_cache / TOKEN).is_file()
    assert json.loads((home.sso_cache / TOKEN).read_text())["accessToken"]


def test_a_fifo_at_the_role_cache_path_is_a_cache_miss(home: Home) -> None:
    home.cli_cache.mkdir(parents=True)
    os.mkfifo(role_cache_file(home))
    result = run(home, "use", PROFILE, "--shell", "bash")
    assert exported_key(result).startswith("ASIA")
    assert role_cache_file(home).is_file()
    assert json.loads(role_cache_file(home).read_text())["Credentials"]["AccessKeyId"]


# --- item 9: caches written by someone else ---------------------------------------------------


def plant_role_keys(home: Home, *, uid: int, mode: int) -> Path:
    home.cli_cache.mkdir(parents=True)
    os.chmod(home.cli_cache, 0o777)
    path = role_cache_file(home)
    path.write_text(planted_keys())
    os.chown(path, uid, uid)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    ("uid", "mode"), [(OTHER_UID, 0o600), (OTHER_UID, 0o644), (0, 0o666), (0, 0o620)]
)
def test_role_keys_planted_by_someone_else_are_not_exported(
    home: Home, uid: int, mode: int
) -> None:
    plant_role_keys(home, uid=uid, mode=mode)
    result = run(home, "use", PROFILE, "--shell", "bash")
    assert exported_key(result) != "ASIAPLANTEDBYMALLORY"
    assert len(home.emulator.calls("GetRoleCredentials")) == 1


def test_a_token_planted_by_someone_else_is_not_used(home: Home) -> None:
    assert run(home, "login", PROFILE).returncode == 0
    token = home.sso_cache / TOKEN
    os.chown(token, OTHER_UID, OTHER_UID)
    home.emulator.clear_calls()
    result = run(home, "use", PROFILE, "--shell", "bash", AWSENV_AUTO_LOGIN="never")
    assert result.returncode == errors.EXIT_LOGIN_REQUIRED, result.stderr
    assert f"{token} is owned by uid {OTHER_UID}, not you" in result.stderr
    assert home.emulator.calls("GetRoleCredentials") == []


def test_doctor_fix_removes_caches_planted_by_someone_else(home: Home) -> None:
    planted = plant_role_keys(home, uid=OTHER_UID, mode=0o644)
    report = run(home, "doctor", "--offline")
    assert "fail  credential-cache-owner: 1 file(s) in ~/.aws/cli/cache not yours" in report.stdout
    fixed = run(home, "doctor", "--fix", "--offline")
    assert "fixed chmod 700 ~/.aws/cli/cache\n" in fixed.stdout
    assert "fixed removed 1 file(s) not yours from ~/.aws/cli/cache\n" in fixed.stdout
    assert not planted.exists()
    assert exported_key(run(home, "use", PROFILE, "--shell", "bash")) != "ASIAPLANTEDBYMALLORY"


# --- item 11: cached keys that are not keys ---------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"AccessKeyId": None},
        {"AccessKeyId": ""},
        {"AccessKeyId": 12345},
        {"SecretAccessKey": "abc\x00def"},
        {"SessionToken": "abc\ndef"},
        {"SessionToken": ["a"]},
    ],
)
def test_malformed_cached_role_keys_are_a_cache_miss(
    home: Home, changes: dict[str, object]
) -> None:
    home.cli_cache.mkdir(parents=True, mode=0o700)
    role_cache_file(home).write_text(planted_keys(**changes))
    result = run(home, "use", PROFILE, "--shell", "bash")
    key = exported_key(result)
    assert key.startswith("ASIA") and key != "ASIAPLANTEDBYMALLORY"
    assert "None" not in result.stdout
    assert len(home.emulator.calls("GetRoleCredentials")) == 1
