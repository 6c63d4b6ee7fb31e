"""Which `.awsenv` files may take effect: the checks made on reading one, and the trust store.

As in direnv, a file is allowed for its absolute path and exact content: the record is named
sha256(path + "\\n" + content), so an edit, or the same file copied to another repository, is
blocked until allowed again. A denied path is ignored quietly. Records live under
$XDG_DATA_HOME/awsenv (allow/, deny/), one small file each, written atomically, so shells that
allow at the same moment never lose each other's records.

The path is the file as reached from the directory that applies it, so that no file borrows
another's trust: its directory's real path, with the name `.awsenv` itself not followed. A
symlinked `.awsenv` (a repository may commit `.awsenv -> ../infra/.awsenv`) is thus allowed at
its own path, for the target it points at; and a file reached through a directory symlink that
someone else owns (not you, not root) keeps that link in its path, as that person chooses where
it leads. `read` works this out once, and both `allow` and loading go through it, so the two can
never disagree about which file was reviewed. Files writable by group or others, or owned by
someone else, are refused outright: their content could change between review and use without
changing who seems to have written it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pwd
import stat
from pathlib import Path

from awsenv import files
from awsenv.errors import AwsenvError
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `_dir`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

ALLOWED, DENIED, BLOCKED = "allowed", "denied", "blocked"
# An .awsenv names a profile and maybe a region; anything larger is not one.
MAX_BYTES = 4096


class RefusedFile(AwsenvError):
    pass


def shown(text: str) -> str:
    """`text` fit for a one-line message: control and other unprintable characters escaped.

    Paths and contents come from other people's repositories; a newline or a terminal escape
    sequence in a directory name must not reach the terminal as such.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Checked(Value):
    """A file as read once: its name, the path trust holds for, content and the facts the
    checks need."""

    __slots__ = ("content", "key", "link_uid", "mode", "path", "real", "uid", "via")

    def __init__(
        self,
        path: str,  # as the user or the shell named it
        key: str,  # the path trust records hold (see the module's doc)
        real: str,  # symlinks resolved: the file whose bytes these are
        content: bytes,
        uid: int,
        mode: int,
        link_uid: int | None,  # owner of the name itself when that is a symlink
        via: tuple[str, int] | None = None,  # a directory symlink on the way someone else owns
    ) -> None:
        self.path: Final = path
        self.key: Final = key
        self.real: Final = real
        self.content: Final = content
        self.uid: Final = uid
        self.mode: Final = mode
        self.link_uid: Final = link_uid
        self.via: Final = via

    @property
    def digest(self) -> str:
        """direnv's record name; for a symlink, where it points is part of what was allowed."""
        if self.real == self.key:
            return _digest(os.fsencode(self.key) + b"\n" + self.content)
        # A NUL, which no path holds, keeps the two forms apart.
        target = os.fsencode(self.key) + b"\0" + os.fsencode(self.real)
        return _digest(target + b"\n" + self.content)


# As the kernel's limit on symlinks followed in one lookup (Linux's is 40).
_MAX_LINKS = 40


def _resolve(directory: str) -> tuple[str, tuple[str, int] | None]:
    """`directory`'s real path, and the first symlink on the way owned by someone other than
    you or root, as (its path, its owner). Resolved step by step, as realpath does, so that
    links inside link targets count too."""
    me = os.geteuid()
    pending = directory.split("/")[::-1]
    done = "/"
    foreign: tuple[str, int] | None = None
    links = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            done = os.path.dirname(done)
            continue
        step = os.path.join(done, part)
        info = os.lstat(step)
        if not stat.S_ISLNK(info.st_mode):
            done = step
            continue
        if foreign is None and info.st_uid not in (me, 0):
            foreign = (step, info.st_uid)
        links += 1
        if links > _MAX_LINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), directory)
        target = os.readlink(step)
        if target.startswith("/"):
            done = "/"
        pending.extend(target.split("/")[::-1])
    return done, foreign


def trusted_path(path: str) -> tuple[str, tuple[str, int] | None]:
    """The path trust holds for the file at `path` (see the module's doc), and the foreign
    directory symlink on the way, if any."""
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    real_dir, foreign = _resolve(directory)
    return (path if foreign else os.path.join(real_dir, name)), foreign


def read(path: str) -> Checked:
    """Read the file at `path` through its real path; FileNotFoundError when there is none.

    The resolved path is opened with O_NOFOLLOW (a symlink swapped in afterwards is refused, not
    followed) and O_NONBLOCK (a FIFO planted as `.awsenv` cannot hang the shell), and fstat
    describes the very file whose bytes are read.
    """
    real = os.path.realpath(path)
    try:
        key, via = trusted_path(path)
        link = os.lstat(path)
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RefusedFile(f"{shown(path)} cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"{shown(path)} is not a regular file")
        content = f.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise RefusedFile(f"{shown(path)} is larger than {MAX_BYTES} bytes, too large to trust")
    link_uid = link.st_uid if stat.S_ISLNK(link.st_mode) else None
    return Checked(path, key, real, content, info.st_uid, info.st_mode, link_uid, via)


def owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def refusal(checked: Checked) -> str | None:
    """Why this file may never take effect, whatever the trust store says; None when it may."""
    real = "" if checked.real == checked.path else f" (a symlink to {shown(checked.real)})"
    if checked.link_uid is not None and files.someone_elses(checked.link_uid):
        return f"{shown(checked.path)} is a symlink owned by {owner(checked.link_uid)}, not you"
    if files.someone_elses(checked.uid):
        return f"{shown(checked.path)}{real} is owned by {owner(checked.uid)}, not you"
    if files.writable_by_others(checked.mode):
        return (
            f"{shown(checked.path)}{real} is writable by group or others "
            f"(fix: chmod go-w {shown(checked.real)})"
        )
    return None


def check(checked: Checked) -> None:
    reason = refusal(checked)
    if reason is not None:
        raise RefusedFile(f"refused: {reason}")


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_DATA_HOME/awsenv; the XDG spec says to ignore a relative XDG_DATA_HOME."""
    base = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".local", "share")
    return Path(base) / "awsenv"


class TrustStore:
    """allow/<digest> and deny/<sha256(path)> records, each holding the path as JSON."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.allow_dir = root / "allow"
        self.deny_dir = root / "deny"

    @classmethod
    def default(cls, environ: Mapping[str, str] = os.environ) -> TrustStore:
        return cls(data_dir(environ))

    def _deny_record(self, key: str) -> Path:
        return self.deny_dir / _digest(os.fsencode(key))

    def _check_private(self) -> None:
        """Records anyone else could add would let them allow files: refuse such a store."""
        for directory in (self.root, self.allow_dir, self.deny_dir):
            try:
                info = os.stat(directory)
            except FileNotFoundError:
                continue
            if not files.is_private(info):
                raise RefusedFile(
                    f"the trust store {shown(str(directory))} is writable by someone else "
                    f"(fix: chmod 700 it, owned by you)"
                )

    def state(self, checked: Checked) -> str:
        self._check_private()
        if self._deny_record(checked.key).exists():
            return DENIED
        if (self.allow_dir / checked.digest).exists():
            return ALLOWED
        return BLOCKED

    def allow(self, checked: Checked) -> None:
        self._check_private()
        files.ensure_private_dir(self.root)
        files.write_json(self.allow_dir / checked.digest, {"path": checked.key})
        self._deny_record(checked.key).unlink(missing_ok=True)

    def deny(self, key: str) -> int:
        """Deny the file trusted at `key` (see `trusted_path`) and forget every content allowed
        there; returns how many."""
        self._check_private()
        dropped = [p for p, path in self._records(self.allow_dir) if path == key]
        for record in dropped:
            record.unlink(missing_ok=True)
        files.ensure_private_dir(self.root)
        files.write_json(self._deny_record(key), {"path": key})
        return len(dropped)

    def allowed_before(self, key: str) -> bool:
        """Whether some other content was allowed at `key`: the file has been edited since."""
        return any(path == key for _, path in self._records(self.allow_dir))

    def prune(self) -> tuple[int, int]:
        """Drop allow records whose file is gone or has changed, and deny records whose
        directory is gone. A denied path whose file is missing is kept: a checkout can bring
        the file back. Returns (allow records dropped, deny records dropped)."""
        self._check_private()
        stale_allows = [
            record
            for record, path in self._records(self.allow_dir)
            if path is None or _current_digest(path) != record.name
        ]
        stale_denies = [
            record
            for record, path in self._records(self.deny_dir)
            if path is None or not os.path.isdir(os.path.dirname(path))
        ]
        for record in stale_allows + stale_denies:
            record.unlink(missing_ok=True)
        return len(stale_allows), len(stale_denies)

    @staticmethod
    def _records(directory: Path) -> list[tuple[Path, str | None]]:
        """Each record with the path it holds (None when unreadable: a stale record)."""
        if not directory.is_dir():
            return []
        found: list[tuple[Path, str | None]] = []
        for record in sorted(directory.iterdir()):
            if record.name.startswith("."):  # a temporary file of a write in progress
                continue
            try:
                path = (files.read_json(record) or {}).get("path")
            except (OSError, ValueError):
                path = None
            found.append((record, path if isinstance(path, str) else None))
        return found


def _current_digest(path: str) -> str | None:
    try:
        return read(path).digest
    except (OSError, RefusedFile):
        return None
