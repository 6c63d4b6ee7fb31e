"""The service misbehaving, through the emulator's fault knobs: a sign-out that cannot reach
every session, and a service that does not answer (issue 14, items 6 and 8)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess

from awsenv import errors
from conftest import Home

PROFILES = ("Default", "Company-1-ReadOnly", "Company-2-ReadOnly")
BAD_SESSION = "company-1-sso"
BAD_START_URL = "https://d-9876543210.awsapps.com/start"


def one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsenv: ") and text in lines[0], result.stderr
    return lines[0]


# --- item 6: logout --all with one session that cannot be revoked ----------------------------


def test_logout_all_signs_out_of_every_session_and_says_which_were_not_revoked(
    home: Home,
) -> None:
    for profile in PROFILES:
        assert home.awsenv("use", profile, "--shell", "bash").returncode == 0
    bad = home.sso_cache / f"{hashlib.sha1(BAD_SESSION.encode()).hexdigest()}.json"
    token = json.loads(bad.read_text())
    bad.write_text(json.dumps({**token, "region": "not a region!"}))
    # And the first revocation that reaches the service fails there, retries included.
    home.emulator.inject("Logout", 500, "InternalServerException", "try later", times=3)
    home.emulator.clear_calls()

    result = home.awsenv("logout", "--all", "--shell", "bash")

    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
    assert home.tokens() == []  # every token file is gone, the bad one too
    assert list(home.cli_cache.glob("*.json")) == []
    statuses = [c.status for c in home.emulator.calls("Logout")]
    assert statuses == [500, 500, 500, 200]  # the two good sessions were both asked
    unrevoked = [line for line in result.stderr.splitlines() if "could not revoke" in line]
    assert len(unrevoked) == 2, result.stderr
    bad_line = next(line for line in unrevoked if BAD_START_URL in line)
    assert "not a region!" in bad_line and "stays valid at the service" in bad_line
    assert any("InternalServerException" in line for line in unrevoked)
    assert "signed out of" in result.stderr


# --- item 8: a service that does not answer --------------------------------------------------


def test_a_service_that_does_not_answer_is_called_slow_after_a_bounded_wait(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    home.emulator.hang("GetRoleCredentials", times=10)
    result = home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash")  # 60 s at most
    line = one_line_error(result, errors.EXIT_SERVICE, "did not answer in time")
    assert "slow" in line and "network up" not in line
    # Three tries (awsapi.PATIENCE), each given up after the read timeout.
    assert len(home.emulator.calls("GetRoleCredentials")) == 3


def test_one_unanswered_call_is_retried(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    home.emulator.hang("GetRoleCredentials", times=1)
    result = home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert [c.error for c in home.emulator.calls("GetRoleCredentials")] == ["Hung", None]


def test_a_service_that_is_down_is_called_unreachable(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        result = home.awsenv(
            "use", "Company-1-ReadOnly", "--shell", "bash", env={"AWS_ENDPOINT_URL_SSO": url}
        )
    line = one_line_error(result, errors.EXIT_SERVICE, f"cannot reach {url}")
    assert "(connection refused); is the network up?" in line and "slow" not in line
