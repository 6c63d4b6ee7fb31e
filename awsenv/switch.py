"""Which variables `use` and `unset` set and clear in the calling shell.

awsenv remembers what it exported in AWSENV_VARS so that switching clears what the previous
profile set and the new one does not, and `unset` clears exactly what awsenv set.
"""

from __future__ import annotations

from datetime import datetime

from awsenv import guard, recent, settings, tokens
from awsenv.config import AwsConfig, sso_target
from awsenv.credentials import Credentials
from awsenv.errors import UsageError
from awsenv.marks import Marks
from awsenv.resolve import Resolved, resolve
from awsenv.shells import Change
from awsenv.timefmt import parse_timestamp, rfc3339, utc_now
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
# Everything awsenv may export; AWSENV_VARS is only ever trusted for names in this list.
MANAGED_VARS = ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", *CREDENTIAL_VARS)
# What the prompt and renewal hooks need besides: until when the SSO token can be refreshed
# (epoch s), the --region given to `use` (renewals keep it), and the credential expiry a renewal
# gave up on because only a sign-in could help (set by the shell hook, cleared by `use`).
RENEWAL_VARS = ("AWSENV_SSO_REFRESH_UNTIL", "AWSENV_REGION_OVERRIDE", "AWSENV_LOGIN_NEEDED")
# The profile's mark (awsenv.marks), which the prompt shows, and for a production profile the
# seconds without a command after which the shell hooks drop its keys (idle_drop_minutes).
MARK_VARS = ("AWSENV_ENV", "AWSENV_IDLE_DROP")
# awsenv's own state: the active profile, credential and SSO token expiry (epoch seconds).
STATE_VARS = (
    "AWSENV_PROFILE",
    "AWSENV_EXPIRATION",
    "AWSENV_SSO_EXPIRATION",
    "AWSENV_VARS",
    *RENEWAL_VARS,
    *MARK_VARS,
)
# The directory whose `.awsenv` the shell's cd hook applied (see awsenv.dirs).
DIR_VAR = "AWSENV_DIR"
# The profile this shell used before the current one, for `awsenv use -`. Not a state variable:
# `unset` keeps a memory of the profile it left, as `cd -` does of the directory.
PREVIOUS_VAR = "AWSENV_PREVIOUS_PROFILE"


class Activation(Value):
    __slots__ = (
        "credentials",
        "idle_drop",
        "mark",
        "profile",
        "region",
        "region_override",
        "sso_expires_at",
        "sso_refresh_until",
    )

    def __init__(
        self,
        profile: str,
        region: str | None,
        credentials: Credentials | None,
        sso_expires_at: datetime | None = None,
        sso_refresh_until: datetime | None = None,
        region_override: str | None = None,
        mark: str | None = None,
        idle_drop: int | None = None,
    ) -> None:
        self.profile: Final = profile
        self.region: Final = region
        self.credentials: Final = credentials
        self.sso_expires_at: Final = sso_expires_at
        self.sso_refresh_until: Final = sso_refresh_until
        self.region_override: Final = region_override
        self.mark: Final = mark
        self.idle_drop: Final = idle_drop


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
        "AWSENV_SSO_REFRESH_UNTIL": _epoch(activation.sso_refresh_until),
        "AWSENV_REGION_OVERRIDE": activation.region_override,
        "AWSENV_LOGIN_NEEDED": None,
        "AWSENV_ENV": activation.mark,
        "AWSENV_IDLE_DROP": str(activation.idle_drop) if activation.idle_drop else None,
    }
    stale = dict.fromkeys([*previously_set(environ), *CREDENTIAL_VARS])
    changes: list[Change] = list(new.items())
    changes += [(name, None) for name in stale if name not in new and name in environ]
    changes += [(n, v) for n, v in state.items() if v is not None or n in environ]
    changes += _previous_changes(environ, activation.profile)
    return changes


def snapshot(environ: Mapping[str, str]) -> list[Change]:
    """Changes putting back, exactly, every variable `use` and the directory hook may change."""
    return [(name, environ.get(name)) for name in (*MANAGED_VARS, *STATE_VARS, DIR_VAR)]


def unset_changes(environ: Mapping[str, str]) -> list[Change]:
    names = [*previously_set(environ), *STATE_VARS]
    return [(name, None) for name in names if name in environ] + _previous_changes(environ, None)


def _previous_changes(environ: Mapping[str, str], new: str | None) -> list[Change]:
    """Remember the profile being left, unless the shell stays on it."""
    current = environ.get("AWSENV_PROFILE")
    return [(PREVIOUS_VAR, current)] if current and current != new else []


def previous(environ: Mapping[str, str]) -> str:
    """The profile `awsenv use -` returns to."""
    name = environ.get(PREVIOUS_VAR)
    if not name:
        raise UsageError("this shell has used no other profile yet", hint="awsenv use PROFILE")
    return name


def _epoch(moment: datetime | None) -> str | None:
    return None if moment is None else str(int(moment.timestamp()))


def use(
    name: str,
    environ: Mapping[str, str],
    *,
    region: str | None = None,
    profile_only: bool = False,
    yes: bool = False,
) -> list[Change]:
    """The changes that make `name` this shell's profile, signing in first if needed.

    A production profile is confirmed first (awsenv.guard); `yes` is the person's --yes.
    """
    if region is not None:
        from awsenv import regions  # here: a plain `use` has no region to check

        regions.check(region)
    config = AwsConfig.load(environ)
    profile = config.profile(name)
    marks = Marks.load()
    guard.check(marks, profile, environ, yes=yes)
    mark = marks.of(profile)
    idle_drop = settings.idle_drop_seconds() if marks.is_guarded(mark) else None
    now = utc_now()
    if profile_only:
        resolved = _ensure_sso_session(config, profile.name, now)
    else:
        resolved = resolve(config, profile, now)
    activation = Activation(
        profile.name,
        region or profile.region,
        resolved.credentials,
        resolved.sso_expires_at,
        sso_refresh_until=_refresh_until(config, profile.name, now)
        if resolved.sso_expires_at is not None
        else None,
        region_override=region,
        mark=mark,
        idle_drop=idle_drop,
    )
    changes = use_changes(activation, environ)
    recent.remember(profile.name)
    return changes


def _refresh_until(config: AwsConfig, name: str, now: datetime) -> datetime | None:
    """Until when the profile's SSO token can be refreshed: its client registration's expiry."""
    target = sso_target(config, config.profile(name))
    try:
        token = tokens.load_token(target.start_url, target.session_name)
    except tokens.CorruptCacheFile:
        return None
    if token is None or not token.refreshable(now):
        return None
    return parse_timestamp(str(token.data["registrationExpiresAt"]))


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
        from awsenv import login  # boto3 and the sign-in rules, only when needed

        token = login.usable_token(target, now)
    return Resolved(None, token.expires_at)
