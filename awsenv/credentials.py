"""Role credentials: the AWS CLI v2's cache in `~/.aws/cli/cache`, and where keys come from.

The common `use` path ends here with a cache hit and never imports boto3; only when the cache
cannot serve does this module reach for `awsenv.sso` (and so boto3).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from awsenv.config import AwsConfig, Profile, SsoTarget, sso_target
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


class Resolved(Value):
    """What `use` exports for a profile."""

    __slots__ = ("credentials", "sso_expires_at")

    def __init__(
        self, credentials: Credentials | None, sso_expires_at: datetime | None = None
    ) -> None:
        self.credentials: Final = credentials
        self.sso_expires_at: Final = sso_expires_at


def resolve(
    config: AwsConfig, profile: Profile, now: datetime, *, interactive: bool = True
) -> Resolved:
    """Credentials for `profile`: the caches first, the services (and maybe a login) after.

    `interactive=False` never asks for an MFA code (the SSO sign-in follows AWSENV_AUTO_LOGIN).
    """
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
    if kind == "assume-role":
        cached = load_assumed_role_credentials(profile, now)
        if cached is not None:
            return Resolved(cached)
        _ensure_source_session(config, profile, now)
    region = next((p.region for p in _chain(config, profile) if p.region), None)
    return Resolved(sdk_credentials(profile, interactive=interactive, region=region))


def _token_expiry(target: SsoTarget) -> datetime | None:
    from awsenv.tokens import CorruptCacheFile, load_token

    try:
        token = load_token(target.start_url, target.session_name)
    except CorruptCacheFile:
        return None
    return None if token is None else token.expires_at


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


def _chain(config: AwsConfig, profile: Profile) -> list[Profile]:
    """The profile, then each source_profile it leads to."""
    chain = [profile]
    current = profile
    while current.kind == "assume-role":
        source = current.settings.get("source_profile")
        if not source or source == current.name or source not in config.profiles:
            break  # credential_source, static keys beside role_arn, or an error botocore names
        current = config.profiles[source]
        if current in chain:
            break
        chain.append(current)
    return chain


def chain_root(config: AwsConfig, profile: Profile) -> Profile:
    """Where a role chain starts: the last profile reached through source_profile."""
    return _chain(config, profile)[-1]


def _ensure_source_session(config: AwsConfig, profile: Profile, now: datetime) -> None:
    """Sign in first (by the auto-login rule) when a chain starts at an SSO profile whose
    session is needed: botocore would only fail on an expired token."""
    root = chain_root(config, profile)
    if root.kind not in ("sso", "sso-legacy"):
        return
    target = sso_target(config, root)
    if load_role_credentials(target, now) is None:
        from awsenv import login

        login.usable_token(target, now)


def sdk_credentials(
    profile: Profile, *, interactive: bool = True, region: str | None = None
) -> Credentials:
    """Credentials botocore resolves itself: role chains, credential_process, web identity.

    Set up as the AWS CLI sets it up: AssumeRole and SSO results in the file cache of
    ~/.aws/cli/cache, so an MFA code is asked once per session, whoever asks first; the code
    is asked on the terminal (or, not interactive, refused with a clear error). `region`
    serves STS when the profile names none (the chain's, the environment's, else us-east-1).
    """
    import botocore.exceptions
    import botocore.session
    from botocore.credentials import JSONFileCache, create_credential_resolver

    from awsenv import mfa, redact
    from awsenv.errors import ServiceError

    try:
        session = botocore.session.Session(profile=profile.name)
        where = (
            session.get_config_variable("region")
            or region
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
        resolver = create_credential_resolver(
            session, cache=JSONFileCache(str(cli_cache_dir())), region_name=where
        )
        # botocore takes the prompter only through its constructor; the CLI swaps the cache
        # the same way.
        resolver.get_provider("assume-role")._prompter = mfa.prompter(profile.name, interactive)
        resolved = resolver.load_credentials()
        frozen = None if resolved is None else resolved.get_frozen_credentials()
    except botocore.exceptions.ClientError as exc:
        raise ServiceError(f"profile {profile.name}: {redact.botocore_error(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        message = f"profile {profile.name}: {redact.botocore_error(exc)}"
        raise ConfigError(message, hint=profile.where) from None
    if frozen is None:
        raise ConfigError(f"profile {profile.name} yields no credentials", hint=profile.where)
    # RefreshableCredentials keep their expiry in a private attribute; there is no public one.
    expiry = getattr(resolved, "_expiry_time", None)
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token, expiry)
