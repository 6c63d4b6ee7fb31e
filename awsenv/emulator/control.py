"""The emulator's own JSON API under /_emulator/, for tests and demos in other processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import oidc, sts
from .context import Context
from .directory import Account, Org, big_org
from .protocol import Request, Response, ServiceError, json_response

PREFIX = "/_emulator/"


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "BadRequest", message)


def _knobs(ctx: Context, req: Request) -> Response:
    if req.method == "POST":
        try:
            ctx.knobs.update(req.json())
        except ValueError as exc:
            raise _bad(str(exc)) from None
    return json_response(ctx.knobs.to_dict())


def _calls(ctx: Context, req: Request) -> Response:
    if req.method == "DELETE":
        ctx.calls.clear()
    calls = ctx.calls.list(req.query.get("operation"))
    return json_response({"calls": [c.to_dict() for c in calls]})


def _approve(ctx: Context, req: Request) -> Response:
    body = req.json()
    user_code = body.get("user_code")
    decided = oidc.decide_device(
        ctx, user_code if isinstance(user_code, str) else None, bool(body.get("deny"))
    )
    if user_code and not decided:
        raise ServiceError(404, "NotFound", f"no pending device code {user_code}")
    return json_response({"decided": decided})


def _expire(ctx: Context, req: Request) -> Response:
    try:
        count = ctx.state.expire(str(req.json().get("what", "access_tokens")), ctx.now())
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return json_response({"expired": count})


def _reset(ctx: Context, req: Request) -> Response:
    ctx.reset()
    return json_response({})


def _users(ctx: Context, req: Request) -> Response:
    body = req.json()
    try:
        key = sts.add_user(
            ctx,
            str(body.get("arn", "")),
            body.get("access_key_id"),
            body.get("secret_access_key"),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return json_response(
        {"Arn": key.arn, "AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}
    )


def _org_from_json(body: dict[str, Any]) -> Org:
    start_url, user_name = body.get("start_url"), body.get("user_name", "jane.doe")
    if not isinstance(start_url, str) or not start_url or not isinstance(user_name, str):
        raise _bad("start_url (and optional user_name) must be strings")
    generate = body.get("generate")
    if isinstance(generate, dict):
        return big_org(
            start_url, int(generate.get("accounts", 1)), int(generate.get("roles", 1)), user_name
        )
    accounts = [
        Account(
            str(a["accountId"]),
            str(a["accountName"]),
            str(a.get("emailAddress", f"aws+{a['accountId']}@example.com")),
            tuple(str(r) for r in a["roles"]),
        )
        for a in body.get("accounts", [])
    ]
    return Org(start_url, tuple(accounts), user_name)


def _orgs(ctx: Context, req: Request) -> Response:
    try:
        org = _org_from_json(req.json())
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad(f"bad org: {exc}") from None
    ctx.directory.add(org)
    return json_response({"start_url": org.start_url, "accounts": len(org.accounts)})


_ROUTES: dict[tuple[str, str], Callable[[Context, Request], Response]] = {
    ("GET", "knobs"): _knobs,
    ("POST", "knobs"): _knobs,
    ("GET", "calls"): _calls,
    ("DELETE", "calls"): _calls,
    ("POST", "approve"): _approve,
    ("POST", "expire"): _expire,
    ("POST", "reset"): _reset,
    ("POST", "users"): _users,
    ("POST", "orgs"): _orgs,
}


def handle(ctx: Context, req: Request) -> Response:
    handler = _ROUTES.get((req.method, req.path.removeprefix(PREFIX)))
    if handler is None:
        raise ServiceError(404, "NotFound", f"no control endpoint {req.method} {req.path}")
    return handler(ctx, req)
