"""`awsenv console`: the federation sign-in URL, checked against the emulator's fake endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from awsenv.emulator.federation import endpoint
from conftest import Home


def federated(home: Home) -> dict[str, str]:
    return {"AWSENV_FEDERATION_ENDPOINT": endpoint(home.emulator.url)}


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fetch(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_url_only_prints_a_login_url_the_endpoint_accepts(home: Home) -> None:
    result = home.awsenv("console", "Company-1-ReadOnly", "--url-only", env=federated(home))
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith(endpoint(home.emulator.url) + "?")
    params = query(url)
    assert params["Action"] == "login" and params["Issuer"] == "awsenv"
    assert params["Destination"] == (
        "https://console.aws.amazon.com/console/home?region=ap-southeast-2"
    )
    status, page = fetch(url)
    assert status == 200
    assert "assumed-role/AWSReservedSSO_ReadOnly_" in page and "222233334444" in page
    [token_call] = [c for c in home.emulator.calls("Federation") if c.params["Action"] != "login"]
    assert token_call.params == {"Action": "getSigninToken"}, "the Session is never logged"


def test_service_and_region_choose_the_destination(home: Home) -> None:
    for args, destination in (
        (
            ["--service", "s3", "--region", "eu-west-1"],
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
        ),
        (
            ["--region", "us-gov-west-1"],
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
        ),
    ):
        result = home.awsenv("console", "Default", "--url-only", *args, env=federated(home))
        assert query(result.stdout.strip())["Destination"] == destination, result.stderr


def test_console_opens_the_browser_and_prints_no_url(home: Home) -> None:
    result = home.shell(
        "bash", "awsenv use Company-2-Administrator\nawsenv console\n", federated(home)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "opened the AWS console" in result.stderr
    logins = [c for c in home.emulator.calls("Federation") if c.params["Action"] == "login"]
    assert len(logins) == 1 and logins[0].status == 200


def test_long_term_keys_cannot_sign_in(home: Home) -> None:
    key, secret = home.emulator.add_user("arn:aws:iam::111122223333:user/ops")
    (home.path / ".aws" / "credentials").write_text(
        f"[ops]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    )
    result = home.awsenv("console", "ops", "--url-only", env=federated(home))
    assert result.returncode == 1 and result.stdout == ""
    assert "needs temporary credentials" in result.stderr
    # The endpoint refuses them too, as the real one does.
    session = json.dumps({"sessionId": key, "sessionKey": secret, "sessionToken": ""})
    url = (
        endpoint(home.emulator.url)
        + "?"
        + urlencode({"Action": "getSigninToken", "Session": session})
    )
    assert fetch(url)[0] == 403


def test_an_unreachable_endpoint_is_one_clear_line(home: Home) -> None:
    result = home.awsenv(
        "console",
        "Default",
        "--url-only",
        env={"AWSENV_FEDERATION_ENDPOINT": "http://127.0.0.1:9/x"},
    )
    assert result.returncode == 7
    assert "cannot be reached" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("tamper", ["expired", "forged"])
def test_the_endpoint_rejects_bad_sign_in_tokens(tamper: str, home: Home) -> None:
    url = home.awsenv("console", "Default", "--url-only", env=federated(home)).stdout.strip()
    params = query(url)
    if tamper == "expired":
        home.emulator.knobs.clock_offset = 16 * 60
    else:
        params["SigninToken"] = "eyJrIjogIkFTSUFGT1JHRUQifQ"
    assert fetch(endpoint(home.emulator.url) + "?" + urlencode(params))[0] == 400
