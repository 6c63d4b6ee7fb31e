"""`.awsenv` files: the format, the lookup from a directory up to /, and what entering one does.

The format, kept tiny: UTF-8 text; blank lines and lines starting with `#` are ignored; a line
`key = value` sets `profile` or `region`; a line without `=` is the profile name, so a file that
holds just `Company-1-ReadOnly` works. A file a team commits names `account` and `role` instead
(optionally `sso_start_url` or `sso_session`): awsenv.shareable finds each person's own profile
for them. A file's content is untrusted input from whoever wrote the
repository: it is parsed here, checked against the config, and reaches shell code only through
`shells.render`/`quote`. Whether a file may take effect at all is awsenv.trust's job.

The shell hook walks up from $PWD itself and runs `awsenv _dir FILE` only when the nearest file
differs from the one it handled last; `enter` answers with the code that applies FILE's profile
and a snapshot of what the shell had before, which the shell keeps to restore on leaving.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from awsenv import files, guard, regions, shareable, shells, switch, trust, ui
from awsenv.config import AwsConfig
from awsenv.errors import AwsenvError, ConfigError
from awsenv.marks import Marks
from awsenv.shareable import Wanted
from awsenv.trust import shown
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `_dir`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

FILENAME = ".awsenv"
# Shell variables the integration (shell/awsenv.*) defines: the snapshot restored on leaving,
# and the function that re-checks the current directory after allow, deny or pin.
RESTORE_VAR = "__awsenv_dir_restore"
REFRESH_FUNCTION = "__awsenv_dir_refresh"

_KEYS = ("profile", "region", "account", "role", "sso_start_url", "sso_session")
_ACCOUNT = re.compile(r"[0-9]{12}")
_ROLE = re.compile(r"[\w+=,.@-]{1,64}")
# Characters that need no quoting in a suggested command (see `shareable.create_command`).
_START_URL = re.compile(r"https://[\w.-]+(:[0-9]+)?(/[\w.~%/#-]*)?")
_SESSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
# Characters a path may hold and still be shown unquoted in a suggested command.
_PLAIN = re.compile(r"[\w@%+=:,./~-]+")


class InvalidDirFile(ConfigError):
    pass


class DirFileError(AwsenvError):
    """An error while applying a `.awsenv` file, prefixed with the file; keeps the exit code."""

    def __init__(self, path: str, cause: AwsenvError) -> None:
        super().__init__(f"{shown(path)}: {cause}")
        self.exit_code = cause.exit_code


class DirFile(Value):
    """A profile by name, or (`wanted`) by account and role; and a region."""

    __slots__ = ("profile", "region", "wanted")

    def __init__(
        self, profile: str | None, region: str | None = None, wanted: Wanted | None = None
    ) -> None:
        self.profile: Final = profile
        self.region: Final = region
        self.wanted: Final = wanted

    def describe(self) -> str:
        if self.wanted is not None:
            return self.wanted.describe()
        return f"profile {shown(self.profile or '')}"

    def resolve(self, config: AwsConfig) -> str:
        """The name of the profile this file applies in `config`."""
        if self.wanted is None:
            return self.profile or ""
        return shareable.resolve(config, self.wanted, self.region)


def parse(content: bytes, path: str) -> DirFile:
    """The profile and region a file's content names; InvalidDirFile says which line is wrong."""
    where = shown(path)
    try:
        text = content.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InvalidDirFile(f"{where}: not UTF-8 text") from None
    values: dict[str, str] = {}
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        def fail(why: str, lineno: int = lineno) -> InvalidDirFile:
            return InvalidDirFile(f"{where}, line {lineno}: {why}")

        if not line.isprintable():
            raise fail("contains control characters")
        key, eq, value = line.partition("=")
        key, value = (key.strip().lower(), value.strip()) if eq else ("profile", line)
        if key not in _KEYS:
            raise fail(f"unknown setting {key[:40]!r} (expected {', '.join(_KEYS)})")
        if key in values:
            raise fail(f"{key} is given twice")
        if not value:
            raise fail(f"{key} is empty")
        values[key] = value
    region = values.get("region")
    if region is not None and (why := regions.problem(region)) is not None:
        raise InvalidDirFile(f"{where}: {why}")
    if "account" in values or "role" in values:
        return DirFile(None, region, _wanted(values, where))
    extra = [k for k in ("sso_start_url", "sso_session") if k in values]
    if extra:
        raise InvalidDirFile(f"{where}: {extra[0]} goes with account and role, not a profile")
    if "profile" not in values:
        raise InvalidDirFile(f"{where}: names no profile")
    return DirFile(values["profile"], region)


def _wanted(values: dict[str, str], where: str) -> Wanted:
    """The account-and-role form: checked strictly, as its values reach a suggested command."""
    if "profile" in values:
        raise InvalidDirFile(f"{where}: names a profile and an account or role; keep one form")
    for key in ("account", "role"):
        if key not in values:
            raise InvalidDirFile(f"{where}: names no {key} (a shareable file needs both)")
    checks = (
        ("account", _ACCOUNT, "is not a 12-digit account id"),
        ("role", _ROLE, "is not a role name"),
        ("sso_start_url", _START_URL, "is not an https start URL"),
        ("sso_session", _SESSION, "is not an sso-session name"),
    )
    for key, pattern, why in checks:
        value = values.get(key)
        if value is not None and not pattern.fullmatch(value):
            raise InvalidDirFile(f"{where}: {key} {value[:60]!r} {why}")
    if "sso_start_url" in values and "sso_session" in values:
        raise InvalidDirFile(f"{where}: give sso_start_url or sso_session, not both")
    return Wanted(
        values["account"], values["role"], values.get("sso_start_url"), values.get("sso_session")
    )


def file_text(spec: DirFile) -> str:
    """What `awsenv pin` writes: the bare name when it reads back unambiguously."""
    wanted = spec.wanted
    if wanted is not None:
        lines = [f"account = {wanted.account}", f"role = {wanted.role}"]
        if wanted.start_url:
            lines.append(f"sso_start_url = {wanted.start_url}")
        if wanted.sso_session:
            lines.append(f"sso_session = {wanted.sso_session}")
    else:
        profile = spec.profile or ""
        bare = "=" not in profile and not profile.startswith("#")
        lines = [profile if bare else f"profile = {profile}"]
    if spec.region:
        lines.append(f"region = {spec.region}")
    return "".join(line + "\n" for line in lines)


def logical_cwd(environ: Mapping[str, str] = os.environ) -> str:
    """The current directory as the shell spells it ($PWD, symlinks kept), like the hook sees it."""
    pwd = environ.get("PWD", "")
    try:
        if os.path.isabs(pwd) and os.path.samefile(pwd, "."):
            return os.path.normpath(pwd)
    except OSError:
        pass
    return os.getcwd()


def nearest(start: str) -> str | None:
    """The `.awsenv` in `start` or the closest directory above it; the shell hooks do the same."""
    directory = start
    while True:
        candidate = os.path.join(directory, FILENAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def locate(target: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The file `allow`/`deny` act on: DIR/.awsenv, a path to the file, or the nearest one."""
    cwd = logical_cwd(environ)
    if target is None:
        found = nearest(cwd)
        if found is None:
            raise AwsenvError(f"no {FILENAME} in {shown(cwd)} or any directory above it")
        return found
    path = os.path.normpath(os.path.join(cwd, os.path.expanduser(target)))
    if os.path.basename(path) == FILENAME and not os.path.isdir(path):
        return path
    if not os.path.isdir(path):
        raise AwsenvError(f"{shown(path)} is not a directory")
    return os.path.join(path, FILENAME)


def allow_command(shell: str, path: str) -> str:
    """The command that allows the file at `path`, quoted for the user's shell."""
    directory = os.path.dirname(path)
    arg = directory if _PLAIN.fullmatch(directory) else shells.quote(shell, directory)
    return shown(f"awsenv allow {arg}")


def refresh_code(shell: str, path: str | None = None) -> str:
    """Code making the calling shell re-check its directory: now when `path` is None, else only
    if `path` is the file that shell has applied or blocked."""
    args = "" if path is None else " " + shells.quote(shell, path)
    return f"{REFRESH_FUNCTION}{args};\n"


def _assign(shell: str, name: str, value: str) -> str:
    """A global, unexported shell variable: the snapshot must not reach child processes."""
    quoted = shells.quote(shell, value)
    if shell == "fish":
        return f"set -g {name} {quoted};\n"
    if shell == "zsh":
        return f"typeset -g {name}={quoted};\n"
    return f"{name}={quoted};\n"


def enter(found: str, environ: Mapping[str, str], shell: str) -> str:
    """Shell code for a shell whose nearest `.awsenv` is now `found` ("" for none).

    The shell has already put back its own snapshot, so `environ` is what it had before any
    directory applied a profile, except in a shell started from one that had (AWSENV_DIR set,
    no snapshot here): that state is cleared, as its origin is unknown. Applying goes through
    `switch.use`, auto-login rules included. A blocked file says so on stderr and applies
    nothing; a denied one is ignored quietly.
    """
    if found and not (os.path.isabs(found) and os.path.basename(found) == FILENAME):
        raise AwsenvError(f"expected the absolute path of a {FILENAME} file, got {shown(found)}")
    base = dict(environ)
    inherited: list[shells.Change] = []
    if environ.get(switch.DIR_VAR):
        inherited = [(name, None) for name, value in switch.snapshot(environ) if value is not None]
        for name, _ in inherited:
            del base[name]
    leave = shells.render(shell, inherited)
    if not found:
        return leave
    try:
        checked = trust.read(found)
    except FileNotFoundError:  # removed since the shell looked
        return leave
    store = trust.TrustStore.default(environ)
    state = store.state(checked)
    if state == trust.DENIED:
        return leave
    trust.check(checked)
    if state == trust.BLOCKED:
        ui.say(blocked_message(shell, checked, store))
        return leave
    spec = parse(checked.content, found)
    try:
        config = AwsConfig.load(base)
        name = spec.resolve(config)
        if not guard.enter_directory(Marks.load(), config.profile(name), base, found):
            return leave
        changes = switch.use(name, base, region=spec.region, yes=True)
    except AwsenvError as exc:
        raise DirFileError(found, exc) from None
    restore = shells.render(shell, switch.snapshot(base))
    applied = [*inherited, *changes, (switch.DIR_VAR, os.path.dirname(found))]
    return _assign(shell, RESTORE_VAR, restore) + shells.render(shell, applied)


def blocked_message(shell: str, checked: trust.Checked, store: trust.TrustStore) -> str:
    """One line: the file, the profile it asks for, and the command that allows it."""
    try:
        wants = parse(checked.content, checked.path).describe()
    except InvalidDirFile as exc:
        wants = f"invalid: {exc}"
    why = "changed since it was allowed" if store.allowed_before(checked.key) else "not allowed yet"
    return (
        f"{shown(checked.path)} is blocked ({_link(checked)}{wants}; {why}); review it, then run: "
        f"{allow_command(shell, checked.path)}"
    )


def _link(checked: trust.Checked) -> str:
    """What makes the file reached differ from the file read, if anything: the reviewer must
    know that a link decides what takes effect."""
    if checked.via is not None:
        link, owner = checked.via
        return (
            f"reached through {shown(link)}, a symlink owned by {trust.owner(owner)}, "
            f"to {shown(checked.real)}; "
        )
    if checked.link_uid is not None:
        return f"a symlink to {shown(checked.real)}; "
    return ""


def _read(path: str) -> trust.Checked:
    try:
        return trust.read(path)
    except FileNotFoundError:
        raise AwsenvError(f"there is no {shown(path)}") from None


def allow(path: str, environ: Mapping[str, str] = os.environ) -> DirFile:
    """Trust the file at `path` as it is now; a file that cannot take effect is refused."""
    checked = _read(path)
    trust.check(checked)
    spec = parse(checked.content, path)
    trust.TrustStore.default(environ).allow(checked)
    return spec


def deny(path: str, environ: Mapping[str, str] = os.environ) -> int:
    """Ignore the file at `path` from now on; returns how many allowed versions were dropped."""
    try:
        key, _ = trust.trusted_path(path)
    except OSError as exc:
        raise AwsenvError(f"cannot deny {shown(path)} ({exc.strerror})") from None
    return trust.TrustStore.default(environ).deny(key)


def shareable_spec(
    profile: str, region: str | None, environ: Mapping[str, str] = os.environ
) -> DirFile:
    """The account-and-role form for `profile`, as `awsenv pin --shareable` writes it."""
    config = AwsConfig.load(environ)
    return DirFile(None, region, shareable.wanted_for(config, config.profile(profile)))


def pin(spec: DirFile, environ: Mapping[str, str] = os.environ) -> str:
    """Write `.awsenv` naming `spec` in the current directory and trust it; returns its path."""
    config = AwsConfig.load(environ)
    config.profile(spec.resolve(config))
    path = os.path.join(logical_cwd(environ), FILENAME)
    text = file_text(spec)
    if parse(text.encode(), path) != spec:
        raise AwsenvError(f"{spec.describe()} cannot be written to {FILENAME}")
    try:
        files.write_private(Path(path), text)
    except OSError as exc:
        raise AwsenvError(f"cannot write {shown(path)} ({exc.strerror})") from None
    allow(path, environ)
    return path
