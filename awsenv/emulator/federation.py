"""The federation endpoint (signin.aws.amazon.com/federation): getSigninToken, then login.

getSigninToken takes a JSON `Session` of temporary role credentials (from GetRoleCredentials or
AssumeRole; long-term keys and GetSessionToken results are refused, as the real endpoint does)
and returns a sign-in token valid 15 minutes. `login` with that token stands for the console:
a page naming the signed-in role and the destination, never a redirect off the machine.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from . import ids
from .context import Context
from .protocol import Request, Response, ServiceError, json_response, page
from .state import AwsKey

PATH = "/federation"
TOKEN_TTL = 900
_ROLE_KINDS = ("sso-role", "assumed-role")


def endpoint(base_url: str) -> str:
    """What AWSENV_FEDERATION_ENDPOINT is set to for the emulator at `base_url`."""
    return base_url + PATH


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequest", message)


def _session(req: Request) -> dict[str, Any]:
    try:
        session = json.loads(req.query.get("Session", ""))
    except ValueError:
        raise _bad("Session must be a JSON object") from None
    if not isinstance(session, dict):
        raise _bad("Session must be a JSON object")
    return session


def _role_key(ctx: Context, session: dict[str, Any]) -> AwsKey:
    key = ctx.state.keys.get(str(session.get("sessionId", "")))
    if (
        key is None
        or session.get("sessionKey") != key.secret_access_key
        or session.get("sessionToken") != key.session_token
    ):
        raise ServiceError(403, "InvalidCredentials", "The credentials are not valid")
    if key.kind not in _ROLE_KINDS:
        raise ServiceError(403, "InvalidCredentials", "Only role credentials can sign in")
    if key.expires_at is not None and key.expires_at <= ctx.now():
        raise ServiceError(403, "ExpiredCredentials", "The credentials have expired")
    return key


def _signin_token(ctx: Context, req: Request) -> Response:
    key = _role_key(ctx, _session(req))
    claims = {"k": key.access_key_id, "e": int(ctx.now()) + TOKEN_TTL, "n": ids.request_id()}
    token = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return json_response({"SigninToken": token})


def _login(ctx: Context, req: Request) -> Response:
    raw = req.query.get("SigninToken", "")
    try:
        claims = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        key = ctx.state.keys[str(claims["k"])]
        expires = float(claims["e"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ServiceError(400, "InvalidSigninToken", "The sign-in token is not valid") from None
    if expires <= ctx.now():
        raise ServiceError(400, "ExpiredSigninToken", "The sign-in token has expired")
    target = req.query.get("Destination", "")
    if not target.startswith("https://"):
        raise _bad("Destination must be an https URL")
    return page(200, "AWS Management Console", f"Signed in as {key.arn}. Destination: {target}")


def handle(ctx: Context, req: Request) -> Response:
    action = req.query.get("Action", "")
    if action == "getSigninToken":
        return _signin_token(ctx, req)
    if action == "login":
        return _login(ctx, req)
    raise _bad(f"Unknown Action {action!r}")
