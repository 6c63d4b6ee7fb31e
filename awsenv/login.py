"""The sign-in rules: when a token is used, refreshed or replaced by a sign-in; one at a time.

Everything that needs an SSO token or role keys from the portal comes here; awsenv.sso only
speaks the protocol. A renewal (refresh, sign-in, GetRoleCredentials) runs under a lock per
sso-session (and per role for GetRoleCredentials, see awsenv.locks): the first process does the
work, the others wait, then read the caches it filled. Reading a token that needs no renewal
takes no lock.

The auto-login rule (`AWSENV_AUTO_LOGIN` or `auto_login` in the settings file), which every
process applies for itself, a waiter too:
- ask (default): ask on the terminal before a browser opens; no terminal, no login.
- always: sign in without asking (scripts, CI, tests).
- never: fail at once and say which command signs in.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from awsenv import locks, settings, sso, tokens, ui
from awsenv.awsapi import InvalidClient, InvalidGrant, TokenRejected
from awsenv.config import SsoTarget
from awsenv.credentials import (
    Credentials,
    load_role_credentials,
    remove_sso_role_caches,
    role_cache_key,
    save_role_credentials,
)
from awsenv.errors import LoginDenied, LoginRequired, NoTerminal
from awsenv.files import read_json
from awsenv.timefmt import utc_now

# How long a waiter waits for the holder of a lock: a browser sign-in may take the user the
# whole sign-in timeout. A holder that dies frees the lock at once, so this bound is only
# reached when the holder hangs.
LOCK_WAIT = sso.LOGIN_TIMEOUT + 30.0
# The name of a token cache file, without .json: sha1 hex (tokens.token_cache_key).
_CACHE_KEY = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Flow:
    """How to sign in when the user asked for it (`awsenv login`, `configure`)."""

    device_code: bool | None = None
    no_browser: bool = False


def login_command(target: SsoTarget) -> str:
    return (
        f"awsenv login {target.profile}"
        if target.profile
        else (f"awsenv login --sso-session {target.session_name}")
    )


def prefers_device_code() -> bool:
    """Device code when configured, or over SSH with no display (a loopback redirect can't land)."""
    if settings.login_flow() == "device":
        return True
    remote = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
    return remote and not os.environ.get("DISPLAY")


@contextlib.contextmanager
def _locked(name: str, work: str) -> Iterator[None]:
    """Hold lock `name` while doing `work` (named in the waiter's line and timeout error)."""

    def waiting() -> None:
        ui.say(f"{work} is in progress in another process; waiting for it")

    try:
        with locks.exclusive(name, wait=LOCK_WAIT, waiting=waiting):
            yield
    except locks.LockTimeout:
        raise LoginRequired(
            f"{work} has not finished in another process after {LOCK_WAIT:.0f} s; gave up waiting",
            hint="finish or stop it there, then try again",
        ) from None


def session_lock_name(cache_key: str) -> str:
    """The lock of the sso-session whose token is cached as `<cache_key>.json`."""
    return f"sso-{cache_key}"


def _session_lock(target: SsoTarget) -> contextlib.AbstractContextManager[None]:
    key = tokens.token_cache_key(target.start_url, target.session_name)
    return _session_locked(key, target.label)


def _session_locked(cache_key: str, label: str) -> contextlib.AbstractContextManager[None]:
    return _locked(session_lock_name(cache_key), f"a sign-in to {label} (or its renewal)")


def sign_in(
    target: SsoTarget, *, device_code: bool | None = None, no_browser: bool = False
) -> tokens.SsoToken:
    """Sign in because the user asked to (`awsenv login`), whatever is cached."""
    with _session_lock(target):
        return _sign_in(target, Flow(device_code, no_browser))


def _sign_in(target: SsoTarget, flow: Flow) -> tokens.SsoToken:
    use_device = prefers_device_code() if flow.device_code is None else flow.device_code
    try:
        return sso.login(target, device_code=use_device, no_browser=flow.no_browser)
    except InvalidGrant:
        # The guide's "Invalid grant provided" during a sign-in: the one-time code is spent or
        # expired. Nothing cached is wrong, so nothing is deleted: signing in again is the cure.
        raise LoginDenied(
            f"the sign-in to {target.label} was refused: Invalid grant provided "
            "(its one-time code expired or was used already)",
            hint=f"sign in again: {login_command(target)}",
        ) from None


def _auto_sign_in(target: SsoTarget, reason: str, asked: Flow | None) -> tokens.SsoToken:
    """Sign in because a command needs it: as asked, else by the auto-login rule."""
    if asked is not None:
        return _sign_in(target, asked)
    mode = settings.auto_login()
    if mode == "never":
        raise LoginRequired(reason, hint=f"run: {login_command(target)}")
    if mode == "ask":
        terminal = ui.open_terminal()
        if terminal is None:
            raise NoTerminal(
                f"{reason}, and there is no terminal to ask before signing in",
                hint=f"run: {login_command(target)}, or set AWSENV_AUTO_LOGIN=always",
            )
        with terminal:
            question = f"{reason}. Sign in to {target.label} at {target.start_url} now?"
            if not ui.confirm(terminal, question):
                raise LoginDenied("sign-in declined", hint=f"later: {login_command(target)}")
    return _sign_in(target, Flow())


def _cached_token(target: SsoTarget) -> tokens.SsoToken | None:
    try:
        return tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile as exc:
        ui.say(f"{exc}; treating it as no sign-in")
        return None


def usable_token(target: SsoTarget, now: datetime, *, asked: Flow | None = None) -> tokens.SsoToken:
    """A token GetRoleCredentials will accept: cached, refreshed, or from a new sign-in.

    `asked`: the user asked for a sign-in if one is needed (no auto-login question).
    """
    token = _cached_token(target)
    if token is not None and token.remaining(now) > tokens.REFRESH_WINDOW:
        return token
    with _session_lock(target):
        return _renewed(target, None, asked)


def replace_rejected(
    target: SsoTarget, token: tokens.SsoToken, what: str, *, asked: Flow | None = None
) -> tokens.SsoToken:
    """A token for when the portal refused `token` (401 UnauthorizedException) to `what`.

    A 401 says the access token no longer works, not that the session is over: the refresh
    token may still renew it, so nothing is deleted here. Only the OIDC service refusing the
    refresh token (Invalid grant) ends the session; the message then says both.
    """
    with _session_lock(target):
        return _renewed(target, (token.access_token, what), asked)


def _renewed(
    target: SsoTarget, rejected: tuple[str, str] | None, asked: Flow | None
) -> tokens.SsoToken:
    """The renewal decision, under the session lock: the cache is read again first, since
    the process that held the lock before may have renewed it already. `rejected`: the access
    token the portal refused (401), and to what."""
    now = utc_now()
    token = _cached_token(target)
    if token is None:
        return _auto_sign_in(target, f"no SSO sign-in for {target.label}", asked)
    left = token.remaining(now)
    refused = ""
    if rejected is not None and token.access_token == rejected[0]:
        left = 0.0
        refused = f"{rejected[1]}: the portal refused the access token (401), and "
    elif left > tokens.REFRESH_WINDOW:
        return token
    if token.refreshable(now):
        try:
            return sso.refresh(target, token)
        except InvalidGrant:
            newer = _replaced(target, token, now)
            if newer is not None:
                return newer
            # The guide's "Invalid grant provided": drop this session's token only (unless
            # another program wrote a new one meanwhile), then sign in.
            tokens.remove_token_if_unchanged(token)
            return _auto_sign_in(
                target,
                f"{refused}the SSO session for {target.label} can no longer be renewed "
                "(Invalid grant provided; only its cached token was removed)",
                asked,
            )
        except InvalidClient:
            newer = _replaced(target, token, now)
            if newer is not None:
                return newer
            return _auto_sign_in(
                target, f"{refused}the client registration for {target.label} has expired", asked
            )
    if left > 0:
        return token
    reason = (
        f"{refused}the SSO session for {target.label} cannot be refreshed"
        if refused
        else f"the SSO session for {target.label} has expired"
    )
    return _auto_sign_in(target, reason, asked)


def _replaced(target: SsoTarget, used: tokens.SsoToken, now: datetime) -> tokens.SsoToken | None:
    """The token file as another program (the AWS CLI, an SDK) rewrote it after we read it,
    when that one is still good: a refresh lost to theirs must not undo their work."""
    current = _cached_token(target)
    if current is None or current.data == used.data or current.remaining(now) <= 0:
        return None
    return current


def role_credentials(target: SsoTarget, now: datetime) -> tuple[Credentials, datetime | None]:
    """The role's keys from the portal (GetRoleCredentials), cached for every process; and
    the expiry of the SSO token behind them. One process fetches, the others wait for it."""
    label = f"{target.account_id}/{target.role_name}"
    work = f"getting the keys of {label} (signing in first if needed)"
    with _locked(f"role-{role_cache_key(target)}", work):
        cached = load_role_credentials(target, utc_now())
        if cached is not None:
            behind = _cached_token(target)
            return cached, None if behind is None else behind.expires_at
        token = usable_token(target, now)
        try:
            creds = sso.role_credentials(target, token)
        except TokenRejected:
            token = replace_rejected(target, token, f"GetRoleCredentials for {label}")
            creds = sso.role_credentials(target, token)
        save_role_credentials(target, creds)
        return creds, token.expires_at


def logout(targets: list[SsoTarget] | None) -> list[str]:
    """Sign out of the sessions of `targets` (None: every cached session), like `aws sso logout`.

    Each token is revoked at the portal (errors ignored), its file deleted, and the cached role
    credentials of those sessions removed. Client registrations stay for the next sign-in.
    Each session is signed out under its lock: a renewal in progress would otherwise write the
    token back after it was deleted. Returns the labels of the sessions signed out.
    """
    signed_out: list[str] = []
    if targets is None:
        directory = tokens.sso_cache_dir()
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            found = _cached_token_data(path)
            if found is None:
                continue
            label = str(found.get("startUrl") or path.name)
            with _session_lock_of_file(path, label):
                data = _cached_token_data(path)  # as the renewal that held the lock left it
                if data is None:
                    continue
                _revoke(label, str(data.get("region") or ""), str(data["accessToken"]))
                path.unlink(missing_ok=True)
            signed_out.append(label)
        remove_sso_role_caches(None)
        return signed_out
    seen: set[tuple[str, str | None]] = set()
    for target in targets:
        key = (target.start_url, target.session_name)
        if key in seen:
            continue
        seen.add(key)
        with _session_lock(target):
            try:
                token = tokens.load_token(target.start_url, target.session_name)
            except tokens.CorruptCacheFile:
                token = None
            if token is not None:
                _revoke(target.label, target.region, token.access_token)
            if tokens.remove_token(target.start_url, target.session_name) or token is not None:
                signed_out.append(target.label)
    remove_sso_role_caches(targets)
    return signed_out


def _cached_token_data(path: Path) -> dict[str, Any] | None:
    """The token in an SSO cache file; None for a client registration or an unreadable file."""
    try:
        data = read_json(path) or {}
    except (OSError, ValueError):
        return None
    return data if data.get("accessToken") else None


def _session_lock_of_file(path: Path, label: str) -> contextlib.AbstractContextManager[None]:
    """The session lock of the token cached in `path`, named after its file as renewals name it
    (tokens.token_path); none for a file no renewal writes (its name is no cache key)."""
    if not _CACHE_KEY.fullmatch(path.stem):
        return contextlib.nullcontext()
    return _session_locked(path.stem, label)


def _revoke(label: str, region: str, access_token: str) -> None:
    """Revoke a token at the portal, or say why it could not be: one session's failure (a
    bad region in its file, a service error) must not keep the others signed in."""
    why = sso.logout(region, access_token) if region else "its cache file names no region"
    if why is not None:
        ui.say(
            f"could not revoke the sign-in to {label} at the service ({why}); its cached token "
            "is deleted, but stays valid at the service until it expires"
        )
