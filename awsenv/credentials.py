"""Role credentials: the keys, and the AWS CLI v2's cache of them in `~/.aws/cli/cache`.

Stdlib-only: the cached `use` path reads them. Where keys come from is awsenv.resolve's job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from awsenv.config import Profile, SsoTarget
from awsenv.errors import ConfigError
from awsenv.files import read_json, write_json
from awsenv.timefmt import cache_format, parse_timestamp
from awsenv.tokens import clean
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Final

# Cached role credentials are reused while more than this is left, as the AWS CLI v2 does.
REUSE_WINDOW = 15 * 60


def cli_cache_dir() -> Path:
    return Path(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))


class Credentials(Value):
    __slots__ = ("access_key_id", "account_id", "expiration", "secret_access_key", "session_token")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: datetime | None = None,
        account_id: str | None = None,
    ) -> None:
        self.access_key_id: Final = access_key_id
        self.secret_access_key: Final = secret_access_key
        self.session_token: Final = session_token
        self.expiration: Final = expiration
        self.account_id: Final = account_id

    def remaining(self, now: datetime) -> float | None:
        return None if self.expiration is None else (self.expiration - now).total_seconds()


def role_cache_key(target: SsoTarget) -> str:
    args = {"accountId": target.account_id, "roleName": target.role_name}
    if target.session_name:
        args["sessionName"] = target.session_name
    else:
        args["startUrl"] = target.start_url
    digest = hashlib.sha1(json.dumps(args, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def role_cache_path(target: SsoTarget) -> Path:
    return cli_cache_dir() / f"{role_cache_key(target)}.json"


def load_role_credentials(target: SsoTarget, now: datetime) -> Credentials | None:
    """Cached role credentials with more than REUSE_WINDOW left; anything else is a miss."""
    try:
        data = read_json(role_cache_path(target))
        if data is None:
            return None
        return _cached_credentials(data["Credentials"], target.account_id, now)
    except (OSError, ValueError, KeyError, TypeError):
        # botocore treats an unreadable cache entry as a miss and overwrites it; so do we.
        return None


def _cached_credentials(
    creds: dict[str, object], account: str, now: datetime
) -> Credentials | None:
    """The keys of a cache entry with more than REUSE_WINDOW left, None when they are not keys.

    Each must be a non-empty string of printable characters: a null would be exported as
    'None', a control character would break the shell code. An entry of another shape raises
    KeyError, TypeError or ValueError, which callers treat as a miss too.
    """
    fields = [creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]]
    if not all(clean(f) for f in fields):
        return None
    expiration = parse_timestamp(str(creds["Expiration"]))
    if (expiration - now).total_seconds() <= REUSE_WINDOW:
        return None
    account_id = creds.get("AccountId") or account
    if not account_id:
        return None
    key, secret, token = (str(f) for f in fields)
    return Credentials(key, secret, token, expiration, str(account_id))


def save_role_credentials(target: SsoTarget, creds: Credentials) -> None:
    assert creds.expiration is not None
    write_json(
        role_cache_path(target),
        {
            "ProviderType": "sso",
            "Credentials": {
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
                "SessionToken": creds.session_token,
                "Expiration": cache_format(creds.expiration),
                "AccountId": target.account_id,
            },
        },
    )


def remove_sso_role_caches(targets: list[SsoTarget] | None) -> int:
    """Delete cached SSO role credentials: those of `targets`, or all of them (None)."""
    directory = cli_cache_dir()
    if targets is not None:
        paths = [role_cache_path(t) for t in targets]
    else:
        paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    removed = 0
    for path in paths:
        try:
            if targets is None and (read_json(path) or {}).get("ProviderType") != "sso":
                continue
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            continue
    return removed


def static_credentials(profile: Profile) -> Credentials:
    key, secret = profile.get("aws_access_key_id"), profile.get("aws_secret_access_key")
    if not key or not secret:
        raise ConfigError(
            f"profile {profile.name} has aws_access_key_id without aws_secret_access_key",
            hint=profile.where,
        )
    return Credentials(key, secret, profile.get("aws_session_token"))


def assumed_role_cache_key(profile: Profile) -> str:
    """botocore's cache key for a role_arn profile's AssumeRole (AssumeRoleCredentialFetcher).

    The same file then serves awsenv, the AWS CLI and boto3 with a file cache: one MFA code
    for all of them.
    """
    settings = profile.settings
    args: dict[str, object] = {"RoleArn": settings["role_arn"]}
    for config_key, arg in (
        ("role_session_name", "RoleSessionName"),
        ("external_id", "ExternalId"),
        ("mfa_serial", "SerialNumber"),
    ):
        if config_key in settings:
            args[arg] = settings[config_key]
    if "duration_seconds" in settings:
        with contextlib.suppress(ValueError):  # botocore leaves a bad value out too
            args["DurationSeconds"] = int(settings["duration_seconds"])
    digest = hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()
    return digest.replace(":", "_").replace(os.sep, "_").replace("/", "_")


def load_assumed_role_credentials(profile: Profile, now: datetime) -> Credentials | None:
    """Cached AssumeRole credentials of a role_arn profile with more than REUSE_WINDOW left."""
    try:
        data = read_json(cli_cache_dir() / f"{assumed_role_cache_key(profile)}.json")
        if data is None:
            return None
        arn = str(profile.settings["role_arn"]).split(":")
        return _cached_credentials(data["Credentials"], arn[4] if len(arn) > 4 else "", now)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
