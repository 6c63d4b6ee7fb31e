"""Each kind of bad input: a one-line error, its exit code, no traceback, nothing changed."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from datetime import datetime, timedelta, timezone

import pexpect
import pytest

from awsenv import errors
from conftest import AWSENV, Home

PROFILE = "Company-1-ReadOnly"
TOKEN = f"{hashlib.sha1(b'company-1-sso').hexdigest()}.json"


def use(home: Home, profile: str = PROFILE, **env: str) -> subprocess.CompletedProcess[str]:
    return home.awsenv("use", profile, "--shell", "bash", env=env)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == ""  # nothing for the shell to evaluate
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("awsenv: ") and text in last, result.stderr


def test_unknown_profile(home: Home) -> None:
    assert_one_line_error(
        use(home, "Company-1-Readonly"), errors.EXIT_CONFIG, "did you mean Company-1-ReadOnly"
    )


def test_profile_naming_a_missing_sso_session(home: Home) -> None:
    home.config.write_text(
        "[profile lost]\nsso_session = nowhere\nsso_account_id = 1\nsso_role_name = r\n"
    )
    assert_one_line_error(
        use(home, "lost"), errors.EXIT_CONFIG, 'The specified sso-session does not exist: "nowhere"'
    )


def test_malformed_config_names_file_and_line(home: Home) -> None:
    home.config.write_text("[profile a]\nregion = x\n  \nnot a setting\n")
    assert_one_line_error(use(home, "a"), errors.EXIT_CONFIG, f"{home.config}, line 4")


@pytest.mark.parametrize("content", ["{not json", '{"startUrl": "x"', "[]", '{"accessToken": 1}'])
def test_corrupt_token_cache_is_no_login_and_said_so(home: Home, content: str) -> None:
    home.sso_cache.mkdir(parents=True)
    (home.sso_cache / TOKEN).write_text(content)
    result = use(home)
    assert result.returncode == 0, result.stderr
    assert "treating it as no sign-in" in result.stderr
    assert json.loads((home.sso_cache / TOKEN).read_text())["accessToken"]


def expire_token_file(home: Home, **changes: str) -> None:
    path = home.sso_cache / TOKEN
    token = json.loads(path.read_text())
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token.update(expiresAt=past, **changes)
    path.write_text(json.dumps(token))
    for cached in home.cli_cache.glob("*.json"):
        cached.unlink()


def test_expired_session_is_refreshed_without_a_browser(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    expire_token_file(home)
    home.emulator.clear_calls()
    result = use(home, BROWSER="false")
    assert result.returncode == 0, result.stderr
    grants = [c.params.get("grantType") for c in home.emulator.calls("CreateToken")]
    assert grants == ["refresh_token"]


def test_expired_registration_means_a_fresh_login(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    expire_token_file(home, registrationExpiresAt="2020-01-01T00:00:00Z")
    home.emulator.clear_calls()
    result = use(home)
    assert result.returncode == 0, result.stderr
    grants = [c.params.get("grantType") for c in home.emulator.calls("CreateToken")]
    assert grants == ["authorization_code"]


def test_invalid_grant_drops_only_that_sessions_token_and_signs_in(home: Home) -> None:
    assert home.awsenv("login", "Company-2-ReadOnly").returncode == 0
    assert home.awsenv("login", PROFILE).returncode == 0
    other = {p.name: p.read_text() for p in home.sso_cache.glob("*.json") if p.name != TOKEN}
    expire_token_file(home)
    home.emulator.expire("refresh_tokens")
    home.emulator.clear_calls()
    result = use(home)
    assert result.returncode == 0, result.stderr
    grants = [c.params.get("grantType") for c in home.emulator.calls("CreateToken")]
    assert grants == ["refresh_token", "authorization_code"]
    assert {p: (home.sso_cache / p).read_text() for p in other} == other


def test_denied_login(home: Home) -> None:
    home.emulator.knobs.deny = True
    assert_one_line_error(use(home), errors.EXIT_LOGIN_DENIED, "denied")
    assert home.tokens() == []


def test_denied_device_login(home: Home) -> None:
    home.emulator.knobs.deny = True
    result = use(home, AWSENV_LOGIN_FLOW="device")
    assert_one_line_error(result, errors.EXIT_LOGIN_DENIED, "denied")


def test_network_down(home: Home) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        result = use(home, AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=url)
    assert_one_line_error(result, errors.EXIT_SERVICE, "cannot reach")


def test_throttling_is_retried_then_reported(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    home.emulator.inject("GetRoleCredentials", 429, "TooManyRequestsException", "slow", times=2)
    assert use(home).returncode == 0
    for cached in home.cli_cache.glob("*.json"):
        cached.unlink()
    home.emulator.inject("GetRoleCredentials", 429, "TooManyRequestsException", "slow", times=20)
    assert_one_line_error(use(home), errors.EXIT_SERVICE, "throttled")


def shell_keys(home: Home) -> dict[str, str]:
    """The variables `awsenv use` exports for PROFILE's keys, but no AWS_PROFILE: `whoami`
    then asks STS about the keys themselves."""
    assert home.awsenv("login", PROFILE).returncode == 0
    exported = home.awsenv("export", PROFILE)
    assert exported.returncode == 0, exported.stderr
    keys = json.loads(exported.stdout)
    expiration = datetime.fromisoformat(keys["Expiration"])
    return {
        "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
        "AWS_SESSION_TOKEN": keys["SessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": keys["Expiration"],
        "AWSENV_EXPIRATION": str(int(expiration.timestamp())),
    }


@pytest.mark.parametrize(
    "expired", ["AWS_CREDENTIAL_EXPIRATION", "AWSENV_EXPIRATION", "at the service only"]
)
def test_whoami_with_expired_keys_in_the_shell(home: Home, expired: str) -> None:
    keys = shell_keys(home)
    home.emulator.expire("role_credentials")
    past = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    if expired == "AWS_CREDENTIAL_EXPIRATION":  # botocore itself refuses these keys
        keys[expired] = past.isoformat()
        del keys["AWSENV_EXPIRATION"]
    elif expired == "AWSENV_EXPIRATION":
        keys[expired] = str(int(past.timestamp()))
        del keys["AWS_CREDENTIAL_EXPIRATION"]
    result = home.awsenv("whoami", env=keys)
    when = "expired at 2026-01-02T03:04:05+00:00" if expired != "at the service only" else ""
    assert_one_line_error(result, errors.EXIT_ERROR, f"the keys in this shell {when}".strip())
    assert "awsenv use PROFILE" in result.stderr
    assert "internal error" not in result.stderr
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert keys[name] not in result.stderr


def test_auto_login_never(home: Home) -> None:
    result = use(home, AWSENV_AUTO_LOGIN="never")
    assert_one_line_error(result, errors.EXIT_LOGIN_REQUIRED, f"run: awsenv login {PROFILE}")
    assert home.emulator.calls() == []


def test_auto_login_ask_without_a_terminal_fails_at_once(home: Home) -> None:
    result = home.awsenv(
        "use",
        PROFILE,
        "--shell",
        "bash",
        env={"AWSENV_AUTO_LOGIN": "ask"},
        start_new_session=True,
    )
    assert_one_line_error(result, errors.EXIT_NO_TERMINAL, "no terminal to ask")
    assert home.emulator.calls() == []


@pytest.mark.parametrize(("answer", "status"), [("", 0), ("n", errors.EXIT_LOGIN_DENIED)])
def test_auto_login_ask_on_a_terminal(home: Home, answer: str, status: int) -> None:
    child = pexpect.spawn(
        AWSENV,
        ["use", PROFILE, "--shell", "bash"],
        env=home.environ({"AWSENV_AUTO_LOGIN": "ask"}),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(r"Sign in to sso-session company-1-sso at https://d-9876543210\S+ now\? \[Y/n\] ")
    assert home.emulator.calls() == []  # nothing happened before the answer
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == status
    assert bool(home.tokens()) == (status == 0)


def test_bad_auto_login_setting(home: Home) -> None:
    result = use(home, AWSENV_AUTO_LOGIN="sometimes")
    assert_one_line_error(result, errors.EXIT_CONFIG, "AWSENV_AUTO_LOGIN is 'sometimes'")


def test_settings_file_that_is_not_utf8(home: Home) -> None:
    settings = home.path / ".config" / "awsenv" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(b'auto_login = "\xff"\n')
    result = home.awsenv("login", PROFILE, env={"AWSENV_AUTO_LOGIN": ""})
    assert_one_line_error(result, errors.EXIT_CONFIG, f"{settings}: not UTF-8 text")


@pytest.mark.parametrize("args", [["use", PROFILE, "--shell", "bash"], ["login", PROFILE]])
def test_settings_file_that_is_a_fifo(home: Home, args: list[str]) -> None:
    # Nothing ever writes to it: a plain open() of the FIFO would wait for a writer forever.
    settings = home.path / ".config" / "awsenv" / "config.toml"
    settings.parent.mkdir(parents=True)
    os.mkfifo(settings)
    result = subprocess.run(
        [AWSENV, *args],
        env=home.environ({"AWSENV_AUTO_LOGIN": ""}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    assert_one_line_error(result, errors.EXIT_CONFIG, f"{settings} is not a regular file")
    assert home.tokens() == []


@pytest.mark.parametrize("region", ["moon base", "$(id)", "eu_west_1", "a" * 100])
def test_sso_region_that_is_no_region_name(home: Home, region: str) -> None:
    session = (
        "[sso-session company-1-sso]\nsso_start_url = https://d-9876543210.awsapps.com/start\n"
    )
    text = home.config.read_text()
    assert session + "sso_region = ap-southeast-2\n" in text
    home.config.write_text(
        text.replace(
            session + "sso_region = ap-southeast-2\n", session + f"sso_region = {region}\n"
        )
    )
    for args in (["login", PROFILE], ["use", PROFILE, "--shell", "bash"]):
        result = home.awsenv(*args)
        assert_one_line_error(result, errors.EXIT_CONFIG, "sso_region")
        assert "internal error" not in result.stderr


# --- files that cannot be written -----------------------------------------------------------
# As root (the tests' user), permission bits do not stop a write: a read-only bind mount and a
# full tmpfs do, in a mount namespace of the awsenv process alone.


def _can_mount() -> bool:
    try:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
        )
    except FileNotFoundError:
        return False
    return probe.returncode == 0


READ_ONLY = 'mount --bind "$D" "$D" && mount -o remount,bind,ro "$D"'
FULL = 'mount -t tmpfs -o size=4k tmpfs "$D" && (head -c 65536 /dev/zero > "$D/.fill" || true)'


@pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces (unshare -m)")
@pytest.mark.parametrize(
    ("where", "mount", "problem"),
    [
        (".aws", READ_ONLY, "Read-only file system"),
        (".aws/sso/cache", READ_ONLY, "Read-only file system"),
        (".aws/sso/cache", FULL, "No space left on device"),
    ],
)
def test_a_file_that_cannot_be_written_is_named(
    home: Home, where: str, mount: str, problem: str
) -> None:
    directory = home.path / where
    directory.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["unshare", "-m", "sh", "-ec", f'{mount}\nexec "$@"', "sh", AWSENV, "login", PROFILE],
        env=home.environ({"D": str(directory)}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert_one_line_error(result, errors.EXIT_ERROR, problem)
    last = result.stderr.strip().splitlines()[-1]
    assert "internal error" not in last
    assert f"awsenv: {directory}/" in last  # the file or directory it could not write
