"""The AWS config and credentials files, read the way botocore reads them.

Reading happens on every `awsenv use`, so this module uses a small parser of its own instead of
configparser: the same rules as botocore's RawConfigParser (`=` or `:` delimiters, full-line
`#`/`;` comments, indented continuation lines, keys lower-cased, duplicates are errors, a
`[DEFAULT]` section inherited by all) at a fraction of the import cost, and it keeps the line of
every section for messages. Edits of the config file go through configupdater elsewhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from awsenv.errors import ConfigError, ProfileNotFound
from awsenv.files import RefusedFile, read_text
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

_SECTION = re.compile(r"\[(?P<header>.+)\]")
# What botocore accepts as a region name (a DNS label); anything else it refuses deep inside a
# client with InvalidRegionError, so an sso_region is checked here, where the file can be named.
_REGION_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
DEFAULT_SCOPE = "sso:account:access"


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(os.path.expanduser(environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))


def credentials_path(environ: Mapping[str, str] = os.environ) -> Path:
    raw = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return Path(os.path.expanduser(raw))


class Section(Value):
    __slots__ = ("line", "name", "path", "values")

    def __init__(self, name: str, path: Path, line: int, values: dict[str, str]) -> None:
        self.name: Final = name
        self.path: Final = path
        self.line: Final = line
        self.values: Final = values


def parse_ini(text: str, path: Path) -> list[Section]:
    """Parse INI text as RawConfigParser would; errors name the file and line."""
    parsed: list[tuple[str, int, dict[str, list[str]]]] = []
    names: set[str] = set()  # a set: configs with thousands of profiles must stay linear
    current: dict[str, list[str]] | None = None
    option: str | None = None
    indent = 0

    def fail(lineno: int, why: str) -> ConfigError:
        return ConfigError(f"{path}, line {lineno}: {why}")

    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith(("#", ";")):
            continue
        if not stripped:
            if current is not None and option is not None:
                current[option].append("")
            else:
                indent = 1 << 30
            continue
        cur_indent = len(raw) - len(raw.lstrip())
        if current is not None and option is not None and cur_indent > indent:
            current[option].append(stripped)
            continue
        indent = cur_indent
        header = _SECTION.match(stripped) if stripped[0] == "[" else None
        if header:
            name = header.group("header")
            if name in names:
                raise fail(lineno, f"section [{name}] appears twice")
            names.add(name)
            current, option = {}, None
            parsed.append((name, lineno, current))
            continue
        if current is None:
            raise fail(lineno, "a setting before any [section] header")
        # What RawConfigParser's option regex does, without the regex (the hot loop of
        # `use` and `list`): the name ends at the first `=` or `:`.
        equals, colon = stripped.find("="), stripped.find(":")
        at = colon if equals < 0 or 0 <= colon < equals else equals
        option = stripped[:at].rstrip().lower() if at >= 0 else ""
        if not option:
            raise fail(lineno, f"expected 'name = value', found {stripped[:40]!r}")
        if option in current:
            raise fail(lineno, f"'{option}' is set twice in this section")
        current[option] = [stripped[at + 1 :].strip()]

    joined = [
        Section(name, path, line, {k: "\n".join(v).rstrip() for k, v in values.items()})
        for name, line, values in parsed
    ]
    defaults = next((s.values for s in joined if s.name == "DEFAULT"), None)
    sections = [s for s in joined if s.name != "DEFAULT"]
    if defaults:
        for section in sections:
            for key, value in defaults.items():
                section.values.setdefault(key, value)
    return sections


def read_ini(path: Path) -> list[Section]:
    try:
        text = read_text(path)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RefusedFile as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    return [] if text is None else parse_ini(text, path)


def _section_name(header: str, prefix: str) -> str | None:
    """NAME from `[prefix NAME]`, split like botocore does (shlex, so quotes are allowed)."""
    if not header.startswith(prefix):
        return None
    if '"' in header or "'" in header or "\\" in header:
        import shlex  # only for the rare quoted section names

        try:
            parts = shlex.split(header)
        except ValueError:
            return None
    else:
        parts = header.split()
    return parts[1] if len(parts) == 2 and parts[0] == prefix else None


def profile_name(header: str) -> str | None:
    """The profile a config-file section header names (`default`, `profile NAME`), or None."""
    return "default" if header == "default" else _section_name(header, "profile")


def sso_session_name(header: str) -> str | None:
    """The session a `sso-session NAME` section header names, or None."""
    return _section_name(header, "sso-session")


class SsoSession(Value):
    __slots__ = ("line", "name", "path", "region", "scopes", "start_url")

    def __init__(
        self,
        name: str,
        start_url: str,
        region: str,
        # None when the config names no scopes: the AWS CLI keys its registration cache on that.
        scopes: tuple[str, ...] | None,
        path: Path,
        line: int,
    ) -> None:
        self.name: Final = name
        self.start_url: Final = start_url
        self.region: Final = region
        self.scopes: Final = scopes
        self.path: Final = path
        self.line: Final = line

    @property
    def login_scopes(self) -> list[str]:
        return list(self.scopes) if self.scopes else [DEFAULT_SCOPE]


class Profile(Value):
    __slots__ = ("line", "name", "path", "settings")

    def __init__(self, name: str, settings: dict[str, str], path: Path | None, line: int) -> None:
        self.name: Final = name
        self.settings: Final = settings
        self.path: Final = path
        self.line: Final = line

    def get(self, key: str) -> str | None:
        return self.settings.get(key) or None

    @property
    def kind(self) -> str:
        """What resolves this profile's credentials, in botocore's order of precedence."""
        s = self.settings
        if "role_arn" in s:
            return "assume-role"
        if "web_identity_token_file" in s:
            return "web-identity"
        if "sso_session" in s:
            return "sso"
        if "sso_start_url" in s or "sso_account_id" in s:
            return "sso-legacy"
        if "aws_access_key_id" in s:
            return "static"
        if "credential_process" in s:
            return "process"
        return "config-only"

    @property
    def region(self) -> str | None:
        return self.get("region")

    @property
    def account_id(self) -> str | None:
        """The account the profile's credentials are for: its SSO account or role_arn's."""
        arn = self.get("role_arn")
        if arn is not None:
            parts = arn.split(":", 5)
            return (parts[4] or None) if len(parts) == 6 and parts[2] == "iam" else None
        return self.get("sso_account_id")

    @property
    def role_name(self) -> str | None:
        """The role: the SSO permission set, or role_arn's name (its path left out)."""
        arn = self.get("role_arn")
        if arn is not None:
            parts = arn.split(":", 5)
            if len(parts) == 6 and parts[5].startswith("role/"):
                return parts[5].rsplit("/", 1)[1] or None
            return None
        return self.get("sso_role_name")

    @property
    def where(self) -> str:
        return f"{self.path}, line {self.line}" if self.path else "(no file)"


def _parse_scopes(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    return tuple(s.strip() for s in raw.split(",") if s.strip())


class AwsConfig(Value):
    __slots__ = ("path", "profiles", "sso_sessions")

    def __init__(
        self, profiles: dict[str, Profile], sso_sessions: dict[str, SsoSession], path: Path
    ) -> None:
        self.profiles: Final = profiles
        self.sso_sessions: Final = sso_sessions
        self.path: Final = path

    @classmethod
    def load(cls, environ: Mapping[str, str] = os.environ) -> AwsConfig:
        path = config_path(environ)
        profiles: dict[str, Profile] = {}
        sessions: dict[str, SsoSession] = {}
        for section in read_ini(path):
            if section.name == "default":
                name: str | None = "default"
            else:
                name = _section_name(section.name, "profile")
            if name is not None:
                profiles[name] = Profile(name, section.values, path, section.line)
                continue
            session = _section_name(section.name, "sso-session")
            if session is not None:
                v = section.values
                sessions[session] = SsoSession(
                    session,
                    v.get("sso_start_url", ""),
                    v.get("sso_region", ""),
                    _parse_scopes(v.get("sso_registration_scopes")),
                    path,
                    section.line,
                )
        # Like botocore, a credentials-file section adds to (and overrides) the config profile.
        for section in read_ini(credentials_path(environ)):
            known = profiles.get(section.name)
            if known is None:
                profiles[section.name] = Profile(
                    section.name, section.values, section.path, section.line
                )
            else:
                merged = {**known.settings, **section.values}
                profiles[section.name] = Profile(known.name, merged, known.path, known.line)
        return cls(profiles, sessions, path)

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            close = suggest(name, list(self.profiles))
            raise ProfileNotFound(name, close, hint=self._not_found_hint(name, close)) from None

    def _not_found_hint(self, name: str, close: list[str]) -> str | None:
        """Guidance past the closest names: a session named instead of a profile, no profiles."""
        if name in self.sso_sessions and name not in close:
            users = [p.name for p in self.profiles.values() if p.get("sso_session") == name]
            shown = ", ".join(users[:3]) + (", ..." if len(users) > 3 else "")
            return f"{name} is an sso-session; its profiles: " + (
                shown or "none yet (awsenv sso populate creates them)"
            )
        if not self.profiles:
            return f"{self.path} has no profiles; create one with: awsenv configure sso"
        return None

    def sso_session_of(self, profile: Profile) -> SsoSession:
        """The sso-session a profile uses; checks what a login and GetRoleCredentials need."""
        name = profile.settings["sso_session"]
        session = self.sso_sessions.get(name)
        if session is None:
            raise ConfigError(
                f'The specified sso-session does not exist: "{name}"',
                hint=f"profile {profile.name} at {profile.where}",
            )
        missing = [
            key
            for key, value in (("sso_start_url", session.start_url), ("sso_region", session.region))
            if not value
        ]
        if missing:
            raise ConfigError(
                f"sso-session {name} is missing {', '.join(missing)}",
                hint=f"{session.path}, line {session.line}",
            )
        _check_sso_region(
            session.region, f"sso-session {name}", f"{session.path}, line {session.line}"
        )
        return session


def _check_sso_region(region: str, owner: str, where: str) -> None:
    if not _REGION_NAME.fullmatch(region):
        shown = region if len(region) <= 40 else region[:40] + "..."
        raise ConfigError(f"{owner}: sso_region {shown!r} is not a region name", hint=where)


def same_start_url(a: str, b: str) -> bool:
    # People paste the portal URL with or without a trailing "/" or "#/".
    return a.strip().rstrip("/#") == b.strip().rstrip("/#")


def suggest(name: str, names: list[str]) -> list[str]:
    """Up to three known names close to `name` (only computed on the error path)."""
    import difflib

    folded = {n.casefold(): n for n in names}
    exact_case = [folded[name.casefold()]] if name.casefold() in folded else []
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    contains = [n for n in names if name.casefold() in n.casefold()]
    seen: dict[str, None] = dict.fromkeys(exact_case + close + contains)
    return list(seen)[:3]


class SsoTarget(Value):
    """Everything needed to log in for a profile and fetch its role credentials."""

    __slots__ = (
        "account_id",
        "profile",
        "region",
        "role_name",
        "scopes",
        "session_name",
        "start_url",
    )

    def __init__(
        self,
        profile: str,
        start_url: str,
        region: str,
        session_name: str | None,  # None for legacy profiles (start URL on the profile itself)
        scopes: tuple[str, ...] | None,
        account_id: str,
        role_name: str,
    ) -> None:
        self.profile: Final = profile
        self.start_url: Final = start_url
        self.region: Final = region
        self.session_name: Final = session_name
        self.scopes: Final = scopes
        self.account_id: Final = account_id
        self.role_name: Final = role_name

    @property
    def label(self) -> str:
        return f"sso-session {self.session_name}" if self.session_name else self.start_url


def sso_target(config: AwsConfig, profile: Profile) -> SsoTarget:
    """The SSO login a profile uses; ConfigError naming the file when the profile is incomplete."""
    if profile.kind == "sso":
        session = config.sso_session_of(profile)
        start_url, region, name, scopes = (
            session.start_url,
            session.region,
            session.name,
            session.scopes,
        )
    elif profile.kind == "sso-legacy":
        start_url, region = profile.get("sso_start_url") or "", profile.get("sso_region") or ""
        name, scopes = None, None
    else:
        raise ConfigError(f"profile {profile.name} is not an SSO profile", hint=profile.where)
    required = {
        "sso_account_id": profile.get("sso_account_id"),
        "sso_role_name": profile.get("sso_role_name"),
    }
    if name is None:
        required.update(sso_start_url=start_url or None, sso_region=region or None)
    missing = [key for key, value in required.items() if not value]
    if missing:
        raise ConfigError(
            f"profile {profile.name} is missing {', '.join(missing)}", hint=profile.where
        )
    if name is None:
        _check_sso_region(region, f"profile {profile.name}", profile.where)
    return SsoTarget(
        profile.name,
        start_url,
        region,
        name,
        scopes,
        required["sso_account_id"] or "",
        required["sso_role_name"] or "",
    )


def session_target(config: AwsConfig, session_name: str) -> SsoTarget:
    """A login target for `--sso-session NAME`, with no account or role."""
    if session_name not in config.sso_sessions:
        raise ConfigError(
            f'The specified sso-session does not exist: "{session_name}"',
            hint=f"sessions in {config.path}: {', '.join(config.sso_sessions) or 'none'}",
        )
    fake = Profile("", {"sso_session": session_name}, None, 0)
    session = config.sso_session_of(fake)
    return SsoTarget("", session.start_url, session.region, session.name, session.scopes, "", "")
