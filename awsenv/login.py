"""Getting a usable SSO token: cache, then refresh, then (by the user's rule) a sign-in.

The auto-login rule (`AWSENV_AUTO_LOGIN` or `auto_login` in the settings file):
- ask (default): ask on the terminal before a browser opens; no terminal, no login.
- always: sign in without asking (scripts, CI, tests).
- never: fail at once and say which command signs in.
"""

from __future__ import annotations

import os
from datetime import datetime

from awsenv import settings, sso, tokens, ui
from awsenv.awsapi import InvalidClient, InvalidGrant, TokenRejected
from awsenv.config import SsoTarget
from awsenv.credentials import Resolved, save_role_credentials
from awsenv.errors import LoginDenied, LoginRequired, NoTerminal


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


def sign_in(
    target: SsoTarget, *, device_code: bool | None = None, no_browser: bool = False
) -> tokens.SsoToken:
    use_device = prefers_device_code() if device_code is None else device_code
    try:
        return sso.login(target, device_code=use_device, no_browser=no_browser)
    except InvalidGrant:
        # The guide's "Invalid grant provided" during a sign-in: the one-time code is spent or
        # expired. Nothing cached is wrong, so nothing is deleted: signing in again is the cure.
        raise LoginDenied(
            f"the sign-in to {target.label} was refused: Invalid grant provided "
            "(its one-time code expired or was used already)",
            hint=f"sign in again: {login_command(target)}",
        ) from None


def auto_sign_in(target: SsoTarget, reason: str) -> tokens.SsoToken:
    """Sign in because a command needs it, following the auto-login rule."""
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
    return sign_in(target)


def usable_token(target: SsoTarget, now: datetime) -> tokens.SsoToken:
    """A token GetRoleCredentials will accept: cached, refreshed, or from a new sign-in."""
    try:
        token = tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile as exc:
        ui.say(f"{exc}; treating it as no sign-in")
        token = None
    if token is None:
        return auto_sign_in(target, f"no SSO sign-in for {target.label}")
    left = token.remaining(now)
    if left > tokens.REFRESH_WINDOW:
        return token
    if token.refreshable(now):
        try:
            return sso.refresh(target, token)
        except InvalidGrant:
            # The guide's "Invalid grant provided": drop this session's token only, then sign in.
            tokens.remove_token(target.start_url, target.session_name)
            return auto_sign_in(
                target,
                f"the SSO session for {target.label} can no longer be renewed "
                "(Invalid grant provided; only its cached token was removed)",
            )
        except InvalidClient:
            return auto_sign_in(target, f"the client registration for {target.label} has expired")
    if left > 0:
        return token
    return auto_sign_in(target, f"the SSO session for {target.label} has expired")


def fetch_role_credentials(target: SsoTarget, now: datetime) -> Resolved:
    token = usable_token(target, now)
    try:
        creds = sso.role_credentials(target, token)
    except TokenRejected:
        # Revoked or expired early at the service: renew once, then try again.
        tokens.remove_token(target.start_url, target.session_name)
        token = auto_sign_in(target, f"the SSO session for {target.label} is no longer valid")
        creds = sso.role_credentials(target, token)
    save_role_credentials(target, creds)
    return Resolved(creds, token.expires_at)


def logout(targets: list[SsoTarget] | None) -> list[str]:
    """Sign out of the sessions of `targets` (None: every cached session), like `aws sso logout`.

    Each token is revoked at the portal (errors ignored), its file deleted, and the cached role
    credentials of those sessions removed. Client registrations stay for the next sign-in.
    Returns the labels of the sessions signed out.
    """
    from awsenv.credentials import remove_sso_role_caches
    from awsenv.files import read_json

    signed_out: list[str] = []
    if targets is None:
        directory = tokens.sso_cache_dir()
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            try:
                data = read_json(path) or {}
            except (OSError, ValueError):
                continue
            if not data.get("accessToken"):
                continue
            label = str(data.get("startUrl") or path.name)
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


def _revoke(label: str, region: str, access_token: str) -> None:
    """Revoke a token at the portal, or say why it could not be: one session's failure (a
    bad region in its file, a service error) must not keep the others signed in."""
    why = sso.logout(region, access_token) if region else "its cache file names no region"
    if why is not None:
        ui.say(
            f"could not revoke the sign-in to {label} at the service ({why}); its cached token "
            "is deleted, but stays valid at the service until it expires"
        )
