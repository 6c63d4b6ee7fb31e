"""IAM Identity Center over the wire, through boto3: sign-in flows, refresh, role credentials.

Every call goes through the real boto3 clients, so `AWS_ENDPOINT_URL_SSO_OIDC`/`_SSO` and
`services` sections reach the same endpoints as the AWS CLI. Errors leave this module as
awsenv errors with one-line messages; secrets never appear in them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import botocore.exceptions

from awsenv import tokens, ui
from awsenv.awsapi import THROTTLING, InvalidClient, TokenRejected
from awsenv.awsapi import client as _aws_client
from awsenv.awsapi import service_errors as _service_errors
from awsenv.config import SsoTarget
from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError, LoginDenied
from awsenv.timefmt import utc_now

PKCE_GRANT_TYPES = ["authorization_code", "refresh_token"]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT_URI = "http://127.0.0.1/oauth/callback"
# How long a sign-in may wait for the user in the browser.
LOGIN_TIMEOUT = 600.0


# --- client registration -------------------------------------------------------------------


def _registration(oidc: Any, target: SsoTarget, grant_types: list[str] | None) -> dict[str, Any]:
    """A client registration for the flow from the AWS CLI's cache, or a new one written to it.

    The AWS CLI v2 keeps one registration file per session (its key names no flow) and
    reuses it only for the flow it was made for: PKCE wants `grantTypes`, the device flow a
    registration without authorization_code. One made for the other flow is replaced.
    """
    path = _registration_path(target)
    cached = tokens.load_registration(path, utc_now(), grant_types)
    if cached is not None:
        return cached
    return _register(oidc, target, grant_types)


def _registration_path(target: SsoTarget) -> Path:
    scopes = list(target.scopes) if target.scopes is not None else None
    return tokens.registration_path(target.start_url, target.region, scopes, target.session_name)


def _register(oidc: Any, target: SsoTarget, grant_types: list[str] | None) -> dict[str, Any]:
    scopes = list(target.scopes) if target.scopes is not None else None
    name = target.session_name or str(int(time.time()))
    request: dict[str, Any] = {"clientName": f"botocore-client-{name}", "clientType": "public"}
    register_scopes = scopes
    if grant_types:
        register_scopes = scopes or ["sso:account:access"]
        request.update(
            grantTypes=grant_types, redirectUris=[REDIRECT_URI], issuerUrl=target.start_url
        )
    if register_scopes:
        request["scopes"] = register_scopes
    with _service_errors("RegisterClient"):
        response = oidc.register_client(**request)
    return tokens.save_registration(
        _registration_path(target),
        client_id=response["clientId"],
        client_secret=response["clientSecret"],
        expires_at=datetime.fromtimestamp(response["clientSecretExpiresAt"], timezone.utc),
        scopes=register_scopes,
        grant_types=grant_types,
    )


def _save(
    target: SsoTarget,
    response: dict[str, Any],
    registration: dict[str, Any] | None,
    issued: datetime,
) -> tokens.SsoToken:
    return tokens.save_token(
        target.start_url,
        target.session_name,
        region=target.region,
        access_token=response["accessToken"],
        expires_at=issued + timedelta(seconds=response["expiresIn"]),
        # Legacy (start-URL) tokens carry no registration: botocore never refreshes them.
        registration=registration if target.session_name else None,
        refresh_token=response.get("refreshToken") if target.session_name else None,
    )


# --- sign-in flows --------------------------------------------------------------------------


def login(target: SsoTarget, *, device_code: bool, no_browser: bool) -> tokens.SsoToken:
    """Sign in interactively and cache the token; PKCE unless device code is asked for.

    A cached client registration the service rejects is dropped and replaced, once.
    """
    oidc = _aws_client("sso-oidc", target.region)
    ui.say(f"signing in to {target.label} ({target.start_url})")
    device = device_code or target.session_name is None
    flow = _device_login if device else _pkce_login
    grant_types = None if device else PKCE_GRANT_TYPES
    registration = _registration(oidc, target, grant_types)
    try:
        return flow(oidc, target, registration, no_browser)
    except InvalidClient:
        ui.say(
            f"the service rejected the cached client registration for {target.label}; "
            "registering again"
        )
    _registration_path(target).unlink(missing_ok=True)
    return flow(oidc, target, _register(oidc, target, grant_types), no_browser)


def _show(url: str, no_browser: bool, user_code: str | None = None) -> None:
    if user_code:
        ui.say(f"check that the sign-in page shows the code {user_code}")
    opened = False
    if not no_browser:
        ui.say("opening the sign-in page in your browser")
        try:
            opened = webbrowser.open_new_tab(url)
        except webbrowser.Error:
            opened = False
    if not opened:
        ui.say(f"open this URL to sign in:\n\n    {url}\n")


def _device_login(
    oidc: Any, target: SsoTarget, registration: dict[str, Any], no_browser: bool
) -> tokens.SsoToken:
    with _service_errors("StartDeviceAuthorization"):
        auth = oidc.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl=target.start_url,
        )
    interval = float(auth.get("interval") or 5)
    deadline = time.monotonic() + min(float(auth.get("expiresIn") or LOGIN_TIMEOUT), LOGIN_TIMEOUT)
    _show(auth["verificationUriComplete"], no_browser, auth.get("userCode"))
    while True:
        issued = utc_now()
        response = None
        with _service_errors("CreateToken"):
            try:
                response = oidc.create_token(
                    grantType=DEVICE_GRANT,
                    clientId=registration["clientId"],
                    clientSecret=registration["clientSecret"],
                    deviceCode=auth["deviceCode"],
                )
            except oidc.exceptions.AuthorizationPendingException:
                pass
            except oidc.exceptions.SlowDownException:
                interval += 5
            except oidc.exceptions.ExpiredTokenException:
                raise LoginDenied("the sign-in was not completed in time") from None
            except oidc.exceptions.AccessDeniedException:
                raise LoginDenied("the sign-in was denied") from None
        if response is not None:
            return _save(target, response, registration, issued)
        if time.monotonic() + interval > deadline:
            raise LoginDenied("the sign-in was not completed in time")
        time.sleep(interval)


class _CallbackServer(HTTPServer):
    """The one-shot loopback listener that receives the authorization code."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.result: dict[str, list[str]] | None = None
        self.done = threading.Event()


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/oauth/callback":
            self.send_error(404)
            return
        query = parse_qs(url.query)
        ok = "code" in query and "error" not in query
        body = b"awsenv: signed in. You can close this tab." if ok else b"awsenv: sign-in refused."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.result = query
        self.server.done.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the authorization code: never log it


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is the page at work; following it could use up the code


def _page_refuses(url: str) -> bool:
    """True when the authorize page answers 400, as it does to a client registration it does
    not know: the browser would only show an error, and the sign-in would wait for nothing."""
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(url, timeout=10):
            return False
    except urllib.error.HTTPError as exc:
        return exc.code == 400
    except (urllib.error.URLError, OSError, ValueError):
        return False  # the browser may still get through; it has until LOGIN_TIMEOUT


def _pkce_pair() -> tuple[str, str]:
    alphabet = string.ascii_letters + string.digits + "-._~"
    verifier = "".join(secrets.choice(alphabet) for _ in range(64))
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _pkce_login(
    oidc: Any, target: SsoTarget, registration: dict[str, Any], no_browser: bool
) -> tokens.SsoToken:
    verifier, challenge = _pkce_pair()
    state = str(uuid.uuid4())
    server = _CallbackServer()
    redirect_uri = f"http://127.0.0.1:{server.server_port}/oauth/callback"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": registration["clientId"],
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": " ".join(target.scopes or ["sso:account:access"]),
        }
    )
    url = f"{oidc.meta.endpoint_url.rstrip('/')}/authorize?{query}&code_challenge={challenge}"
    if _page_refuses(url):
        server.server_close()
        raise InvalidClient("the sign-in page refused the client registration (HTTP 400)")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        _show(url, no_browser)
        if not server.done.wait(LOGIN_TIMEOUT):
            raise LoginDenied("the sign-in was not completed in time")
    finally:
        server.shutdown()
        server.server_close()
    result = server.result or {}
    if "error" in result:
        raise LoginDenied(f"the sign-in was denied ({result['error'][0]})")
    if result.get("state", [""])[0] != state:
        raise LoginDenied("the sign-in answer did not match this request (state mismatch)")
    issued = utc_now()
    with _service_errors("CreateToken"):
        response = oidc.create_token(
            grantType="authorization_code",
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            redirectUri=redirect_uri,
            codeVerifier=verifier,
            code=result["code"][0],
        )
    return _save(target, response, registration, issued)


# --- refresh, role credentials, logout ------------------------------------------------------


def refresh(target: SsoTarget, token: tokens.SsoToken) -> tokens.SsoToken:
    """Renew an access token with its refresh token, as botocore does (InvalidGrant if dead)."""
    oidc = _aws_client("sso-oidc", target.region)
    data = token.data
    issued = utc_now()
    with _service_errors("CreateToken (refresh)"):
        response = oidc.create_token(
            grantType="refresh_token",
            clientId=data["clientId"],
            clientSecret=data["clientSecret"],
            refreshToken=data["refreshToken"],
        )
    registration = {
        "clientId": data["clientId"],
        "clientSecret": data["clientSecret"],
        "expiresAt": data["registrationExpiresAt"],
    }
    if "refreshToken" not in response:
        response = {**response, "refreshToken": data["refreshToken"]}
    return _save(target, response, registration, issued)


def role_credentials(target: SsoTarget, token: tokens.SsoToken) -> Credentials:
    portal = _aws_client("sso", target.region)
    with _service_errors(f"GetRoleCredentials for {target.account_id}/{target.role_name}"):
        response = portal.get_role_credentials(
            roleName=target.role_name, accountId=target.account_id, accessToken=token.access_token
        )
    creds = response["roleCredentials"]
    return Credentials(
        creds["accessKeyId"],
        creds["secretAccessKey"],
        creds["sessionToken"],
        datetime.fromtimestamp(creds["expiration"] / 1000, timezone.utc).replace(microsecond=0),
        target.account_id,
    )


def logout(region: str, access_token: str) -> str | None:
    """Revoke a token at the portal: None when done (or the token was dead already), else why
    not. Never raises: the caller deletes the token either way, as the AWS CLI does."""
    try:
        with _service_errors("Logout"):
            _aws_client("sso", region).logout(accessToken=access_token)
    except TokenRejected:
        return None
    except AwsenvError as exc:  # a bad region included: the client is made in here
        return exc.message.removeprefix("Logout: ")
    return None


# --- the portal's account and role listing (ListAccounts, ListAccountRoles) -----------------

# The most the portal returns in one page of either listing.
PAGE_SIZE = 100


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    account_name: str
    email: str


@dataclass
class Backoff:
    """Exponential backoff with full jitter for throttled calls (TooManyRequestsException),
    shared by the threads of one listing: a throttled call pauses them all, so they do not
    keep hammering the service while one of them waits."""

    base: float = 0.2
    cap: float = 8.0
    attempts: int = 10
    on_throttle: Callable[[], None] | None = None
    _resume_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))

    def throttled(self, attempt: int) -> None:
        """Pause every caller for this attempt's delay (the longest pause asked for wins)."""
        if self.on_throttle is not None:
            self.on_throttle()
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + self.delay(attempt))

    def wait(self) -> None:
        """Sleep while a pause is in force."""
        while True:
            with self._lock:
                left = self._resume_at - time.monotonic()
            if left <= 0:
                return
            time.sleep(left)


def portal_client(region: str, connections: int) -> Any:
    """An unsigned portal client for `connections` threads at once.

    Throttling is retried by `Backoff` (the caller's policy), not by botocore (see
    awsapi.PATIENCE); its connection pool is sized to the threads.
    """
    return _aws_client("sso", region, calls="sso-listing", max_pool_connections=max(connections, 1))


def _call(fetch: Callable[[], dict[str, Any]], what: str, backoff: Backoff) -> dict[str, Any]:
    """One portal call, retried after a backoff while the portal answers with throttling."""
    with _service_errors(what):
        attempt = 0
        while True:
            backoff.wait()
            try:
                return fetch()
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                throttled = code in THROTTLING or status == 429
                if not throttled or attempt + 1 >= backoff.attempts:
                    raise
            backoff.throttled(attempt)
            attempt += 1


def account_pages(
    portal: Any, access_token: str, backoff: Backoff, page_size: int = PAGE_SIZE
) -> Iterator[list[AccountInfo]]:
    """The accounts the signed-in user can reach, one page at a time (ListAccounts)."""
    next_token: str | None = None
    while True:
        request: dict[str, Any] = {"accessToken": access_token, "maxResults": page_size}
        if next_token:
            request["nextToken"] = next_token
        response = _call(
            functools.partial(portal.list_accounts, **request), "ListAccounts", backoff
        )
        yield [
            AccountInfo(
                str(a["accountId"]),
                str(a.get("accountName") or ""),
                str(a.get("emailAddress") or ""),
            )
            for a in response.get("accountList", [])
        ]
        next_token = response.get("nextToken")
        if not next_token:
            return


def account_roles(
    portal: Any, access_token: str, account_id: str, backoff: Backoff, page_size: int = PAGE_SIZE
) -> list[str]:
    """The role (permission set) names the user has in one account (ListAccountRoles)."""
    roles: list[str] = []
    next_token: str | None = None
    while True:
        request: dict[str, Any] = {
            "accessToken": access_token,
            "accountId": account_id,
            "maxResults": page_size,
        }
        if next_token:
            request["nextToken"] = next_token
        response = _call(
            functools.partial(portal.list_account_roles, **request),
            f"ListAccountRoles for {account_id}",
            backoff,
        )
        roles.extend(str(r["roleName"]) for r in response.get("roleList", []))
        next_token = response.get("nextToken")
        if not next_token:
            return roles
