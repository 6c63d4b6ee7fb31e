"""IAM Identity Center tokens and client registrations in `~/.aws/sso/cache`.

Shared with botocore and the AWS CLI v2, so every file is named and written exactly as they do
(see shared/reference/sso-protocol.md): a login by awsenv is a login for `aws`, and the reverse.
Reading is stdlib-only: it runs on the `use` path, which must not import boto3.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from awsenv.errors import AwsenvError
from awsenv.files import RefusedFile, read_json, write_json
from awsenv.timefmt import cache_format, parse_timestamp
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Any, Final, TypeGuard

# botocore refreshes a token when less than this is left; awsenv does the same.
REFRESH_WINDOW = 15 * 60
# The AWS CLI registers a new client when less than this is left on the old one.
REGISTRATION_WINDOW = 15 * 60


def sso_cache_dir() -> Path:
    return Path(os.path.expanduser(os.path.join("~", ".aws", "sso", "cache")))


def token_cache_key(start_url: str, session_name: str | None) -> str:
    """sha1 of the sso-session name, or of the start URL as configured for legacy profiles."""
    source = session_name if session_name is not None else start_url
    return hashlib.sha1(source.encode("utf-8")).hexdigest()


def registration_cache_key(
    start_url: str, region: str, scopes: list[str] | None, session_name: str | None
) -> str:
    args = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": scopes,
        "session_name": session_name,
    }
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()


def clean(value: object) -> TypeGuard[str]:
    """A non-empty string of printable characters: what a cached token or key must be before
    it goes into an HTTP header or shell code (a null, a list or a newline must not)."""
    return isinstance(value, str) and value != "" and value.isprintable()


class CorruptCacheFile(AwsenvError):
    """A cache file exists but cannot be used; callers treat it as absent and say so."""


class SsoToken(Value):
    __slots__ = ("data", "expires_at", "path")

    def __init__(self, path: Path, data: dict[str, Any], expires_at: datetime) -> None:
        self.path: Final = path
        self.data: Final = data
        self.expires_at: Final = expires_at

    @property
    def access_token(self) -> str:
        return str(self.data["accessToken"])

    def remaining(self, now: datetime) -> float:
        return (self.expires_at - now).total_seconds()

    def refreshable(self, now: datetime) -> bool:
        """True when botocore's refresh would be tried: refresh token and live registration."""
        keys = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")
        # Anything else would fail in botocore, with the value (a secret) in its message.
        if not all(clean(self.data.get(k)) for k in keys):
            return False
        try:
            registration_end = parse_timestamp(str(self.data["registrationExpiresAt"]))
        except ValueError:
            return False
        return (registration_end - now).total_seconds() > 0


def token_path(start_url: str, session_name: str | None) -> Path:
    return sso_cache_dir() / f"{token_cache_key(start_url, session_name)}.json"


def load_token(start_url: str, session_name: str | None) -> SsoToken | None:
    """The cached token, None when there is none; CorruptCacheFile when it is unusable."""
    path = token_path(start_url, session_name)
    try:
        data = read_json(path)
    except RefusedFile as exc:
        raise CorruptCacheFile(f"the SSO token cache file {exc}") from None
    except (ValueError, OSError) as exc:
        raise CorruptCacheFile(f"the SSO token cache file {path} is unreadable ({exc})") from None
    if data is None:
        return None
    problem = token_problem(data)
    if problem is not None:
        raise CorruptCacheFile(f"the SSO token cache file {path} is {problem}")
    return SsoToken(path, data, parse_timestamp(data["expiresAt"]))


def token_problem(data: dict[str, Any]) -> str | None:
    """Why a token file's content is unusable (never quoting a secret); None when usable."""
    token, expires = data.get("accessToken"), data.get("expiresAt")
    if not token or not expires:
        return "a token without accessToken or expiresAt"
    if not clean(token) or not isinstance(expires, str):
        return "a token whose accessToken or expiresAt is not a plain string"
    try:
        parse_timestamp(expires)
    except ValueError:
        return f"a token with a bad expiresAt {expires[:30]!r}"
    return None


def save_token(
    start_url: str,
    session_name: str | None,
    *,
    region: str,
    access_token: str,
    expires_at: datetime,
    registration: dict[str, Any] | None,
    refresh_token: str | None,
) -> SsoToken:
    """Write a token file with the fields, order and formats of botocore and the AWS CLI."""
    data: dict[str, Any] = {
        "startUrl": start_url,
        "region": region,
        "accessToken": access_token,
        "expiresAt": cache_format(expires_at),
    }
    if registration is not None:
        data["clientId"] = registration["clientId"]
        data["clientSecret"] = registration["clientSecret"]
        data["registrationExpiresAt"] = registration["expiresAt"]
    if refresh_token is not None:
        data["refreshToken"] = refresh_token
    path = token_path(start_url, session_name)
    write_json(path, data)
    return SsoToken(path, data, parse_timestamp(data["expiresAt"]))


def remove_token(start_url: str, session_name: str | None) -> bool:
    try:
        token_path(start_url, session_name).unlink()
    except FileNotFoundError:
        return False
    return True


def remove_token_if_unchanged(token: SsoToken) -> bool:
    """Delete `token`'s file only while it still holds `token`: the AWS CLI or an SDK may have
    written a new one since it was read, and that one must not be lost."""
    try:
        current = read_json(token.path)
    except (ValueError, OSError):
        current = None
    if current != token.data:
        return False
    try:
        token.path.unlink()
    except FileNotFoundError:
        return False
    return True


def registration_path(
    start_url: str, region: str, scopes: list[str] | None, session_name: str | None
) -> Path:
    key = registration_cache_key(start_url, region, scopes, session_name)
    return sso_cache_dir() / f"{key}.json"


def load_registration(
    path: Path, now: datetime, grant_types: list[str] | None
) -> dict[str, Any] | None:
    """A cached client registration fit for the flow, as the AWS CLI would reuse it."""
    try:
        data = read_json(path)
    except (ValueError, OSError):
        return None
    if not data or not data.get("clientId") or not data.get("clientSecret"):
        return None
    try:
        left = (parse_timestamp(str(data["expiresAt"])) - now).total_seconds()
    except (KeyError, ValueError):
        return None
    if left <= REGISTRATION_WINDOW:
        return None
    granted = set(data.get("grantTypes") or ())
    if grant_types is not None and not set(grant_types) <= granted:
        return None
    if grant_types is None and "authorization_code" in granted:
        return None  # a PKCE client: the service refuses it the device flow
    return data


def save_registration(
    path: Path,
    *,
    client_id: str,
    client_secret: str,
    expires_at: datetime,
    scopes: list[str] | None,
    grant_types: list[str] | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clientId": client_id,
        "clientSecret": client_secret,
        "expiresAt": cache_format(expires_at),
    }
    if scopes:
        data["scopes"] = scopes
    if grant_types:
        data["grantTypes"] = grant_types
    write_json(path, data)
    return data
