"""Every edit of the AWS config file, through configupdater.

What the user wrote survives byte for byte: comments, blank lines, spacing, order, unknown keys
and unrelated sections; only the lines an edit means to change differ. An edit runs under an
exclusive lock (flock on a lock file, see `lock_path`) from the read to the write, so two awsenv
processes never lose each other's update, and it refuses to write when the file changed
underneath it (an editor, `aws configure`). The previous file is kept as `<name>.awsenv.bak`;
the new one is written to a temp file and renamed over the old (a symlinked config is written
through its link), with the old file's mode.
"""

from __future__ import annotations

import configparser
import contextlib
import difflib
import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import configupdater
from configupdater import ConfigUpdater

from awsenv import config, recent
from awsenv.errors import AwsenvError, ConfigError
from awsenv.files import RefusedFile, ensure_private_dir, read_text, replace_file

LOCK_TIMEOUT = 10.0
BACKUP_SUFFIX = ".awsenv.bak"
NEW_FILE_MODE = 0o600


class ConcurrentEdit(AwsenvError):
    """Someone else is editing the config, or changed it while awsenv was editing it."""


def _parse_error(path: Path, exc: Exception) -> ConfigError:
    """One line naming the file and line of what configupdater could not parse."""
    where = f"{path}"
    # MissingSectionHeaderError is a ParsingError without `errors`: it goes first.
    if isinstance(exc, configupdater.MissingSectionHeaderError):
        line = exc.line.strip()[:60]
        return ConfigError(f"{where}, line {exc.lineno}: a setting before any [section] ({line!r})")
    if isinstance(exc, configupdater.ParsingError) and exc.errors:
        lineno, line = exc.errors[0]
        return ConfigError(f"{where}, line {lineno}: cannot parse {line.strip()[:60]!r}")
    if isinstance(exc, configupdater.DuplicateSectionError):
        return ConfigError(f"{where}, line {exc.lineno}: section [{exc.section}] appears twice")
    if isinstance(exc, configupdater.DuplicateOptionError):
        return ConfigError(
            f"{where}, line {exc.lineno}: '{exc.option}' is set twice in [{exc.section}]"
        )
    return ConfigError(f"{where}: cannot parse ({exc})")


def parse(text: str, path: Path) -> ConfigUpdater:
    """`text` as a ConfigUpdater; ConfigError with the line when it cannot be parsed."""
    updater = ConfigUpdater()
    try:
        updater.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise _parse_error(path, exc) from None
    return updater


def _options(section: Any) -> list[Any]:
    return [b for b in section.iter_blocks() if isinstance(b, configupdater.Option)]


def _one_line(what: str, text: str) -> str:
    """`text` unless a line break (or `]` in a header) would let it write other settings."""
    if any(c in text for c in "\r\n\x00") or (what == "section" and "]" in text):
        raise ConfigError(f"refusing to write a {what} of {text[:40]!r}: it would break the file")
    return text


class ConfigDocument:
    """The config file being edited, with lookups by profile and sso-session name."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.before = text
        self.updater = parse(text, path)
        # The text configupdater last parsed: a result equal to it needs no second parse.
        self.parsed = text

    @property
    def text(self) -> str:
        return str(self.updater)

    @property
    def changed(self) -> bool:
        return self.text != self.before

    def sections(self) -> Iterator[Any]:
        yield from self.updater.iter_sections()

    def profiles(self) -> Iterator[tuple[str, Any]]:
        """(profile name, section) for every `[default]` and `[profile NAME]`."""
        for section in self.sections():
            name = config.profile_name(section.name)
            if name is not None:
                yield name, section

    def sso_sessions(self) -> Iterator[tuple[str, Any]]:
        for section in self.sections():
            name = config.sso_session_name(section.name)
            if name is not None:
                yield name, section

    def profile(self, name: str) -> Any | None:
        return next((s for n, s in self.profiles() if n == name), None)

    def sso_session(self, name: str) -> Any | None:
        return next((s for n, s in self.sso_sessions() if n == name), None)

    @staticmethod
    def values(section: Any) -> dict[str, str]:
        """The section's settings, keys lower-cased as botocore reads them."""
        return {o.key.lower(): (o.value or "").strip() for o in _options(section)}

    def set_values(self, section: Any, values: Mapping[str, str]) -> bool:
        """Set keys in place; new keys go after the section's last setting (not after its
        trailing blank lines or comments). A key whose value is already right is not touched.
        Returns whether anything changed."""
        changed = False
        for key, value in values.items():
            _one_line("setting", f"{key} = {value}")
            options = {o.key.lower(): o for o in _options(section)}
            existing = options.get(key.lower())
            if existing is not None:
                if (existing.value or "").strip() != value:
                    existing.value = value
                    changed = True
                continue
            last = list(options.values())[-1] if options else None
            if last is not None:
                last.add_after.option(key, value)
            else:
                section.insert_at(0).option(key, value)
            changed = True
        return changed

    def remove_keys(self, section: Any, keys: list[str]) -> None:
        for option in _options(section):
            if option.key.lower() in keys:
                option.detach()

    def add_section(self, header: str, values: Mapping[str, str]) -> Any:
        """Append `[header]` at the end, after a blank line, with `values` in order."""
        self.add_sections([(header, values)])
        return self.updater[header]

    def add_sections(self, sections: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        """Append sections at the end, each after a blank line.

        The new text is appended and the whole parsed once: configupdater's own add_section
        scans every section per call, quadratic for the thousand profiles of a populate.
        Sections looked up before this call are stale after it.
        """
        if not sections:
            return
        headers = {s.name for s in self.sections()}
        for header, values in sections:
            _one_line("section", header)
            for key, value in values.items():
                _one_line("setting", f"{key} = {value}")
            if header in headers:
                raise ConfigError(f"{self.path}: section [{header}] already exists")
            headers.add(header)
        text = self.text
        newline = "\r\n" if "\r\n" in text else "\n"  # a CRLF file stays CRLF
        if text.strip():
            if not text.endswith(("\n", "\r")):
                text += newline
            if text.splitlines()[-1].strip():
                text += newline  # a blank line before the first new section
        text += newline.join(
            f"[{header}]{newline}"
            + "".join(f"{key} = {value}{newline}" for key, value in values.items())
            for header, values in sections
        )
        self.updater = parse(text, self.path)
        self.parsed = text

    def remove_section(self, section: Any) -> None:
        section.detach()

    def rename_section(self, section: Any, header: str) -> None:
        _one_line("section", header)
        if self.updater.has_section(header):
            raise ConfigError(f"{self.path}: section [{header}] already exists")
        section.name = header

    def diff(self) -> str:
        """A unified diff of the edit (empty when nothing changed)."""
        name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=name,
                tofile=f"{name} (new)",
            )
        )


def profile_header(name: str) -> str:
    return "default" if name == "default" else f"profile {name}"


def sso_session_header(name: str) -> str:
    return f"sso-session {name}"


# --- reading, locking, writing ---------------------------------------------------------------


def _read(path: Path) -> tuple[str, int | None]:
    """The file's text and mode, ("", None) when it does not exist."""
    try:
        text = read_text(path)  # bytes decoded as they are: \r\n stays \r\n
        mode = None if text is None else stat.S_IMODE(os.stat(path).st_mode)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RefusedFile as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    return ("", None) if text is None else (text, mode)


def lock_path(path: Path) -> Path:
    """Where the lock of the config at `path` (its real path) is: beside it when you own its
    directory, so that every awsenv of yours finds it there; else in awsenv's own state
    directory, named after the path, as whoever owns that directory could plant the lock."""
    try:
        beside = path.parent.stat().st_uid == os.geteuid()
    except FileNotFoundError:
        beside = True  # made by `_locked`, as yours
    except OSError as exc:
        raise AwsenvError(f"{path.parent}: cannot be read ({exc.strerror})") from None
    if beside:
        return path.with_name(f".{path.name}.awsenv.lock")
    name = hashlib.sha256(os.fsencode(path)).hexdigest()
    return recent.state_dir() / "locks" / f"{name}.lock"


def _open_lock(lock: Path) -> int:
    """The lock file, opened without following a symlink and checked to be a regular file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(lock, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AwsenvError(
                f"{lock} is a symlink; awsenv does not follow one to lock the config",
                hint="remove it",
            ) from None
        raise AwsenvError(f"{lock}: cannot be opened ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise AwsenvError(f"{lock} is not a regular file", hint="remove it")
    return fd


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = lock_path(path)
    if lock.parent != path.parent:
        ensure_private_dir(lock.parent)
        if lock.parent.stat().st_uid != os.geteuid():
            raise AwsenvError(f"{lock.parent} is not yours: no lock for {path} can be made there")
    fd = _open_lock(lock)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise ConcurrentEdit(
                        f"{path} is being edited by another awsenv; nothing written",
                        hint="try again when it has finished",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomic(path: Path, text: str, mode: int, like: os.stat_result | None) -> None:
    owner = None
    if like is not None and os.geteuid() == 0 and like.st_uid != 0:
        # `sudo awsenv ...` on a user's file must leave it owned by the user.
        owner = (like.st_uid, like.st_gid)
    replace_file(path, text, mode=mode, owner=owner)


@dataclass
class EditResult:
    """What an edit did: the text before and after, and where the backup went."""

    path: Path
    document: ConfigDocument
    written: bool = False
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return self.document.changed

    def diff(self) -> str:
        return self.document.diff()


def _check_result(document: ConfigDocument) -> None:
    """The new text must be readable by configupdater and by the reader `use` relies on."""
    text = document.text
    if text != document.parsed:
        parse(text, document.path)
    config.parse_ini(text, document.path)


@contextlib.contextmanager
def edit(
    path: Path | None = None, *, dry_run: bool = False, lock_timeout: float = LOCK_TIMEOUT
) -> Iterator[EditResult]:
    """Edit the config: yields an EditResult whose `document` the block changes.

    On a clean exit the new text is checked, the old file backed up and the new one written
    (unless `dry_run` or nothing changed). An exception in the block writes nothing.
    """
    shown = path if path is not None else config.config_path()
    real = Path(os.path.realpath(shown))
    if dry_run:
        text, _ = _read(real)
        result = EditResult(shown, ConfigDocument(text, shown))
        yield result
        _check_result(result.document)
        return
    with _locked(real, lock_timeout):
        text, mode = _read(real)
        result = EditResult(shown, ConfigDocument(text, shown))
        yield result
        if not result.document.changed:
            return
        _check_result(result.document)
        now_text, _ = _read(real)
        if now_text != text:
            raise ConcurrentEdit(
                f"{shown} changed while awsenv was editing it; nothing written",
                hint="run the command again",
            )
        like: os.stat_result | None = None
        if mode is not None:
            like = os.stat(real)
            backup = backup_path(real)
            _write_atomic(backup, text, NEW_FILE_MODE, like)
            result.backup = backup
        _write_atomic(real, result.document.text, NEW_FILE_MODE if mode is None else mode, like)
        result.written = True
