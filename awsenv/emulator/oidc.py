"""SSO OIDC: client registration, device and PKCE authorisation, tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

from . import ids
from .context import Context
from .protocol import Request, Response, ServiceError, json_response, page, redirect
from .state import AUTH_CODE_GRANT, DEVICE_GRANT, REFRESH_GRANT, AuthCode, Client, Device, Token

_GRANTS = (DEVICE_GRANT, AUTH_CODE_GRANT, REFRESH_GRANT)
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_AUTH_CODE_TTL = 600
_INVALID_GRANT = "Invalid grant provided"


def _bad_request(code: str, message: str) -> ServiceError:
    return ServiceError(400, code, message)


def _str_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_request("InvalidRequestException", f"{name} must be a list of strings")
    return value


def _required_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _bad_request("InvalidRequestException", f"Missing {name}")
    return value


def _valid_redirect_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    try:
        has_host = bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a malformed port
        return False
    if parts.scheme == "https":
        return has_host
    return has_host and parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


def _redirect_matches(used: str, registered: list[str]) -> bool:
    """Exact match, except that a loopback URI may use any port (RFC 8252 section 7.3)."""
    u = urlsplit(used)
    for reg in registered:
        r = urlsplit(reg)
        if used == reg:
            return True
        if (
            u.scheme == r.scheme == "http"
            and u.hostname == r.hostname
            and u.hostname in _LOOPBACK_HOSTS
            and r.port is None
            and u.path == r.path
        ):
            return True
    return False


def register_client(ctx: Context, req: Request) -> Response:
    body = req.json()
    name = _required_str(body, "clientName")
    if _required_str(body, "clientType") != "public":
        raise _bad_request("InvalidClientMetadataException", "Invalid client type")
    scopes = _str_list(body, "scopes")
    grants = _str_list(body, "grantTypes")
    uris = _str_list(body, "redirectUris")
    issuer = body.get("issuerUrl")
    if any(g not in _GRANTS for g in grants):
        raise _bad_request("UnsupportedGrantTypeException", "Unsupported grant type")
    if any(not _valid_redirect_uri(u) for u in uris):
        raise _bad_request("InvalidRedirectUriException", "Invalid redirect URI")
    if AUTH_CODE_GRANT in grants and not (uris and isinstance(issuer, str) and issuer):
        raise _bad_request(
            "InvalidRequestException", "authorization_code needs redirectUris and issuerUrl"
        )
    now = ctx.now()
    client = Client(
        client_id=ids.opaque("", 16),
        client_secret=ids.opaque("eyJraWQiOiJrZXktMTU2", 96),
        client_name=name,
        scopes=scopes,
        grant_types=grants,
        redirect_uris=uris,
        issuer_url=issuer if isinstance(issuer, str) else None,
        issued_at=now,
        expires_at=now + ctx.knobs.registration_ttl,
    )
    ctx.state.clients[client.client_id] = client
    return json_response(
        {
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "clientIdIssuedAt": int(client.issued_at),
            "clientSecretExpiresAt": int(client.expires_at),
        }
    )


def _client(ctx: Context, body: dict[str, Any]) -> Client:
    client = ctx.state.clients.get(str(body.get("clientId", "")))
    secret = str(body.get("clientSecret", ""))
    if client is None or not hmac.compare_digest(client.client_secret, secret):
        raise ServiceError(401, "InvalidClientException", "Invalid client")
    if client.expires_at <= ctx.now():
        raise ServiceError(401, "InvalidClientException", "Client registration has expired")
    return client


def start_device_authorization(ctx: Context, req: Request) -> Response:
    body = req.json()
    client = _client(ctx, body)
    start_url = _required_str(body, "startUrl")
    if not client.allows(DEVICE_GRANT):
        raise _bad_request("UnauthorizedClientException", "Client may not use the device grant")
    device = Device(
        device_code=ids.opaque("", 64),
        user_code=ids.user_code(),
        client_id=client.client_id,
        start_url=start_url,
        expires_at=ctx.now() + ctx.knobs.device_code_ttl,
    )
    ctx.state.devices[device.device_code] = device
    page_url = f"{ctx.base_url}/device"
    return json_response(
        {
            "deviceCode": device.device_code,
            "userCode": device.user_code,
            "verificationUri": page_url,
            "verificationUriComplete": f"{page_url}?user_code={device.user_code}",
            "expiresIn": ctx.knobs.device_code_ttl,
            "interval": ctx.knobs.device_interval,
        }
    )


def _issue_tokens(
    ctx: Context, client: Client, start_url: str, scopes: list[str], session_id: str
) -> Response:
    now, knobs = ctx.now(), ctx.knobs
    access = Token(
        ids.opaque("aoa", 96),
        session_id,
        client.client_id,
        start_url,
        scopes,
        now + knobs.access_token_ttl,
    )
    ctx.state.access_tokens[access.token] = access
    out: dict[str, Any] = {
        "accessToken": access.token,
        "tokenType": "Bearer",
        "expiresIn": knobs.access_token_ttl,
    }
    # Only scoped registrations (sso-session profiles) get refresh tokens; legacy ones never do.
    if knobs.issue_refresh_tokens and client.scopes:
        refresh = Token(
            ids.opaque("aor", 96),
            session_id,
            client.client_id,
            start_url,
            scopes,
            now + knobs.refresh_token_ttl,
        )
        ctx.state.refresh_tokens[refresh.token] = refresh
        out["refreshToken"] = refresh.token
    return json_response(out)


def _device_token(ctx: Context, client: Client, body: dict[str, Any]) -> Response:
    device = ctx.state.devices.get(str(body.get("deviceCode", "")))
    if device is None or device.client_id != client.client_id or device.status == "used":
        raise _bad_request("InvalidGrantException", _INVALID_GRANT)
    if device.expires_at <= ctx.now():
        raise _bad_request("ExpiredTokenException", "Device code has expired")
    if device.status == "denied":
        raise _bad_request("AccessDeniedException", "The user denied the authorization request")
    if device.status == "pending":
        # Poll spacing is measured in real time: clock_offset jumps must not trip it.
        real_now = time.time()
        too_fast = real_now - device.last_poll < ctx.knobs.device_interval
        device.last_poll = real_now
        if ctx.knobs.device_poll_strict and too_fast:
            raise _bad_request("SlowDownException", "Client is polling too fast")
        raise _bad_request("AuthorizationPendingException", "Authorization is pending")
    device.status = "used"
    return _issue_tokens(ctx, client, device.start_url, client.scopes, ids.opaque("", 12))


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _code_token(ctx: Context, client: Client, body: dict[str, Any]) -> Response:
    code = ctx.state.codes.get(str(body.get("code", "")))
    if (
        code is None
        or code.used
        or code.client_id != client.client_id
        or code.expires_at <= ctx.now()
        or body.get("redirectUri") != code.redirect_uri
    ):
        raise _bad_request("InvalidGrantException", _INVALID_GRANT)
    verifier = body.get("codeVerifier")
    if not isinstance(verifier, str) or not verifier:
        raise _bad_request("InvalidRequestException", "Missing codeVerifier")
    code.used = True  # a code is single-use even when the verifier is wrong
    if not hmac.compare_digest(pkce_challenge(verifier), code.challenge):
        raise _bad_request("InvalidGrantException", _INVALID_GRANT)
    return _issue_tokens(ctx, client, code.start_url, code.scopes, ids.opaque("", 12))


def _refresh_token(ctx: Context, client: Client, body: dict[str, Any]) -> Response:
    old = ctx.state.refresh_tokens.get(str(body.get("refreshToken", "")))
    if (
        old is None
        or old.revoked
        or old.client_id != client.client_id
        or old.expires_at <= ctx.now()
    ):
        raise _bad_request("InvalidGrantException", _INVALID_GRANT)
    if ctx.knobs.single_use_refresh_tokens:
        old.revoked = True
    return _issue_tokens(ctx, client, old.start_url, old.scopes, old.session_id)


def create_token(ctx: Context, req: Request) -> Response:
    body = req.json()
    client = _client(ctx, body)
    grant = _required_str(body, "grantType")
    if grant not in _GRANTS:
        raise _bad_request("UnsupportedGrantTypeException", "Unsupported grant type")
    if not client.allows(grant):
        raise _bad_request("UnauthorizedClientException", "Client may not use this grant type")
    if grant == DEVICE_GRANT:
        return _device_token(ctx, client, body)
    if grant == AUTH_CODE_GRANT:
        return _code_token(ctx, client, body)
    return _refresh_token(ctx, client, body)


def authorize(ctx: Context, req: Request) -> Response:
    """The sign-in and consent page: the user always agrees unless the deny knob is on."""
    q = req.query
    client = ctx.state.clients.get(q.get("client_id", ""))
    if client is None or client.expires_at <= ctx.now() or not client.allows(AUTH_CODE_GRANT):
        raise ServiceError(400, "invalid_client", "Unknown or expired client")
    redirect_uri = q.get("redirect_uri", "")
    if not _redirect_matches(redirect_uri, client.redirect_uris):
        raise ServiceError(400, "invalid_redirect_uri", "Redirect URI is not registered")
    # From here on the browser goes back to the app, errors included (RFC 6749 4.1.2.1).
    state = {"state": q["state"]} if "state" in q else {}
    scopes = q["scopes"].split() if q.get("scopes") else client.scopes
    if q.get("response_type") != "code":
        return redirect(redirect_uri, {"error": "unsupported_response_type", **state})
    if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
        return redirect(redirect_uri, {"error": "invalid_request", **state})
    if any(s not in client.scopes for s in scopes):
        return redirect(redirect_uri, {"error": "invalid_scope", **state})
    if ctx.knobs.deny:
        return redirect(redirect_uri, {"error": "access_denied", **state})
    code = AuthCode(
        code=ids.opaque("", 32),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        challenge=q["code_challenge"],
        start_url=client.issuer_url or "",
        scopes=scopes,
        expires_at=ctx.now() + _AUTH_CODE_TTL,
    )
    ctx.state.codes[code.code] = code
    return redirect(redirect_uri, {"code": code.code, **state})


def decide_device(ctx: Context, user_code: str | None, deny: bool) -> list[str]:
    """Approve (or deny) one pending user code, or all of them; returns the codes decided."""
    wanted = user_code.upper().replace("-", "") if user_code else None
    now, decided = ctx.now(), []
    with ctx.state.lock:
        for device in ctx.state.devices.values():
            if device.status != "pending" or device.expires_at <= now:
                continue
            if wanted is None or device.user_code.replace("-", "") == wanted:
                device.status = "denied" if deny else "approved"
                decided.append(device.user_code)
    return decided


def verify_device(ctx: Context, req: Request) -> Response:
    """The device verification page, visited with ?user_code=... already filled in."""
    user_code = req.query.get("user_code")
    if not user_code:
        return page(200, "Authorize request", "Enter the code shown by your application.")
    if not decide_device(ctx, user_code, ctx.knobs.deny):
        raise ServiceError(400, "invalid_user_code", "This code is invalid or has expired.")
    if ctx.knobs.deny:
        return page(200, "Request denied", "You denied access to the application.")
    return page(200, "Request approved", "You can close this window.")
