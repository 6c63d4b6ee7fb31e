"""Role credentials: the AWS CLI v2's cache in `~/.aws/cli/cache`, and where keys come from.

The common `use` path ends here with a cache hit and never imports boto3; only when the cache
cannot serve does this module reach for `awsenv.sso` (and so boto3).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from awsenv.config import AwsConfig, Profile, SsoTarget, sso_target
from awsenv.errors import ConfigError
from awsenv.files import read_json, write_json
from awsenv.timefmt import cache_format, parse_timestamp

# Cached role credentials are reused while more than this is left, as the AWS CLI v2 does.
REUSE_WINDOW = 15 * 60


def cli_cache_dir() -> Path:
    return Path(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None
    account_id: str | None = None

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
        creds = data["Credentials"]
        expiration = parse_timestamp(str(creds["Expiration"]))
        result = Credentials(
            str(creds["AccessKeyId"]),
            str(creds["SecretAccessKey"]),
            str(creds["SessionToken"]),
            expiration,
            str(creds.get("AccountId") or target.account_id),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # botocore treats an unreadable cache entry as a miss and overwrites it; so do we.
        return None
    if (expiration - now).total_seconds() <= REUSE_WINDOW:
        return None
    return result


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


@dataclass(frozen=True)
class Resolved:
    """What `use` exports for a profile."""

    credentials: Credentials | None
    sso_expires_at: datetime | None = None


def resolve(config: AwsConfig, profile: Profile, now: datetime) -> Resolved:
    """Credentials for `profile`: the caches first, the services (and maybe a login) after."""
    kind = profile.kind
    if kind == "static":
        return Resolved(static_credentials(profile))
    if kind in ("sso", "sso-legacy"):
        target = sso_target(config, profile)
        cached = load_role_credentials(target, now)
        if cached is not None:
            return Resolved(cached, _token_expiry(target))
        from awsenv import login

        return login.fetch_role_credentials(target, now)
    if kind == "config-only":
        return Resolved(None)
    return Resolved(sdk_credentials(profile))


def _token_expiry(target: SsoTarget) -> datetime | None:
    from awsenv.tokens import CorruptCacheFile, load_token

    try:
        token = load_token(target.start_url, target.session_name)
    except CorruptCacheFile:
        return None
    return None if token is None else token.expires_at


def sdk_credentials(profile: Profile) -> Credentials:
    """Credentials boto3 resolves itself: role chains, credential_process, web identity."""
    import boto3
    import botocore.exceptions

    try:
        resolved = boto3.Session(profile_name=profile.name).get_credentials()
        frozen = None if resolved is None else resolved.get_frozen_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise ConfigError(f"profile {profile.name}: {exc}", hint=profile.where) from None
    if frozen is None:
        raise ConfigError(f"profile {profile.name} yields no credentials", hint=profile.where)
    # RefreshableCredentials keep their expiry in a private attribute; there is no public one.
    expiry = getattr(resolved, "_expiry_time", None)
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token, expiry)
