"""A `.awsenv` by account and role: the profile of the person's own config it stands for.

Profile names differ from one person to the next, accounts and roles do not. A file naming
`account` and `role` (and optionally `sso_start_url` or `sso_session`) resolves to a profile
whose SSO account and role (or role_arn) are those, and whose SSO start URL or session is the
one named. When several match, the choice is fixed: SSO profiles before role chains
(role_arn: they need another profile's keys first), then by name in code-point order. When
none does, the error names the `awsenv configure sso` command that writes one.
"""

from __future__ import annotations

from awsenv.config import AwsConfig, Profile, same_start_url, sso_target
from awsenv.errors import ConfigError
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `_dir`
if TYPE_CHECKING:
    from typing import Final

_SSO_KINDS = ("sso", "sso-legacy")


class Wanted(Value):
    """An account and role, and the SSO portal they are reached through when it matters."""

    __slots__ = ("account", "role", "sso_session", "start_url")

    def __init__(
        self,
        account: str,
        role: str,
        start_url: str | None = None,
        sso_session: str | None = None,
    ) -> None:
        self.account: Final = account
        self.role: Final = role
        self.start_url: Final = start_url
        self.sso_session: Final = sso_session

    def describe(self) -> str:
        where = ""
        if self.start_url:
            where = f" at {self.start_url}"
        elif self.sso_session:
            where = f" of sso-session {self.sso_session}"
        return f"account {self.account}, role {self.role}{where}"


def _start_url(config: AwsConfig, profile: Profile) -> str | None:
    try:
        return sso_target(config, profile).start_url
    except ConfigError:
        return None


def matches(config: AwsConfig, profile: Profile, wanted: Wanted) -> bool:
    if profile.account_id != wanted.account:
        return False
    role = profile.role_name
    # IAM role names are unique without regard to case; so are the SSO roles made from them.
    if role is None or role.casefold() != wanted.role.casefold():
        return False
    if wanted.sso_session is not None and profile.get("sso_session") != wanted.sso_session:
        return False
    if wanted.start_url is not None:
        url = _start_url(config, profile) if profile.kind in _SSO_KINDS else None
        if url is None or not same_start_url(url, wanted.start_url):
            return False
    return True


def candidates(config: AwsConfig, wanted: Wanted) -> list[Profile]:
    """Every matching profile, the chosen one first."""
    found = [p for p in config.profiles.values() if matches(config, p, wanted)]
    found.sort(key=lambda p: (p.kind not in _SSO_KINDS, p.name))
    return found


def resolve(config: AwsConfig, wanted: Wanted, region: str | None = None) -> str:
    """The name of the profile `wanted` stands for; ConfigError naming how to create one."""
    found = candidates(config, wanted)
    if found:
        return found[0].name
    raise ConfigError(
        f"no profile in {config.path} is for {wanted.describe()}",
        hint=f"create one: {create_command(config, wanted, region)}",
    )


def create_command(config: AwsConfig, wanted: Wanted, region: str | None) -> str:
    """`awsenv configure sso` with the answers the file gives filled in."""
    words = ["awsenv", "configure", "sso"]
    session = wanted.sso_session
    if session is None and wanted.start_url is not None:
        session = next(
            (
                s.name
                for s in config.sso_sessions.values()
                if same_start_url(s.start_url, wanted.start_url)
            ),
            None,
        )
    if session is not None:
        words += ["--sso-session", session]
    elif wanted.start_url is not None:
        words += ["--start-url", wanted.start_url]
    words += ["--account-id", wanted.account, "--role-name", wanted.role]
    if region:
        words += ["--region", region]
    return " ".join(words)


def wanted_for(config: AwsConfig, profile: Profile) -> Wanted:
    """What `awsenv pin --shareable` writes for `profile`: its account, role and start URL."""
    account, role = profile.account_id, profile.role_name
    if account is None or role is None:
        raise ConfigError(
            f"profile {profile.name} names no account and role to share "
            "(it needs sso_account_id and sso_role_name, or role_arn)",
            hint=profile.where,
        )
    url = _start_url(config, profile) if profile.kind in _SSO_KINDS else None
    return Wanted(account, role, url or None)
