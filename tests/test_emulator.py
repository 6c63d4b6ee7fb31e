"""The IAM Identity Center + STS emulator, driven by the real boto3 clients (no mocking)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.tokens
import pytest
from botocore.config import Config

from awsenv.emulator import Emulator, big_org

REPO = Path(__file__).resolve().parents[1]
REGION = "ap-southeast-2"
COMPANY_1 = "https://d-9876543210.awsapps.com/start"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
NO_RETRY = Config(retries={"total_max_attempts": 1})
BROWSER = [sys.executable, "-m", "awsenv.emulator.browser"]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def aws_env(emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ambient AWS config or keys; the three endpoint variables point at the emulator."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws(aws_env: None) -> boto3.Session:
    """One session per test: its loaded service models make each client cheap."""
    return boto3.Session(region_name=REGION)


def client(
    aws: boto3.Session,
    service: str,
    creds: dict[str, Any] | None = None,
    config: Config | None = None,
) -> Any:
    return aws.client(service, config=config, **(creds or {}))


def sts_for(aws: boto3.Session, creds: dict[str, Any]) -> Any:
    """An STS client signing with credentials as GetRoleCredentials or STS returned them."""
    return client(
        aws,
        "sts",
        {
            "aws_access_key_id": creds.get("accessKeyId") or creds["AccessKeyId"],
            "aws_secret_access_key": creds.get("secretAccessKey") or creds["SecretAccessKey"],
            "aws_session_token": creds.get("sessionToken") or creds.get("SessionToken"),
        },
    )


def control(emu: Emulator, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the emulator's HTTP control API, as a demo in another process would."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{emu.url}/_emulator/{path}", data=data)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=5) as resp:
        return json.load(resp)


def register(oidc: Any, **extra: Any) -> dict[str, Any]:
    reg: dict[str, Any] = oidc.register_client(
        clientName="botocore-client-test", clientType="public", **extra
    )
    return reg


def device_login(emu: Emulator, aws: boto3.Session, start_url: str = COMPANY_1) -> dict[str, Any]:
    oidc = client(aws, "sso-oidc")
    reg = register(oidc, scopes=["sso:account:access"])
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=start_url
    )
    emu.approve(auth["userCode"])
    token: dict[str, Any] = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=auth["deviceCode"],
    )
    return {**token, "clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}


def role_credentials(
    aws: boto3.Session, token: str, account: str = "222233334444", role: str = "ReadOnly"
) -> Any:
    sso = client(aws, "sso")
    return sso.get_role_credentials(accessToken=token, accountId=account, roleName=role)[
        "roleCredentials"
    ]


def error_code(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def run_browser(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BROWSER, url], capture_output=True, text=True, timeout=30, check=False)


# --- device-code flow -------------------------------------------------------------------------


def test_env_names_only_the_three_endpoint_variables(emu: Emulator, aws: boto3.Session) -> None:
    assert emu.env() == {
        "AWS_ENDPOINT_URL_SSO_OIDC": emu.url,
        "AWS_ENDPOINT_URL_SSO": emu.url,
        "AWS_ENDPOINT_URL_STS": emu.url,
    }
    assert emu.url.startswith("http://127.0.0.1:")


def test_device_flow_pending_then_approved_over_control_api(
    emu: Emulator, aws: boto3.Session
) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(oidc, scopes=["sso:account:access"])
    assert abs(reg["clientSecretExpiresAt"] - (emu.now() + 90 * 86400)) < 5
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=COMPANY_1
    )
    assert auth["verificationUriComplete"] == f"{emu.url}/device?user_code={auth['userCode']}"
    assert auth["interval"] == 1 and auth["expiresIn"] == 600
    args = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": DEVICE_GRANT,
        "deviceCode": auth["deviceCode"],
    }
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        oidc.create_token(**args)
    assert pending.value.response["error"] == "authorization_pending"

    assert control(emu, "approve", {"user_code": auth["userCode"]}) == {
        "decided": [auth["userCode"]]
    }
    token = oidc.create_token(**args)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] == 8 * 3600
    assert token["accessToken"] and token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**args)  # a device code is good for one token


def test_device_page_approves_via_browser_stand_in(emu: Emulator, aws: boto3.Session) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(oidc)
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=COMPANY_1
    )
    done = run_browser(auth["verificationUriComplete"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert all(line.startswith("browser: ") for line in done.stderr.splitlines())
    token = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=auth["deviceCode"],
    )
    assert "refreshToken" not in token  # unscoped (legacy) registrations get none


def test_device_flow_denied_expired_and_slow_down(emu: Emulator, aws: boto3.Session) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(oidc, scopes=["sso:account:access"])
    creds = {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"]}

    def start() -> dict[str, Any]:
        auth: dict[str, Any] = oidc.start_device_authorization(**creds, startUrl=COMPANY_1)
        return auth

    def poll(auth: dict[str, Any]) -> Any:
        return oidc.create_token(**creds, grantType=DEVICE_GRANT, deviceCode=auth["deviceCode"])

    control(emu, "knobs", {"deny": True})
    denied = start()
    assert run_browser(denied["verificationUriComplete"]).returncode == 0
    with pytest.raises(oidc.exceptions.AccessDeniedException):
        poll(denied)

    emu.knobs.deny = False
    late = start()
    emu.knobs.clock_offset = 601
    with pytest.raises(oidc.exceptions.ExpiredTokenException):
        poll(late)

    emu.knobs.clock_offset = 0
    emu.knobs.update({"device_poll_strict": True, "device_interval": 5})
    eager = start()
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        poll(eager)
    with pytest.raises(oidc.exceptions.SlowDownException):
        poll(eager)


def test_expired_registration_is_invalid_client(emu: Emulator, aws: boto3.Session) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(oidc)
    assert emu.expire("registrations") == 1
    with pytest.raises(oidc.exceptions.InvalidClientException) as exc:
        oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=COMPANY_1
        )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


# --- authorization code with PKCE ---------------------------------------------------------------


class _Callback(BaseHTTPRequestHandler):
    """The app's one-shot loopback listener."""

    received: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        type(self).received = dict(parse_qsl(urlsplit(self.path).query))
        body = b"You can close this window."
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def pkce_login(emu: Emulator, oidc: Any, reg: dict[str, Any]) -> tuple[dict[str, str], str, str]:
    """Open the authorize URL in the stand-in browser the way webbrowser does with $BROWSER."""
    listener = HTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=listener.handle_request, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{listener.server_address[1]}/oauth/callback"
    verifier = secrets.token_urlsafe(48)[:64]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = "0b7b6b6e-6d4c-4c38-9d0a-1f4c0d3b6a55"
    url = f"{emu.url}/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": reg["clientId"],
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": "sso:account:access",
            "code_challenge": challenge.rstrip(b"=").decode(),
        }
    )
    assert webbrowser.GenericBrowser([*BROWSER, "%s"]).open(url)
    listener.server_close()
    assert _Callback.received.get("state") == state
    return _Callback.received, verifier, redirect_uri


def test_pkce_flow_end_to_end(emu: Emulator, aws: boto3.Session) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(
        oidc,
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=COMPANY_1,
    )
    callback, verifier, redirect_uri = pkce_login(emu, oidc, reg)
    args = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": "authorization_code",
        "code": callback["code"],
        "redirectUri": redirect_uri,
    }
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**args, codeVerifier=verifier[::-1])  # wrong verifier burns the code

    callback, verifier, redirect_uri = pkce_login(emu, oidc, reg)
    args.update(code=callback["code"], redirectUri=redirect_uri)
    token = oidc.create_token(**args, codeVerifier=verifier)
    assert token["refreshToken"]
    accounts = client(aws, "sso").list_accounts(accessToken=token["accessToken"])["accountList"]
    assert [a["accountName"] for a in accounts] == ["Company-1"]
    with pytest.raises(oidc.exceptions.UnauthorizedClientException):
        oidc.start_device_authorization(  # a PKCE registration cannot do device code
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=COMPANY_1
        )


def test_pkce_denied_redirects_with_error(emu: Emulator, aws: boto3.Session) -> None:
    oidc = client(aws, "sso-oidc")
    reg = register(
        oidc,
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=COMPANY_1,
    )
    emu.knobs.deny = True
    callback, _, _ = pkce_login(emu, oidc, reg)
    assert callback["error"] == "access_denied" and "code" not in callback


def test_authorize_page_and_registration_check_redirect_uris(
    emu: Emulator, aws: boto3.Session
) -> None:
    oidc = client(aws, "sso-oidc")
    with pytest.raises(oidc.exceptions.InvalidRedirectUriException):
        register(oidc, redirectUris=["http://example.com/cb"])
    reg = register(
        oidc,
        scopes=["sso:account:access"],
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=COMPANY_1,
    )
    query = {
        "response_type": "code",
        "client_id": reg["clientId"],
        "state": "s",
        "code_challenge_method": "S256",
        "code_challenge": "x" * 43,
    }
    for redirect_uri in ("http://127.0.0.1:1234/elsewhere", "https://evil.example/cb"):
        url = f"{emu.url}/authorize?" + urlencode({**query, "redirect_uri": redirect_uri})
        with pytest.raises(urllib.error.HTTPError) as exc:  # an error page, never a redirect
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5)
        assert exc.value.code == 400


# --- refresh, logout, expiry ------------------------------------------------------------------


def test_refresh_rotates_and_dead_refresh_token_is_invalid_grant(
    emu: Emulator, aws: boto3.Session
) -> None:
    oidc = client(aws, "sso-oidc")
    first = device_login(emu, aws)
    creds = {"clientId": first["clientId"], "clientSecret": first["clientSecret"]}
    second = oidc.create_token(
        **creds, grantType="refresh_token", refreshToken=first["refreshToken"]
    )
    assert second["accessToken"] != first["accessToken"]
    assert second["refreshToken"] != first["refreshToken"]
    for dead in (first["refreshToken"], "aorNoSuchToken"):
        with pytest.raises(oidc.exceptions.InvalidGrantException) as exc:
            oidc.create_token(**creds, grantType="refresh_token", refreshToken=dead)
        assert exc.value.response["error_description"] == "Invalid grant provided"
    # The old access token stays valid until it expires; the new one works too.
    for token in (first["accessToken"], second["accessToken"]):
        assert client(aws, "sso").list_accounts(accessToken=token)["accountList"]


def test_logout_revokes_the_session_but_not_issued_role_keys(
    emu: Emulator, aws: boto3.Session
) -> None:
    login = device_login(emu, aws)
    keys = role_credentials(aws, login["accessToken"])
    sso, oidc = client(aws, "sso"), client(aws, "sso-oidc")
    sso.logout(accessToken=login["accessToken"])
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=login["accessToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(
            clientId=login["clientId"],
            clientSecret=login["clientSecret"],
            grantType="refresh_token",
            refreshToken=login["refreshToken"],
        )
    assert sts_for(aws, keys).get_caller_identity()["Account"] == "222233334444"


def test_expired_access_token_is_unauthorized(emu: Emulator, aws: boto3.Session) -> None:
    token = device_login(emu, aws)["accessToken"]
    sso = client(aws, "sso")
    emu.knobs.clock_offset = 8 * 3600 + 1
    with pytest.raises(sso.exceptions.UnauthorizedException) as exc:
        sso.get_role_credentials(accessToken=token, accountId="222233334444", roleName="ReadOnly")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    emu.knobs.clock_offset = 0
    assert sso.list_accounts(accessToken=token)["accountList"]
    assert control(emu, "expire", {"what": "access_tokens"}) == {"expired": 1}
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token)


# --- portal -----------------------------------------------------------------------------------


def test_role_credentials_sign_get_caller_identity_as_that_role(
    emu: Emulator, aws: boto3.Session
) -> None:
    keys = role_credentials(aws, device_login(emu, aws)["accessToken"])
    assert keys["accessKeyId"].startswith("ASIA")
    assert abs(keys["expiration"] / 1000 - (emu.now() + 3600)) < 5
    identity = sts_for(aws, keys).get_caller_identity()
    assert identity["Account"] == "222233334444"
    role_arn = identity["Arn"].split("/")
    assert role_arn[0] == "arn:aws:sts::222233334444:assumed-role"
    assert role_arn[1].startswith("AWSReservedSSO_ReadOnly_") and role_arn[2] == "jane.doe"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":jane.doe")


def test_unreachable_account_or_role_is_forbidden(emu: Emulator, aws: boto3.Session) -> None:
    token = device_login(emu, aws)["accessToken"]
    sso = client(aws, "sso")
    for account, role in (("111122223333", "Administrator"), ("222233334444", "Billing")):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            sso.get_role_credentials(accessToken=token, accountId=account, roleName=role)
        assert error_code(exc) == "ForbiddenException"


def test_pagination_of_250_accounts(emu: Emulator, aws: boto3.Session) -> None:
    start_url = "https://d-0000000250.awsapps.com/start"
    emu.directory.add(big_org(start_url, accounts=250, roles=3))
    token = device_login(emu, aws, start_url)["accessToken"]
    sso = client(aws, "sso")
    emu.clear_calls()
    pages = list(
        sso.get_paginator("list_accounts").paginate(
            accessToken=token, PaginationConfig={"PageSize": 100}
        )
    )
    ids = [a["accountId"] for page in pages for a in page["accountList"]]
    assert [len(p["accountList"]) for p in pages] == [100, 100, 50]
    assert len(set(ids)) == 250
    assert len(emu.calls("ListAccounts")) == 3
    roles = sso.list_account_roles(accessToken=token, accountId=ids[-1])["roleList"]
    assert [r["roleName"] for r in roles] == ["ReadOnly", "Administrator", "PowerUser"]
    with pytest.raises(sso.exceptions.InvalidRequestException):
        sso.list_accounts(accessToken=token, maxResults=101)


def test_injected_429_surfaces_as_too_many_requests(emu: Emulator, aws: boto3.Session) -> None:
    token = device_login(emu, aws)["accessToken"]
    sso = client(aws, "sso", config=NO_RETRY)
    slow = {"status": 429, "type": "TooManyRequestsException", "message": "Slow", "times": 2}
    control(emu, "knobs", {"errors": {"ListAccounts": [slow]}})  # replaces all queues
    emu.inject("GetRoleCredentials", 429, "TooManyRequestsException", "Rate exceeded")
    with pytest.raises(sso.exceptions.TooManyRequestsException) as exc:
        sso.get_role_credentials(accessToken=token, accountId="222233334444", roleName="ReadOnly")
    assert exc.value.response["Error"]["Message"] == "Rate exceeded"
    assert sso.get_role_credentials(
        accessToken=token, accountId="222233334444", roleName="ReadOnly"
    )["roleCredentials"]
    for _ in range(2):
        with pytest.raises(sso.exceptions.TooManyRequestsException):
            sso.list_accounts(accessToken=token)
    assert sso.list_accounts(accessToken=token)["accountList"]
    assert control(emu, "knobs")["errors"] == {}


# --- STS --------------------------------------------------------------------------------------


def test_sts_rejects_bad_signatures_tokens_and_expired_keys(
    emu: Emulator, aws: boto3.Session
) -> None:
    keys = role_credentials(aws, device_login(emu, aws)["accessToken"])
    wrong_secret = {**keys, "secretAccessKey": "x" * 40}
    wrong_token = {**keys, "sessionToken": "bogus"}
    unknown = {**keys, "accessKeyId": "ASIAUNKNOWNUNKNOWN00"}
    cases = [
        (wrong_secret, "SignatureDoesNotMatch"),
        (wrong_token, "InvalidClientTokenId"),
        (unknown, "InvalidClientTokenId"),
    ]
    for creds, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            sts_for(aws, creds).get_caller_identity()
        assert error_code(exc) == code
    emu.expire("role_credentials")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        sts_for(aws, keys).get_caller_identity()
    assert error_code(exc) == "ExpiredToken"


def test_assume_role_chain_and_mfa(emu: Emulator, aws: boto3.Session) -> None:
    sso_keys = role_credentials(aws, device_login(emu, aws)["accessToken"], role="Administrator")
    first = sts_for(aws, sso_keys).assume_role(
        RoleArn="arn:aws:iam::222233334444:role/Deploy", RoleSessionName="awsenv"
    )
    assert first["AssumedRoleUser"]["Arn"] == "arn:aws:sts::222233334444:assumed-role/Deploy/awsenv"
    hop = sts_for(aws, first["Credentials"])
    assert hop.get_caller_identity()["Arn"] == first["AssumedRoleUser"]["Arn"]
    second = hop.assume_role(
        RoleArn="arn:aws:iam::333344445555:role/ops/Audit", RoleSessionName="chain"
    )
    identity = sts_for(aws, second["Credentials"]).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::333344445555:assumed-role/Audit/chain"
    assert identity["UserId"] == second["AssumedRoleUser"]["AssumedRoleId"]

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        hop.assume_role(
            RoleArn="arn:aws:iam::333344445555:role/X", RoleSessionName="hop2", DurationSeconds=7200
        )
    assert error_code(exc) == "ValidationError"  # role chaining is capped at one hour
    mfa = {
        "SerialNumber": "arn:aws:iam::222233334444:mfa/jane",
        "RoleSessionName": "mfa",
        "RoleArn": "arn:aws:iam::222233334444:role/Admin",
    }
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        hop.assume_role(**mfa, TokenCode="000000")
    assert error_code(exc) == "AccessDenied"
    emu.knobs.mfa_code = "424242"
    assert hop.assume_role(**mfa, TokenCode="424242")["Credentials"]["AccessKeyId"]


def test_static_user_keys_and_get_session_token(emu: Emulator, aws: boto3.Session) -> None:
    user = control(emu, "users", {"arn": "arn:aws:iam::111122223333:user/alice"})
    assert user["AccessKeyId"].startswith("AKIA")
    sts = client(
        aws,
        "sts",
        {
            "aws_access_key_id": user["AccessKeyId"],
            "aws_secret_access_key": user["SecretAccessKey"],
        },
    )
    identity = sts.get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::111122223333:user/alice"
    assert identity["UserId"].startswith("AIDA")
    session = sts.get_session_token(
        SerialNumber="arn:aws:iam::111122223333:mfa/alice", TokenCode="123456"
    )
    assert sts_for(aws, session["Credentials"]).get_caller_identity()["Arn"] == identity["Arn"]
    assumed = sts.assume_role(
        RoleArn="arn:aws:iam::111122223333:role/Admin",
        RoleSessionName="alice",
        DurationSeconds=7200,
    )
    expires = assumed["Credentials"]["Expiration"]
    assert abs(expires.timestamp() - (emu.now() + 7200)) < 5


# --- botocore's own SSO credential provider ---------------------------------------------------


def test_botocore_sso_provider_refreshes_and_signs(
    emu: Emulator, aws: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = device_login(emu, aws)
    cache = tmp_path / ".aws" / "sso" / "cache"
    # botocore fixes the cache directory when imported, before HOME was changed.
    for provider in (botocore.tokens.SSOTokenProvider, botocore.credentials.SSOProvider):
        monkeypatch.setattr(provider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    (tmp_path / "config").write_text(
        "[profile Company-1-ReadOnly]\nsso_session = company-1-sso\n"
        "sso_account_id = 222233334444\nsso_role_name = ReadOnly\n\n"
        f"[sso-session company-1-sso]\nsso_start_url = {COMPANY_1}\nsso_region = {REGION}\n"
        "sso_registration_scopes = sso:account:access\n"
    )
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    soon = datetime.now(timezone.utc) + timedelta(minutes=5)  # inside the refresh window
    cache.mkdir(parents=True)
    cache_file = cache / (hashlib.sha1(b"company-1-sso").hexdigest() + ".json")
    cache_file.write_text(
        json.dumps(
            {
                "startUrl": COMPANY_1,
                "region": REGION,
                "accessToken": login["accessToken"],
                "expiresAt": soon.strftime(fmt),
                "clientId": login["clientId"],
                "clientSecret": login["clientSecret"],
                "registrationExpiresAt": (soon + timedelta(days=80)).strftime(fmt),
                "refreshToken": login["refreshToken"],
            }
        )
    )
    emu.clear_calls()
    session = boto3.Session(profile_name="Company-1-ReadOnly", region_name=REGION)
    arn = session.client("sts").get_caller_identity()["Arn"]
    assert "assumed-role/AWSReservedSSO_ReadOnly_" in arn
    assert [c.operation for c in emu.calls()] == [
        "CreateToken",
        "GetRoleCredentials",
        "GetCallerIdentity",
    ]
    assert emu.calls()[0].params["grantType"] == "refresh_token"
    assert json.loads(cache_file.read_text())["accessToken"] != login["accessToken"]


# --- control API, call log, persistence, standalone -------------------------------------------


def test_knobs_over_http_and_reset(emu: Emulator, aws: boto3.Session) -> None:
    knobs = control(emu, "knobs", {"access_token_ttl": 60, "latency": 0.01})
    assert knobs["access_token_ttl"] == 60 and emu.knobs.latency == 0.01
    assert device_login(emu, aws)["expiresIn"] == 60
    with pytest.raises(urllib.error.HTTPError) as exc:
        control(emu, "knobs", {"no_such_knob": 1})
    assert exc.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        control(emu, "knobs", {"issue_refresh_tokens": "yes"})
    control(emu, "reset", {})
    assert control(emu, "knobs")["access_token_ttl"] == 8 * 3600
    assert control(emu, "calls") == {"calls": []}


def test_call_log_names_operations_but_holds_no_secrets(emu: Emulator, aws: boto3.Session) -> None:
    login = device_login(emu, aws)
    keys = role_credentials(aws, login["accessToken"])
    sts_for(aws, keys).get_caller_identity()
    logged = json.dumps(control(emu, "calls"))
    for secret in (
        login["accessToken"],
        login["refreshToken"],
        login["clientSecret"],
        keys["secretAccessKey"],
        keys["sessionToken"],
    ):
        assert secret not in logged
    calls = control(emu, "calls")["calls"]
    assert [c["operation"] for c in calls] == [
        "RegisterClient",
        "StartDeviceAuthorization",
        "CreateToken",
        "GetRoleCredentials",
        "GetCallerIdentity",
    ]
    assert calls[3]["params"] == {"account_id": "222233334444", "role_name": "ReadOnly"}
    assert calls[4]["params"] == {"AccessKeyId": keys["accessKeyId"]}


def test_state_file_keeps_sessions_across_restarts(
    aws: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_file = tmp_path / "state.json"
    with Emulator(state_file=state_file) as first:
        for name, value in first.env().items():
            monkeypatch.setenv(name, value)
        token = device_login(first, aws)["accessToken"]
    assert state_file.stat().st_mode & 0o777 == 0o600
    with Emulator(state_file=state_file) as second:
        sso = aws.client("sso", endpoint_url=second.url)
        assert sso.list_accounts(accessToken=token)["accountList"]


def test_standalone_module_prints_url_and_serves_until_killed(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "awsenv.emulator",
            "--port",
            "0",
            "--state-file",
            str(tmp_path / "state.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{url}/_emulator/knobs", timeout=5) as resp:
            assert json.load(resp)["role_credentials_ttl"] == 3600
    finally:
        proc.terminate()
        deadline = time.monotonic() + 5
        assert proc.wait(timeout=max(0.1, deadline - time.monotonic())) == 0
