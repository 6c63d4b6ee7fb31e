"""STS (query protocol, XML): GetCallerIdentity, AssumeRole, GetSessionToken."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from . import ids
from .context import Context
from .protocol import Request, Response, ServiceError, xml_response
from .sigv4 import parse_authorization, signature_matches
from .state import AwsKey

VERSION = "2011-06-15"
_ROLE_ARN_RE = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")
_USER_ARN_RE = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):user/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
_CHAIN_LIMIT = 3600  # role chaining caps sessions at one hour
_INVALID_TOKEN = "The security token included in the request is invalid."


def _validation(message: str) -> ServiceError:
    return ServiceError(400, "ValidationError", message)


def _access_denied(message: str) -> ServiceError:
    return ServiceError(403, "AccessDenied", message)


def _caller(ctx: Context, req: Request) -> AwsKey:
    """Who signed this request, checked the way STS checks it."""
    auth = parse_authorization(req.header("authorization"))
    if auth is None:
        raise ServiceError(
            403, "MissingAuthenticationToken", "Request is missing Authentication Token"
        )
    key = ctx.state.keys.get(auth.access_key_id)
    if key is None or req.header("x-amz-security-token") != key.session_token:
        raise ServiceError(403, "InvalidClientTokenId", _INVALID_TOKEN)
    if key.expires_at is not None and key.expires_at <= ctx.now():
        raise ServiceError(
            400, "ExpiredToken", "The security token included in the request is expired"
        )
    if not signature_matches(req, auth, key.secret_access_key):
        raise ServiceError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.",
        )
    return key


def _duration(form: Mapping[str, str], default: int, low: int, high: int) -> int:
    try:
        seconds = int(form.get("DurationSeconds", default))
    except ValueError:
        raise _validation("DurationSeconds must be an integer") from None
    if not low <= seconds <= high:
        raise _validation(
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value between {low} and {high}"
        )
    return seconds


def _check_mfa(ctx: Context, form: Mapping[str, str]) -> None:
    serial, code = form.get("SerialNumber"), form.get("TokenCode")
    if not serial and not code:
        return
    if not (serial and code):
        raise _access_denied(
            "MultiFactorAuthentication failed, must provide both MFA serial number "
            "and one time pass code."
        )
    if code != ctx.knobs.mfa_code:
        raise _access_denied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code."
        )


def _issue(
    ctx: Context, expires_at: float, account_id: str, arn: str, user_id: str, kind: str
) -> AwsKey:
    key = AwsKey(
        access_key_id=ids.access_key_id("ASIA"),
        secret_access_key=ids.secret_access_key(),
        session_token=ids.session_token(),
        expires_at=expires_at,
        account_id=account_id,
        arn=arn,
        user_id=user_id,
        kind=kind,
    )
    ctx.state.keys[key.access_key_id] = key
    return key


def _credentials_xml(key: AwsKey, expires_at: float) -> dict[str, str]:
    expiration = datetime.fromtimestamp(expires_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "SessionToken": key.session_token or "",
        "Expiration": expiration,
    }


def _result(action: str, result: Mapping[str, Any], request_id: str) -> Response:
    return xml_response(
        f"{action}Response",
        {f"{action}Result": result, "ResponseMetadata": {"RequestId": request_id}},
    )


def _assume_role(ctx: Context, caller: AwsKey, form: Mapping[str, str]) -> dict[str, Any]:
    role_arn, session = form.get("RoleArn", ""), form.get("RoleSessionName", "")
    match = _ROLE_ARN_RE.match(role_arn)
    if match is None:
        raise _validation(f"{role_arn} is invalid")
    if not _SESSION_NAME_RE.match(session):
        raise _validation(
            f"1 validation error detected: Value '{session}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    seconds = _duration(form, 3600, 900, 43200)
    if caller.kind in ("sso-role", "assumed-role") and seconds > _CHAIN_LIMIT:
        raise _validation(
            "The requested DurationSeconds exceeds the 1 hour session limit "
            "for roles assumed by role chaining."
        )
    _check_mfa(ctx, form)
    account_id, role_name = match.group(1), match.group(2)
    assumed_id = f"{ids.stable_id('AROA', role_arn)}:{session}"
    arn = f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session}"
    expires_at = ctx.now() + seconds
    key = _issue(ctx, expires_at, account_id, arn, assumed_id, "assumed-role")
    return {
        "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": arn},
        "Credentials": _credentials_xml(key, expires_at),
    }


def _get_session_token(ctx: Context, caller: AwsKey, form: Mapping[str, str]) -> dict[str, Any]:
    if caller.kind != "user":
        raise _access_denied("Cannot call GetSessionToken with session credentials")
    seconds = _duration(form, 43200, 900, 129600)
    _check_mfa(ctx, form)
    expires_at = ctx.now() + seconds
    key = _issue(ctx, expires_at, caller.account_id, caller.arn, caller.user_id, "session")
    return {"Credentials": _credentials_xml(key, expires_at)}


def handle(ctx: Context, req: Request) -> Response:
    form = req.form()
    action = form.get("Action", "")
    if form.get("Version") != VERSION or action not in (
        "GetCallerIdentity",
        "AssumeRole",
        "GetSessionToken",
    ):
        raise ServiceError(
            400,
            "InvalidAction",
            f"Could not find operation {action} for version {form.get('Version', '')}",
        )
    caller = _caller(ctx, req)
    if action == "AssumeRole":
        result = _assume_role(ctx, caller, form)
    elif action == "GetSessionToken":
        result = _get_session_token(ctx, caller, form)
    else:
        result = {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}
    return _result(action, result, req.request_id)


def add_user(
    ctx: Context, arn: str, access_key_id: str | None = None, secret_access_key: str | None = None
) -> AwsKey:
    """Register a long-term IAM user key pair (AKIA...), for static-key profiles."""
    match = _USER_ARN_RE.match(arn)
    if match is None:
        raise ValueError(f"not an IAM user ARN: {arn!r}")
    key = AwsKey(
        access_key_id=access_key_id or ids.access_key_id("AKIA"),
        secret_access_key=secret_access_key or ids.secret_access_key(),
        session_token=None,
        expires_at=None,
        account_id=match.group(1),
        arn=arn,
        user_id=ids.stable_id("AIDA", arn),
        kind="user",
    )
    with ctx.state.lock:
        ctx.state.keys[key.access_key_id] = key
    return key
