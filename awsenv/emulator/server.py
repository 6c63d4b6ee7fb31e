"""The HTTP server: routing, latency, injected errors, call log; and the Emulator handle."""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from . import control, federation, ids, oidc, portal, sts
from .context import Call, CallLog, Context
from .directory import Directory
from .knobs import Knobs
from .protocol import Protocol, Request, Response, ServiceError, error_response
from .sigv4 import parse_authorization
from .state import State

Handler = Callable[[Context, Request], Response]


@dataclass(frozen=True)
class _Route:
    operation: str  # empty for STS: the operation is the form's Action
    protocol: Protocol
    handler: Handler
    logged: tuple[str, ...]  # request parameters safe to record (never secrets)


_P = Protocol
_ROUTES: dict[tuple[str, str], _Route] = {
    ("POST", "/client/register"): _Route(
        "RegisterClient",
        _P.OIDC,
        oidc.register_client,
        ("clientName", "clientType", "scopes", "grantTypes", "redirectUris", "issuerUrl"),
    ),
    ("POST", "/device_authorization"): _Route(
        "StartDeviceAuthorization",
        _P.OIDC,
        oidc.start_device_authorization,
        ("clientId", "startUrl"),
    ),
    ("POST", "/token"): _Route(
        "CreateToken",
        _P.OIDC,
        oidc.create_token,
        ("clientId", "grantType", "redirectUri", "scope"),
    ),
    ("GET", "/authorize"): _Route(
        "Authorize",
        _P.PAGE,
        oidc.authorize,
        ("client_id", "redirect_uri", "scopes", "code_challenge_method"),
    ),
    ("GET", "/device"): _Route("VerifyDevice", _P.PAGE, oidc.verify_device, ("user_code",)),
    ("GET", "/federation/credentials"): _Route(
        "GetRoleCredentials", _P.PORTAL, portal.get_role_credentials, ("account_id", "role_name")
    ),
    ("GET", "/assignment/accounts"): _Route(
        "ListAccounts", _P.PORTAL, portal.list_accounts, ("max_result", "next_token")
    ),
    ("GET", "/assignment/roles"): _Route(
        "ListAccountRoles",
        _P.PORTAL,
        portal.list_account_roles,
        ("account_id", "max_result", "next_token"),
    ),
    ("POST", "/logout"): _Route("Logout", _P.PORTAL, portal.logout, ()),
    ("POST", "/"): _Route(
        "", _P.STS, sts.handle, ("RoleArn", "RoleSessionName", "DurationSeconds", "SerialNumber")
    ),
    # Session and SigninToken are secrets: never logged.
    ("GET", federation.PATH): _Route(
        "Federation",
        _P.PAGE,
        federation.handle,
        ("Action", "Issuer", "Destination", "SessionDuration"),
    ),
}


def _logged_params(req: Request, route: _Route) -> dict[str, Any]:
    source: dict[str, Any] = dict(req.query)
    if route.protocol is Protocol.OIDC:
        with contextlib.suppress(ServiceError):  # a bad body is logged without params
            source.update(req.json())
    elif route.protocol is Protocol.STS:
        source.update(req.form())
    params = {k: source[k] for k in route.logged if k in source}
    auth = parse_authorization(req.header("authorization"))
    if auth is not None:
        params["AccessKeyId"] = auth.access_key_id  # a key id names the caller; it is no secret
    return params


def _serve_call(ctx: Context, route: _Route, operation: str, req: Request) -> Response:
    injected = ctx.knobs.take_error(operation)
    if injected is not None:
        raise ServiceError(injected.status, injected.type, injected.message)
    with ctx.state.lock:
        resp = route.handler(ctx, req)
    ctx.state.save()
    return resp


# The longest a hung call is held when nobody releases it.
HANG_LIMIT = 600.0


def dispatch(ctx: Context, req: Request) -> Response | None:
    """Serve one request: control API, or a service call (logged, delayed, maybe failed).

    None: the call hung (the `hangs` knob); it gets no answer at all.
    """
    req.request_id = ids.request_id()
    if req.path.startswith(control.PREFIX):
        try:
            resp = control.handle(ctx, req)
        except ServiceError as err:
            resp = error_response(Protocol.CONTROL, err, req.request_id)
        if req.method != "GET":
            ctx.state.save()
        return resp
    route = _ROUTES.get((req.method, req.path))
    if route is None:
        unknown = ServiceError(404, "UnknownOperationException", f"No route for {req.path}")
        return error_response(Protocol.PORTAL, unknown, req.request_id)
    operation = route.operation or req.form().get("Action", "Unknown")
    ctx.gates.enter(operation)
    if ctx.knobs.latency > 0:
        time.sleep(ctx.knobs.latency)
    if ctx.knobs.take_hang(operation):
        ctx.calls.add(operation, _logged_params(req, route), 0, "Hung")
        ctx.hold(HANG_LIMIT)
        return None
    error: str | None = None
    try:
        resp = _serve_call(ctx, route, operation, req)
    except ServiceError as err:
        resp, error = error_response(route.protocol, err, req.request_id), err.code
    except Exception:
        traceback.print_exc()
        internal = ServiceError(500, "InternalServerException", "Internal error")
        resp, error = error_response(route.protocol, internal, req.request_id), internal.code
    ctx.calls.add(operation, _logged_params(req, route), resp.status, error)
    return resp


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    ctx: Context


class _HTTPHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: botocore reuses connections.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle on, each call waits ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines can carry user codes; the call log is the record."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header on the emulator clock, so clock_offset shows as clock skew."""
        return super().date_time_string(self.server.ctx.now() if timestamp is None else timestamp)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            target=self.path,
        )
        resp = dispatch(self.server.ctx, req)
        if resp is None:
            self.close_connection = True
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("x-amzn-RequestId", req.request_id)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(resp.body)


class Emulator:
    """IAM Identity Center (SSO OIDC + portal) and STS on one local base URL."""

    def __init__(
        self,
        port: int = 0,
        *,
        directory: Directory | None = None,
        knobs: Knobs | None = None,
        state_file: str | Path | None = None,
        echo: TextIO | None = None,
    ) -> None:
        state = State(Path(state_file) if state_file is not None else None)
        state.load()
        self.ctx = Context(state, knobs or Knobs(), directory or Directory(), CallLog(echo))
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def knobs(self) -> Knobs:
        return self.ctx.knobs

    @property
    def directory(self) -> Directory:
        return self.ctx.directory

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("emulator not started")
        return self.ctx.base_url

    def start(self) -> Emulator:
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", self._port), _HTTPHandler)
        httpd.ctx = self.ctx
        self.ctx.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.05,), name="awsenv-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.ctx.release_hung()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Point botocore's SSO OIDC, SSO portal and STS clients here."""
        return {
            "AWS_ENDPOINT_URL_SSO_OIDC": self.url,
            "AWS_ENDPOINT_URL_SSO": self.url,
            "AWS_ENDPOINT_URL_STS": self.url,
        }

    def now(self) -> float:
        return self.ctx.now()

    def calls(self, operation: str | None = None) -> list[Call]:
        return self.ctx.calls.list(operation)

    def clear_calls(self) -> None:
        self.ctx.calls.clear()

    def inject(
        self, operation: str, status: int, type: str, message: str = "", times: int = 1
    ) -> None:
        """Fail the next `times` calls of `operation` with this error."""
        self.knobs.inject(operation, status, type, message, times)

    def hang(self, operation: str, times: int = 1) -> None:
        """Leave the next `times` calls of `operation` unanswered (the client times out)."""
        self.knobs.hang(operation, times)

    def hold(self, operation: str, times: int = 1) -> None:
        """Hold the next `times` calls of `operation` until `release` (a minute at most)."""
        self.ctx.gates.hold(operation, times)

    def wait_held(self, operation: str, timeout: float = 30.0) -> bool:
        """Whether a call of `operation` is held, waiting up to `timeout` for one to arrive."""
        return self.ctx.gates.wait_held(operation, timeout)

    def release(self, operation: str | None = None) -> None:
        """Serve the held calls of `operation` (None: of every operation)."""
        self.ctx.gates.release(operation)

    def approve(self, user_code: str | None = None, *, deny: bool = False) -> list[str]:
        """Decide a pending device login (all pending ones if no code), as the user would."""
        decided = oidc.decide_device(self.ctx, user_code, deny)
        self.ctx.state.save()
        return decided

    def expire(self, what: str = "access_tokens") -> int:
        """Expire now: access_tokens, refresh_tokens, registrations, device_codes,
        or role_credentials."""
        count = self.ctx.state.expire(what, self.now())
        self.ctx.state.save()
        return count

    def reset(self) -> None:
        """Forget logins and credentials, restore default knobs, clear the call log."""
        self.ctx.reset()
        self.ctx.state.save()

    def add_user(
        self, arn: str, access_key_id: str | None = None, secret_access_key: str | None = None
    ) -> tuple[str, str]:
        """Register a long-term IAM user key pair; returns (access key id, secret)."""
        key = sts.add_user(self.ctx, arn, access_key_id, secret_access_key)
        self.ctx.state.save()
        return key.access_key_id, key.secret_access_key
