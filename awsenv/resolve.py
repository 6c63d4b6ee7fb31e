"""Where a profile's keys come from: the caches first, then the services (and maybe a sign-in).

The common `use` path ends here with a cache hit and never imports boto3: awsenv.login (the
sign-in, refresh and GetRoleCredentials rules, and with them boto3) and botocore are imported
only when the caches cannot serve.
"""

from __future__ import annotations

import os
from datetime import datetime

from awsenv import tokens
from awsenv.config import AwsConfig, Profile, SsoTarget, sso_target
from awsenv.credentials import (
    Credentials,
    cli_cache_dir,
    load_assumed_role_credentials,
    load_role_credentials,
    static_credentials,
)
from awsenv.errors import ConfigError, ServiceError
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Final


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
        from awsenv import login  # boto3 and the sign-in rules, only on a cache miss

        creds, token_expiry = login.role_credentials(target, now)
        return Resolved(creds, token_expiry)
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
    try:
        token = tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile:
        return None
    return None if token is None else token.expires_at


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
    """Fetch the keys a chain starts from when it starts at an SSO profile: signing in first
    by the auto-login rule (botocore would only fail on an expired token), under the same
    locks as any other fetch. botocore then finds them in the cache it shares with awsenv."""
    root = chain_root(config, profile)
    if root.kind not in ("sso", "sso-legacy"):
        return
    target = sso_target(config, root)
    if load_role_credentials(target, now) is None:
        from awsenv import login  # boto3 and the sign-in rules, only when needed

        login.role_credentials(target, now)


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
