"""Sign-in and refresh under races and service faults (issue 14, items 1, 2, 7 and 12)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from conftest import AWSENV, Home

PROFILE = "Company-1-ReadOnly"

# What the AWS CLI and every botocore-based SDK do with an SSO token inside its refresh
# window: refresh it and rewrite the shared token file (botocore's SSOTokenProvider).
BOTOCORE_REFRESH = """
import sys
import botocore.session
session = botocore.session.Session(profile=sys.argv[1])
print(session.get_auth_token().get_frozen_token().token)
"""


def _token_file(home: Home) -> dict[str, object]:
    (path,) = [p for p in home.sso_cache.glob("*.json") if "accessToken" in p.read_text()]
    data: dict[str, object] = json.loads(path.read_text())
    return data


def _set_token_expiry(home: Home, moment: datetime) -> None:
    (path,) = [p for p in home.sso_cache.glob("*.json") if "accessToken" in p.read_text()]
    data = json.loads(path.read_text())
    data["expiresAt"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps(data))


# --- 1: a refresh lost to another program never deletes that program's token ---------------


def test_a_refresh_lost_to_the_aws_cli_uses_its_token_and_keeps_the_file(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE).returncode == 0
    # Inside the refresh window of both awsenv and botocore; refresh tokens are single-use.
    _set_token_expiry(home, datetime.now(timezone.utc) + timedelta(minutes=5))
    emulator.hold("CreateToken")
    awsenv = subprocess.Popen(
        [AWSENV, "use", PROFILE, "--shell", "bash"],
        env=home.environ({"AWSENV_AUTO_LOGIN": "never"}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # awsenv has read the token and sent its refresh; the AWS CLI refreshes first.
        assert emulator.wait_held("CreateToken", 60)
        cli = subprocess.run(
            [sys.executable, "-c", BOTOCORE_REFRESH, PROFILE],
            env=home.environ(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 0, cli.stderr
    finally:
        emulator.release("CreateToken")
    out, err = awsenv.communicate(timeout=60)
    refreshed = cli.stdout.strip()
    assert awsenv.returncode == 0, err
    assert _token_file(home)["accessToken"] == refreshed
    assert "export AWS_ACCESS_KEY_ID=" in out
    assert [c.params["grantType"] for c in emulator.calls("CreateToken")][-2:] == [
        "refresh_token",
        "refresh_token",
    ]
    assert [c.error for c in emulator.calls("CreateToken")][-1] == "InvalidGrantException"


# --- 2: a registration per flow; one the service rejects is replaced, once -------------------


def test_device_code_sign_in_after_a_pkce_one(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    assert home.awsenv("logout", "--all").returncode == 0
    result = home.awsenv("login", PROFILE, "--use-device-code")
    assert result.returncode == 0, result.stderr
    # And back: the device registration is no use for PKCE either.
    assert home.awsenv("login", PROFILE).returncode == 0
    grants = [c.params.get("grantTypes") for c in home.emulator.calls("RegisterClient")]
    assert grants == [["authorization_code", "refresh_token"], None, grants[0]]


def test_over_ssh_use_signs_in_with_the_device_code_after_a_pkce_login(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    assert home.awsenv("logout", "--all").returncode == 0
    ssh = {"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}
    result = home.awsenv("use", PROFILE, "--shell", "bash", env=ssh)
    assert result.returncode == 0, result.stderr
    assert home.emulator.calls("StartDeviceAuthorization")


def test_a_registration_the_service_rejects_is_replaced_once(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE, "--use-device-code").returncode == 0
    assert home.awsenv("logout", "--all").returncode == 0
    emulator.inject("StartDeviceAuthorization", 401, "InvalidClientException", "Invalid client")
    result = home.awsenv("login", PROFILE, "--use-device-code")
    assert result.returncode == 0, result.stderr
    assert "registering again" in result.stderr
    assert len(emulator.calls("RegisterClient")) == 2


def test_a_registration_rejected_twice_is_an_error_not_a_loop(home: Home) -> None:
    emulator = home.emulator
    emulator.inject(
        "StartDeviceAuthorization", 401, "InvalidClientException", "Invalid client", times=5
    )
    result = home.awsenv("login", PROFILE, "--use-device-code")
    assert result.returncode != 0
    assert "client registration is no longer valid" in result.stderr
    assert len(emulator.calls("RegisterClient")) == 2
    assert len(emulator.calls("StartDeviceAuthorization")) == 2


# --- 7: a 401 from GetRoleCredentials keeps the session when a refresh can renew it ---------


def test_a_401_on_get_role_credentials_refreshes_instead_of_deleting(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE).returncode == 0
    emulator.inject("GetRoleCredentials", 401, "UnauthorizedException", "Session token invalid")
    result = home.awsenv("use", PROFILE, "--shell", "bash", env={"AWSENV_AUTO_LOGIN": "never"})
    assert result.returncode == 0, result.stderr
    assert [c.params["grantType"] for c in emulator.calls("CreateToken")][-1] == "refresh_token"
    assert _token_file(home)["refreshToken"]


def test_a_401_then_a_dead_refresh_token_drops_the_token_and_says_why(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE).returncode == 0
    emulator.inject("GetRoleCredentials", 401, "UnauthorizedException", "Session token invalid")
    emulator.expire("refresh_tokens")
    result = home.awsenv("use", PROFILE, "--shell", "bash", env={"AWSENV_AUTO_LOGIN": "never"})
    assert result.returncode == 4
    assert "refused the access token (401), and the SSO session" in result.stderr
    assert "Invalid grant provided" in result.stderr
    assert home.tokens() == []


def test_a_401_that_stays_fails_and_keeps_the_refresh_token(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE).returncode == 0
    emulator.inject("GetRoleCredentials", 401, "UnauthorizedException", "Nope", times=2)
    result = home.awsenv("use", PROFILE, "--shell", "bash", env={"AWSENV_AUTO_LOGIN": "never"})
    assert result.returncode != 0
    assert "GetRoleCredentials" in result.stderr and "Traceback" not in result.stderr
    assert _token_file(home)["refreshToken"]


# --- 12: a PKCE registration the service forgot: no 10-minute wait for the browser -----------


def test_a_pkce_registration_the_authorize_page_refuses_is_replaced(home: Home) -> None:
    emulator = home.emulator
    assert home.awsenv("login", PROFILE).returncode == 0
    assert home.awsenv("logout", "--all").returncode == 0
    emulator.expire("registrations")  # the cached file still says 90 days
    emulator.clear_calls()
    result = home.awsenv("login", PROFILE)
    assert result.returncode == 0, result.stderr
    assert "registering again" in result.stderr
    assert len(emulator.calls("RegisterClient")) == 1
    assert [c.status for c in emulator.calls("Authorize")] == [400, 302, 302]
