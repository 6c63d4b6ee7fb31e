"""`exec --server`: a profile's role keys served to one command through the SDKs' container
credential provider, and renewed from the SSO session for as long as the command runs.

The SDKs read AWS_CONTAINER_CREDENTIALS_FULL_URI (plain HTTP only to a loopback address or
ECS's) and send AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header; the answer is the
JSON of ECS's credential endpoint. They fetch again once the keys they hold are near expiry
(botocore: 15 minutes before), so the server renews its keys as that point comes.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from awsenv import child, recent, switch, ui
from awsenv.config import AwsConfig
from awsenv.credentials import REUSE_WINDOW, Credentials
from awsenv.errors import AwsenvError, ConfigError, LoginDenied, LoginRequired, UsageError
from awsenv.resolve import resolve
from awsenv.timefmt import cache_format, humanize, utc_now

LOOPBACK = "127.0.0.1"
PATH = "/credentials"
URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
# What the SDKs would use before the container provider, so COMMAND must not inherit it: keys,
# a profile, web identity, and the container provider's own variables that win over ours.
SHADOWING_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
# After a failed renewal, the next try; sooner when the keys expire before.
RETRY = 30.0
WAKE = 30.0


def profile_keys(name: str) -> Credentials:
    """The profile's keys as `use` gets them: caches first, then the SSO session, signing in
    by the auto-login rule."""
    config = AwsConfig.load()
    profile = config.profile(name)
    creds = resolve(config, profile, utc_now()).credentials
    if creds is None:
        raise ConfigError(f"profile {name} has no credentials to serve", hint=profile.where)
    if creds.expiration is None or creds.session_token is None:
        raise UsageError(
            f"profile {name} has long-term keys, which never need renewing",
            hint=f"awsenv exec {name} -- COMMAND exports them",
        )
    return creds


def run(
    name: str,
    argv: list[str],
    environ: Mapping[str, str],
    region: str | None,
    listen: str = LOOPBACK,
) -> int:
    """Run COMMAND with the endpoint serving profile `name` on the IPv4 address `listen`; its
    status (-N: signal N)."""
    address = listen_address(listen)
    config = AwsConfig.load(environ)
    profile = config.profile(name)
    check_default_profile(config)
    creds = profile_keys(profile.name)
    recent.remember(profile.name)
    with KeyServer(profile.name, creds, lambda: profile_keys(profile.name), address) as server:
        return child.run(argv, server.environ(environ, region or profile.region))


def listen_address(text: str) -> str:
    """An IPv4 address of this host to listen on; never all of them (plain HTTP: the keys
    would be readable on every network the host is on)."""
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise UsageError(
            f"--listen {text}: not an IPv4 address", hint="127.0.0.1, or 169.254.170.2 (ECS's)"
        ) from None
    if address.is_unspecified:
        raise UsageError(f"--listen {text}: every address of this host, keys in plain HTTP")
    return str(address)


def check_default_profile(config: AwsConfig) -> None:
    """The SDKs try the default profile's credentials before the container endpoint."""
    default = config.profiles.get("default")
    if default is not None and default.kind != "config-only":
        raise ConfigError(
            "the default profile has credentials of its own, which the SDKs would use before "
            "the endpoint of exec --server",
            hint=f"{default.where}; plain `awsenv exec` exports keys instead",
        )


def renew_at(creds: Credentials, obtained: datetime) -> datetime:
    """When to replace keys: as the SDKs start to refresh them, or halfway through a shorter
    life, so that what the endpoint serves is never about to expire."""
    assert creds.expiration is not None
    life = (creds.expiration - obtained).total_seconds()
    return creds.expiration - timedelta(seconds=min(REUSE_WINDOW, max(life, 0.0) / 2))


def document(creds: Credentials) -> bytes:
    """The JSON of ECS's credential endpoint, which every SDK's container provider reads."""
    assert creds.expiration is not None
    body: dict[str, str] = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token or "",
        "Expiration": cache_format(creds.expiration),
    }
    if creds.account_id:
        body["AccountId"] = creds.account_id
    return json.dumps(body).encode("utf-8")


class KeyServer:
    """The endpoint (127.0.0.1 unless told, random port) and the thread renewing its keys."""

    def __init__(
        self,
        profile: str,
        creds: Credentials,
        fetch: Callable[[], Credentials],
        address: str = LOOPBACK,
    ) -> None:
        self.profile = profile
        self.token = secrets.token_urlsafe(32)
        self._fetch = fetch
        self._lock = threading.Lock()
        self._creds = creds
        self._due = renew_at(creds, utc_now())
        self._stopped = threading.Event()
        self._address = address
        try:
            self._http = _Server((address, 0), _handler(self))
        except OSError as exc:
            raise UsageError(
                f"--listen {address}: {exc.strerror}", hint="an address this host has"
            ) from None
        self._threads = [
            threading.Thread(target=self._http.serve_forever, daemon=True),
            threading.Thread(target=self._renew_loop, daemon=True),
        ]

    @property
    def url(self) -> str:
        return f"http://{self._address}:{self._http.server_address[1]}{PATH}"

    def environ(self, base: Mapping[str, str], region: str | None) -> dict[str, str]:
        """`base` for COMMAND: the endpoint and region in; out, everything that would shadow
        the endpoint and the state of the calling shell's profile (a shell started inside
        would renew its keys)."""
        dropped = {*SHADOWING_VARS, *switch.STATE_VARS, *switch.previously_set(base)}
        result = {k: v for k, v in base.items() if k not in dropped}
        result.update({URI_VAR: self.url, TOKEN_VAR: self.token, "AWSENV_PROFILE": self.profile})
        if region:
            # As `use` sets them, for a `use` or `unset` in a shell started inside to clear.
            result.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
            result["AWSENV_VARS"] = "AWS_REGION AWS_DEFAULT_REGION"
        return result

    def current(self) -> Credentials | None:
        """The keys to serve, or None once they have expired unrenewed."""
        with self._lock:
            creds = self._creds
        assert creds.expiration is not None
        return creds if creds.expiration > utc_now() else None

    def authorized(self, header: str | None) -> bool:
        return header is not None and hmac.compare_digest(
            header.encode("utf-8", "surrogateescape"), self.token.encode("ascii")
        )

    def __enter__(self) -> KeyServer:
        child.start_threads(self._threads)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._http.shutdown()
        self._http.server_close()

    def _renew_loop(self) -> None:
        failing = False  # said once, then not again until renewals work again
        while not self._stopped.wait(self._sleep()):
            if utc_now() < self._due:
                continue
            try:
                creds = self._fetch()
            except Exception as exc:  # the thread must go on: COMMAND still needs keys
                if isinstance(exc, LoginRequired | LoginDenied):
                    # As the shell hooks do: one question, then no more until the user signs
                    # in (any `awsenv login`), which the next try finds in the cache.
                    _never_sign_in()
                reason = exc if isinstance(exc, AwsenvError) else f"{type(exc).__name__}: {exc}"
                if not failing:
                    failing = True
                    left = self._left()
                    ui.say(f"exec --server: cannot renew {self.profile}'s keys ({reason}); {left}")
                self._due = self._retry_at()
                continue
            if failing:
                ui.say(f"exec --server: {self.profile}'s keys are renewed again")
                failing = False
            with self._lock:
                self._creds = creds
            self._due = renew_at(creds, utc_now())

    def _sleep(self) -> float:
        """Until the renewal is due, checked at least every WAKE seconds: the monotonic clock
        of the wait stands still while a laptop sleeps, the keys' expiry does not."""
        return min(WAKE, max(0.0, (self._due - utc_now()).total_seconds()))

    def _retry_at(self) -> datetime:
        now = utc_now()
        with self._lock:
            expiration = self._creds.expiration
        assert expiration is not None
        retry = now + timedelta(seconds=RETRY)
        return min(retry, expiration) if expiration > now else retry

    def _left(self) -> str:
        with self._lock:
            expiration = self._creds.expiration
        assert expiration is not None
        left = (expiration - utc_now()).total_seconds()
        if left <= 0:
            return "they have expired"
        return f"they expire in {humanize(left) if left >= 60 else f'{int(left)}s'}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before its answer (an SDK timing out) retries by itself; stderr
        belongs to COMMAND, and a traceback to no one."""


def _never_sign_in() -> None:
    os.environ["AWSENV_AUTO_LOGIN"] = "never"


def _handler(server: KeyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self._refused():
                return
            if self.path != PATH:
                self._reply(404, b"")
                return
            creds = server.current()
            if creds is None:
                message = {"message": f"the keys of {server.profile} expired unrenewed"}
                self._reply(503, json.dumps(message).encode("utf-8"))
                return
            self._reply(200, document(creds))

        def _other(self) -> None:
            if not self._refused():
                self._reply(405, b"")

        do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _other

        def _refused(self) -> bool:
            """Nothing but the status for a request without the token: no keys, no hint."""
            header = self.headers.get("Authorization")
            if server.authorized(header):
                return False
            self._reply(401 if header is None else 403, b"")
            return True

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Requests are not logged: stderr belongs to COMMAND."""

    return Handler
