"""`.awsenv` files: the format, the lookup from a directory up to /, and what entering one does.

The format, kept tiny: UTF-8 text; blank lines and lines starting with `#` are ignored; a line
`key = value` sets `profile` or `region`; a line without `=` is the profile name, so a file that
holds just `Company-1-ReadOnly` works. A file's content is untrusted input from whoever wrote the
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

from awsenv import files, regions, shells, switch, trust, ui
from awsenv.config import AwsConfig
from awsenv.errors import AwsenvError, ConfigError
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

_KEYS = ("profile", "region")
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
    __slots__ = ("profile", "region")

    def __init__(self, profile: str, region: str | None = None) -> None:
        self.profile: Final = profile
        self.region: Final = region


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
            raise fail(f"unknown setting {key[:40]!r} (expected profile or region)")
        if key in values:
            raise fail(f"{key} is given twice")
        if not value:
            raise fail(f"{key} is empty")
        values[key] = value
    if "profile" not in values:
        raise InvalidDirFile(f"{where}: names no profile")
    region = values.get("region")
    if region is not None and (why := regions.problem(region)) is not None:
        raise InvalidDirFile(f"{where}: {why}")
    return DirFile(values["profile"], region)


def file_text(spec: DirFile) -> str:
    """What `awsenv pin` writes: the bare name when it reads back unambiguously."""
    profile = spec.profile
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
        changes = switch.use(spec.profile, base, region=spec.region)
    except AwsenvError as exc:
        raise DirFileError(found, exc) from None
    restore = shells.render(shell, switch.snapshot(base))
    applied = [*inherited, *changes, (switch.DIR_VAR, os.path.dirname(found))]
    return _assign(shell, RESTORE_VAR, restore) + shells.render(shell, applied)


def blocked_message(shell: str, checked: trust.Checked, store: trust.TrustStore) -> str:
    """One line: the file, the profile it asks for, and the command that allows it."""
    try:
        wants = f"profile {shown(parse(checked.content, checked.path).profile)}"
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


def pin(spec: DirFile, environ: Mapping[str, str] = os.environ) -> str:
    """Write `.awsenv` naming `spec` in the current directory and trust it; returns its path."""
    AwsConfig.load(environ).profile(spec.profile)
    path = os.path.join(logical_cwd(environ), FILENAME)
    text = file_text(spec)
    if parse(text.encode(), path) != spec:
        raise AwsenvError(f"profile {shown(spec.profile)!r} cannot be written to {FILENAME}")
    try:
        files.write_private(Path(path), text)
    except OSError as exc:
        raise AwsenvError(f"cannot write {shown(path)} ({exc.strerror})") from None
    allow(path, environ)
    return path
