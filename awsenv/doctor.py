"""`awsenv doctor`: the guide's hygiene and troubleshooting, checked; each verdict one line.

Checks: the config and credentials files (parse, permissions), long-term access keys, the token
and role credential caches (permissions, corrupt files), profiles and sso-sessions (missing
pieces, unknown regions, shared start URLs), sign-in state of each session, the shell
integration, and clock skew against the service. `--fix` applies the safe repairs: chmod of the
files and cache directories, removal of corrupt token cache files (only those).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from awsenv import inventory, regions, tokens
from awsenv.config import (
    AwsConfig,
    SsoTarget,
    config_path,
    credentials_path,
    session_target,
    sso_target,
)
from awsenv.errors import ConfigError
from awsenv.files import RefusedFile, read_json, read_text
from awsenv.timefmt import humanize

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"
# Skew a signature tolerates (SigV4: 5 minutes) and what already shifts expiry times visibly.
SKEW_FAIL = 300
SKEW_WARN = 30
CLOCK_TIMEOUT = 3.0


@dataclass
class Check:
    id: str
    status: str
    message: str
    fix: str | None = None
    # A repair `--fix` may apply; returns what it did.
    repair: Callable[[], str] | None = None

    def line(self) -> str:
        fix = f" -> fix: {self.fix}" if self.fix and self.status in (WARN, FAIL) else ""
        return f"{self.status:<4}  {self.id}: {self.message}{fix}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "message": self.message, "fix": self.fix}


def _home_short(path: Path) -> str:
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home) :] if home != "/" and text.startswith(home + os.sep) else text


def _mode(path: Path, kind: Callable[[int], bool]) -> int | None:
    """The permission bits of `path` when it is of that `kind` (stat.S_ISREG, S_ISDIR)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if kind(info.st_mode) else None


def _chmod_now(path: Path, mode: int, kind: Callable[[int], bool] = stat.S_ISREG) -> None:
    """chmod `path` if it is still of the `kind` checked. Through a descriptor, so what changes
    is what was looked at; O_NONBLOCK, so a FIFO swapped in cannot hang the repair."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not kind(os.fstat(fd).st_mode):
            raise OSError(0, "not what was checked any more", str(path))
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _chmod(path: Path, mode: int, kind: Callable[[int], bool] = stat.S_ISREG) -> Callable[[], str]:
    def repair() -> str:
        _chmod_now(path, mode, kind)
        return f"chmod {mode:o} {_home_short(path)}"

    return repair


# --- files -----------------------------------------------------------------------------------


def _file_checks(environ: Mapping[str, str]) -> Iterator[Check]:
    from awsenv.configedit import parse

    path = config_path(environ)
    try:
        text = read_text(path)
        if text is None:
            yield Check(
                "config", INFO, f"no config file at {_home_short(path)}", "awsenv configure sso"
            )
    except RefusedFile as exc:
        yield Check("config", FAIL, f"{_home_short(path)} {exc.strerror}")
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        yield Check("config", FAIL, f"{_home_short(path)} cannot be read ({exc})")
        text = None
    if text is not None:
        try:
            parse(text, path)
        except ConfigError as exc:
            yield Check(
                "config",
                FAIL,
                f"{exc}; awsenv will not edit it",
                "correct that line by hand",
            )
        else:
            yield Check("config", OK, f"{_home_short(path)} parses")
    for label, file, status in (
        ("config-permissions", path, WARN),
        ("credentials-permissions", credentials_path(environ), FAIL),
    ):
        mode = _mode(file, stat.S_ISREG)  # only a file is fixed: a directory there is not
        if mode is None:
            continue
        shown = _home_short(file)
        if mode & 0o077:
            yield Check(
                label,
                status,
                f"{shown} is {mode:04o}, open to other users; the guide asks for 600",
                f"chmod 600 {shown} (or: awsenv doctor --fix)",
                _chmod(file, 0o600),
            )
        else:
            yield Check(label, OK, f"{shown} is {mode:04o}")


def _key_checks(config: AwsConfig) -> Iterator[Check]:
    long_term = sorted(
        p.name
        for p in config.profiles.values()
        if (p.get("aws_access_key_id") or "").startswith("AKIA")
    )
    if long_term:
        yield Check(
            "access-keys",
            WARN,
            f"long-term access keys (AKIA…) in profile{'s' if len(long_term) > 1 else ''} "
            f"{', '.join(long_term)}",
            "use IAM Identity Center instead (awsenv configure sso), then delete and "
            "deactivate the keys",
        )
    else:
        yield Check("access-keys", OK, "no long-term access keys")


def _cache_checks() -> Iterator[Check]:
    from awsenv.credentials import cli_cache_dir

    for label, directory in (
        ("token-cache", tokens.sso_cache_dir()),
        ("credential-cache", cli_cache_dir()),
    ):
        if not directory.is_dir():
            continue
        shown = _home_short(directory)
        problems: list[Check] = []
        mode = _mode(directory, stat.S_ISDIR)
        if mode is not None and mode & 0o077:
            problems.append(
                Check(
                    f"{label}-permissions",
                    FAIL,
                    f"{shown} is {mode:04o}; it holds secrets and should be 700",
                    f"chmod 700 {shown} (or: awsenv doctor --fix)",
                    _chmod(directory, 0o700, stat.S_ISDIR),
                )
            )
        cached = sorted(directory.glob("*.json"))
        foreign = [f for f in cached if _owner(f) not in (None, os.geteuid())]
        if foreign:
            problems.append(
                Check(
                    f"{label}-owner",
                    FAIL,
                    f"{len(foreign)} file(s) in {shown} not yours (e.g. {foreign[0].name}, "
                    f"uid {_owner(foreign[0])}); awsenv ignores them, the AWS CLI may not",
                    "awsenv doctor --fix removes them",
                    _remove_all(foreign, f"not yours from {shown}"),
                )
            )
        open_files = [
            f for f in cached if f not in foreign and (_mode(f, stat.S_ISREG) or 0) & 0o077
        ]
        if open_files:
            problems.append(
                Check(
                    f"{label}-permissions",
                    FAIL,
                    f"{len(open_files)} file(s) in {shown} readable by other users "
                    f"(e.g. {open_files[0].name})",
                    f"chmod 600 {shown}/*.json (or: awsenv doctor --fix)",
                    _chmod_all(open_files),
                )
            )
        yield from problems or [Check(f"{label}-permissions", OK, f"{shown} is private")]
    yield from _corrupt_checks()


def _owner(path: Path) -> int | None:
    """The owner of the name itself (a planted symlink counts as its planter's)."""
    try:
        return path.lstat().st_uid
    except OSError:
        return None


def _remove_all(paths: list[Path], what: str) -> Callable[[], str]:
    def repair() -> str:
        for path in paths:
            path.unlink(missing_ok=True)
        return f"removed {len(paths)} file(s) {what}"

    return repair


def _chmod_all(paths: list[Path]) -> Callable[[], str]:
    def repair() -> str:
        for path in paths:
            _chmod_now(path, 0o600)
        return f"chmod 600 on {len(paths)} cache file(s)"

    return repair


def corrupt_token_files() -> list[tuple[Path, str]]:
    """Token cache files that botocore and awsenv cannot use, with the reason."""
    directory = tokens.sso_cache_dir()
    found: list[tuple[Path, str]] = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            # Owners and modes have checks (and repairs) of their own: only content here.
            data = read_json(path, private=False)
        except RefusedFile as exc:
            found.append((path, f"it {exc.strerror}"))
            continue
        except (OSError, ValueError) as exc:
            found.append((path, f"not a JSON object ({exc})"))
            continue
        if data is None or not ("accessToken" in data or "startUrl" in data):
            continue  # a client registration, or gone meanwhile
        problem = tokens.token_problem(data)
        if problem is not None:
            found.append((path, problem))
    return found


def _corrupt_checks() -> Iterator[Check]:
    corrupt = corrupt_token_files()
    if not corrupt:
        yield Check("token-cache-files", OK, "every token cache file is readable")
        return
    for path, why in corrupt:

        def repair(path: Path = path) -> str:
            path.unlink(missing_ok=True)
            return f"removed {_home_short(path)}"

        yield Check(
            "token-cache-files",
            FAIL,
            f"{_home_short(path)} is corrupt: {why}",
            "awsenv doctor --fix removes it (only that file); then sign in again",
            repair,
        )


# --- profiles and sessions -------------------------------------------------------------------


def _profile_checks(config: AwsConfig) -> Iterator[Check]:
    problems = 0
    for profile in config.profiles.values():
        if profile.kind in ("sso", "sso-legacy"):
            try:
                sso_target(config, profile)
            except ConfigError as exc:
                problems += 1
                yield Check(
                    "profile",
                    FAIL,
                    str(exc),
                    "awsenv configure sso, or edit the profile",
                )
        region = profile.region
        if region and (why := regions.problem(region)) is not None:
            problems += 1
            where = f"{_home_short(profile.path)}, line {profile.line}" if profile.path else ""
            yield Check("region", WARN, f"profile {profile.name}: {why}", f"edit {where}")
    for session in config.sso_sessions.values():
        where = f"{_home_short(session.path)}, line {session.line}"
        if session.start_url and not session.start_url.startswith("https://"):
            problems += 1
            yield Check(
                "sso-session",
                FAIL,
                f"sso-session {session.name}: start URL {session.start_url!r} is not https",
                f"edit {where}",
            )
        if session.region and (why := regions.problem(session.region)) is not None:
            problems += 1
            yield Check(
                "region", WARN, f"sso-session {session.name}: sso_region {why}", f"edit {where}"
            )
    by_url: dict[str, list[str]] = {}
    for session in config.sso_sessions.values():
        if session.start_url:
            by_url.setdefault(session.start_url.rstrip("/#"), []).append(session.name)
    for url, names in by_url.items():
        if len(names) > 1:
            problems += 1
            yield Check(
                "sso-session",
                WARN,
                f"sso-sessions {', '.join(names)} share the start URL {url}: each needs its "
                "own sign-in",
                f"point the profiles at one of them (sso_session = {names[0]}) and delete the rest",
            )
    if not problems:
        count = sum(1 for p in config.profiles.values() if p.kind in ("sso", "sso-legacy"))
        yield Check(
            "profiles",
            OK,
            f"{len(config.profiles)} profiles ({count} SSO), "
            f"{len(config.sso_sessions)} sso-sessions, all complete",
        )


def _login_targets(config: AwsConfig) -> list[SsoTarget]:
    """One target per distinct sign-in the config uses (each session, each legacy start URL)."""
    seen: dict[tuple[str, str | None], SsoTarget] = {}
    for name in config.sso_sessions:
        try:
            target = session_target(config, name)
        except ConfigError:
            continue
        seen.setdefault((target.start_url, target.session_name), target)
    for profile in config.profiles.values():
        if profile.kind != "sso-legacy":
            continue
        try:
            target = sso_target(config, profile)
        except ConfigError:
            continue
        seen.setdefault((target.start_url, target.session_name), target)
    return list(seen.values())


def _login_command(target: SsoTarget) -> str:
    if target.session_name:
        return f"awsenv login --sso-session {target.session_name}"
    return f"awsenv login {target.profile}"


def _session_checks(config: AwsConfig, now: datetime) -> Iterator[Check]:
    for target in _login_targets(config):
        label = target.label
        try:
            token = tokens.load_token(target.start_url, target.session_name)
        except tokens.CorruptCacheFile:
            continue  # reported with the cache files
        state, left = inventory.session_state(token, now)
        if state == inventory.VALID and left is not None:
            yield Check("session", OK, f"{label}: signed in, {humanize(left)} left")
        elif state == inventory.REFRESHABLE:
            yield Check("session", OK, f"{label}: access token expired; renews itself on next use")
        elif state == inventory.EXPIRED:
            yield Check(
                "session",
                WARN,
                f"{label}: the SSO session has expired",
                _login_command(target),
            )
        else:
            yield Check("session", INFO, f"{label}: not signed in ({_login_command(target)})")


# --- environment -----------------------------------------------------------------------------


def _shell_check(environ: Mapping[str, str]) -> Check:
    from awsenv import shells

    named = environ.get("AWSENV_SHELL")
    if named:
        return Check("shell-integration", OK, f"loaded in this {named} shell")
    shell = shells.detect(environ)
    rc = {"bash": "~/.bashrc", "zsh": "~/.zshrc", "fish": "~/.config/fish/config.fish"}[shell]
    line = "awsenv init fish | source" if shell == "fish" else f'eval "$(awsenv init {shell})"'
    return Check(
        "shell-integration",
        WARN,
        f"not loaded in this shell ({shell}): `awsenv use` cannot change it",
        f"add `{line}` to {rc} and open a new shell",
    )


def measure_skew(region: str, timeout: float = CLOCK_TIMEOUT) -> tuple[float, str] | None:
    """Seconds this clock is ahead of the SSO portal's (its `Date` header) and the URL asked,
    or None when the service cannot be reached."""
    import urllib.error
    import urllib.request

    from awsenv.awsapi import client
    from awsenv.timefmt import utc_now

    url = client("sso", region).meta.endpoint_url
    request = urllib.request.Request(url.rstrip("/") + "/", method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            header = response.headers.get("Date")
    except urllib.error.HTTPError as exc:
        header = exc.headers.get("Date")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if not header:
        return None
    try:
        served = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    # The header has whole seconds: half a second of it is rounding, not skew.
    return (utc_now() - served).total_seconds() - 0.5, url


def _clock_check(config: AwsConfig) -> Check:
    region = next((s.region for s in config.sso_sessions.values() if s.region), "us-east-1")
    measured = measure_skew(region)
    if measured is None:
        return Check("clock", INFO, "skipped: the SSO service could not be reached")
    skew, url = measured
    ahead = "ahead of" if skew > 0 else "behind"
    amount = abs(skew)
    if amount <= SKEW_WARN:
        return Check("clock", OK, f"within {SKEW_WARN}s of {url}")
    message = f"this clock is {int(amount)}s {ahead} {url}"
    if amount <= SKEW_FAIL:
        return Check("clock", WARN, message + "; expiry times will be off", "sync the clock (NTP)")
    return Check(
        "clock",
        FAIL,
        message + "; AWS rejects signatures more than 5 minutes off",
        "sync the clock (NTP)",
    )


# --- running ---------------------------------------------------------------------------------


def run_checks(
    now: datetime, environ: Mapping[str, str] = os.environ, *, offline: bool = False
) -> list[Check]:
    checks = list(_file_checks(environ))
    try:
        config: AwsConfig | None = AwsConfig.load(environ)
    except ConfigError as exc:
        config = None
        if not any(c.id == "config" and c.status == FAIL for c in checks):
            checks.append(Check("config", FAIL, str(exc), "correct that line by hand"))
    if config is not None:
        checks.extend(_key_checks(config))
    checks.extend(_cache_checks())
    if config is not None:
        checks.extend(_profile_checks(config))
        checks.extend(_session_checks(config, now))
    checks.append(_shell_check(environ))
    if not offline:
        checks.append(_clock_check(config or AwsConfig({}, {}, config_path(environ))))
    return checks


def repair(checks: list[Check]) -> list[str]:
    """Apply every repair of a failed or warned check; what was done, one line each."""
    done = []
    for check in checks:
        if check.repair is not None and check.status in (WARN, FAIL):
            try:
                done.append(check.repair())
            except OSError as exc:  # another user's file, a read-only mount: say so, go on
                done.append(f"nothing for {check.id}: {exc.strerror} ({exc.filename})")
    return done


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)
