"""The SSO portal: list accounts and roles, trade the access token for role keys, log out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from . import ids
from .context import Context
from .directory import Account, Org
from .protocol import Request, Response, ServiceError, json_response
from .state import AwsKey, Token

T = TypeVar("T")
_DEFAULT_PAGE = 20
_MAX_PAGE = 100


def _bad_request(message: str) -> ServiceError:
    return ServiceError(400, "InvalidRequestException", message)


def _token(ctx: Context, req: Request) -> Token:
    value = req.header("x-amz-sso_bearer_token") or ""
    token = ctx.state.access_tokens.get(value)
    if token is None or token.revoked or token.expires_at <= ctx.now():
        raise ServiceError(401, "UnauthorizedException", "Session token not found or invalid")
    return token


def _required(req: Request, name: str) -> str:
    value = req.query.get(name)
    if not value:
        raise _bad_request(f"Missing {name}")
    return value


def _reachable(org: Org, account_id: str) -> Account:
    account = org.account(account_id)
    if account is None:
        raise ServiceError(403, "ForbiddenException", "No access")
    return account


def _page(req: Request, items: Sequence[T]) -> tuple[Sequence[T], str | None]:
    """One page of `items`; the next token is an opaque encoded offset."""
    try:
        size = int(req.query.get("max_result", _DEFAULT_PAGE))
    except ValueError:
        raise _bad_request("max_result must be an integer") from None
    if not 1 <= size <= _MAX_PAGE:
        raise _bad_request(f"max_result must be between 1 and {_MAX_PAGE}")
    start = 0
    if "next_token" in req.query:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(req.query["next_token"]))["o"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _bad_request("Invalid next_token") from None
        if start < 0:
            raise _bad_request("Invalid next_token")
    end = start + size
    token = base64.urlsafe_b64encode(json.dumps({"o": end}).encode()).decode()
    return items[start:end], token if end < len(items) else None


def _with_next(data: dict[str, Any], next_token: str | None) -> Response:
    if next_token is not None:
        data["nextToken"] = next_token
    return json_response(data)


def list_accounts(ctx: Context, req: Request) -> Response:
    org = ctx.directory.org(_token(ctx, req).start_url)
    accounts, next_token = _page(req, org.accounts)
    return _with_next({"accountList": [a.info() for a in accounts]}, next_token)


def list_account_roles(ctx: Context, req: Request) -> Response:
    org = ctx.directory.org(_token(ctx, req).start_url)
    account = _reachable(org, _required(req, "account_id"))
    roles, next_token = _page(req, account.roles)
    return _with_next(
        {"roleList": [{"roleName": r, "accountId": account.account_id} for r in roles]},
        next_token,
    )


def sso_role_arn(account_id: str, permission_set: str, session_name: str) -> str:
    # Identity Center provisions each permission set as AWSReservedSSO_<name>_<16 hex>.
    role = f"AWSReservedSSO_{permission_set}_{ids.stable_hex(account_id + permission_set)}"
    return f"arn:aws:sts::{account_id}:assumed-role/{role}/{session_name}"


def get_role_credentials(ctx: Context, req: Request) -> Response:
    token = _token(ctx, req)
    org = ctx.directory.org(token.start_url)
    role_name = _required(req, "role_name")
    account = _reachable(org, _required(req, "account_id"))
    if role_name not in account.roles:
        raise ServiceError(403, "ForbiddenException", "No access")
    arn = sso_role_arn(account.account_id, role_name, org.user_name)
    expires = ctx.now() + ctx.knobs.role_credentials_ttl
    key = AwsKey(
        access_key_id=ids.access_key_id("ASIA"),
        secret_access_key=ids.secret_access_key(),
        session_token=ids.session_token(),
        expires_at=expires,
        account_id=account.account_id,
        arn=arn,
        user_id=f"{ids.stable_id('AROA', arn.rsplit('/', 1)[0])}:{org.user_name}",
        kind="sso-role",
    )
    ctx.state.keys[key.access_key_id] = key
    return json_response(
        {
            "roleCredentials": {
                "accessKeyId": key.access_key_id,
                "secretAccessKey": key.secret_access_key,
                "sessionToken": key.session_token,
                "expiration": int(expires * 1000),
            }
        }
    )


def logout(ctx: Context, req: Request) -> Response:
    """End the whole sign-in session: its access and refresh tokens. Role keys live on."""
    session_id = _token(ctx, req).session_id
    for table in (ctx.state.access_tokens, ctx.state.refresh_tokens):
        for token in table.values():
            if token.session_id == session_id:
                token.revoked = True
    return Response(200)
