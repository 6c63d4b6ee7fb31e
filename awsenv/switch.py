"""Which variables `use` and `unset` set and clear in the calling shell.

awsenv remembers what it exported in AWSENV_VARS so that switching clears what the previous
profile set and the new one does not, and `unset` clears exactly what awsenv set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from awsenv import tokens
from awsenv.config import AwsConfig, sso_target
from awsenv.credentials import Credentials, Resolved, resolve
from awsenv.shells import Change
from awsenv.timefmt import rfc3339, utc_now

CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
# Everything awsenv may export; AWSENV_VARS is only ever trusted for names in this list.
MANAGED_VARS = ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", *CREDENTIAL_VARS)
# awsenv's own state: the active profile, credential and SSO token expiry (epoch seconds).
STATE_VARS = ("AWSENV_PROFILE", "AWSENV_EXPIRATION", "AWSENV_SSO_EXPIRATION", "AWSENV_VARS")


@dataclass(frozen=True)
class Activation:
    profile: str
    region: str | None
    credentials: Credentials | None
    sso_expires_at: datetime | None = None


def previously_set(environ: Mapping[str, str]) -> list[str]:
    return [n for n in environ.get("AWSENV_VARS", "").split() if n in MANAGED_VARS]


def use_changes(activation: Activation, environ: Mapping[str, str]) -> list[Change]:
    """Exports for the new profile, then unsets for what no longer applies.

    Credential variables the new profile does not set are cleared even when awsenv did not set
    them: keys left in the environment would override AWS_PROFILE and contradict it.
    """
    new: dict[str, str] = {"AWS_PROFILE": activation.profile}
    if activation.region:
        new["AWS_REGION"] = activation.region
        new["AWS_DEFAULT_REGION"] = activation.region
    creds = activation.credentials
    if creds is not None:
        new["AWS_ACCESS_KEY_ID"] = creds.access_key_id
        new["AWS_SECRET_ACCESS_KEY"] = creds.secret_access_key
        if creds.session_token:
            new["AWS_SESSION_TOKEN"] = creds.session_token
        if creds.expiration is not None:
            new["AWS_CREDENTIAL_EXPIRATION"] = rfc3339(creds.expiration)
    state: dict[str, str | None] = {
        "AWSENV_PROFILE": activation.profile,
        "AWSENV_EXPIRATION": _epoch(creds.expiration if creds else None),
        "AWSENV_SSO_EXPIRATION": _epoch(activation.sso_expires_at),
        "AWSENV_VARS": " ".join(new),
    }
    stale = dict.fromkeys([*previously_set(environ), *CREDENTIAL_VARS])
    changes: list[Change] = list(new.items())
    changes += [(name, None) for name in stale if name not in new and name in environ]
    changes += [(n, v) for n, v in state.items() if v is not None or n in environ]
    return changes


def unset_changes(environ: Mapping[str, str]) -> list[Change]:
    names = [*previously_set(environ), *STATE_VARS]
    return [(name, None) for name in names if name in environ]


def _epoch(moment: datetime | None) -> str | None:
    return None if moment is None else str(int(moment.timestamp()))


def use(
    name: str, environ: Mapping[str, str], *, region: str | None = None, profile_only: bool = False
) -> list[Change]:
    """The changes that make `name` this shell's profile, signing in first if needed."""
    config = AwsConfig.load(environ)
    profile = config.profile(name)
    now = utc_now()
    if profile_only:
        resolved = _ensure_sso_session(config, profile.name, now)
    else:
        resolved = resolve(config, profile, now)
    activation = Activation(
        profile.name, region or profile.region, resolved.credentials, resolved.sso_expires_at
    )
    return use_changes(activation, environ)


def _ensure_sso_session(config: AwsConfig, name: str, now: datetime) -> Resolved:
    """With --profile-only the SDK fetches keys itself, but only from a live SSO session."""
    profile = config.profile(name)
    if profile.kind not in ("sso", "sso-legacy"):
        return Resolved(None)
    target = sso_target(config, profile)
    try:
        token = tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile:
        token = None
    if token is None or token.remaining(now) <= 0:
        from awsenv import login

        token = login.usable_token(target, now)
    return Resolved(None, token.expires_at)
