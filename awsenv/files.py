"""Files awsenv reads and writes: every read through `read_text` (only regular files, of a
bounded size, caches only when they are the user's own); every write whole, temp file +
rename, 0600 in a 0700 directory."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Any


# The config and credentials files: 100,000 profiles fit; /dev/zero or a runaway file does not.
MAX_TEXT = 16 << 20
# A cached token, registration or set of role keys is a few hundred bytes.
MAX_CACHE = 1 << 20


class RefusedFile(OSError):
    """A path awsenv will not read: not a regular file, too large, or a cache not the user's.

    An OSError, so every caller that treats an unreadable cache as a miss does so here too.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(errno.EINVAL, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename} {self.strerror}"


def read_text(path: Path, *, limit: int = MAX_TEXT, private: bool = False) -> str | None:
    """The UTF-8 text of the file at `path`; None when there is none.

    Opened O_NONBLOCK, so a FIFO cannot hang the command, and judged by fstat of the very file
    opened: only a regular file of at most `limit` bytes is read (/dev/zero would fill memory).
    `private` is the rule for caches of secrets, as for `.awsenv` files: the file must be the
    user's own and writable by no one else (a world-writable cache directory lets anyone plant
    role keys), and not a symlink. Raises RefusedFile, another OSError, or UnicodeDecodeError.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if private else 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if private and exc.errno == errno.ELOOP:
            raise RefusedFile(path, "is a symlink") from None
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(path, "is not a regular file")
        if info.st_size > limit:
            raise RefusedFile(path, f"is larger than {limit >> 20} MB")
        if private:
            _check_private(path, info)
        data = f.read(limit + 1)  # the size may grow after fstat
    if len(data) > limit:
        raise RefusedFile(path, f"is larger than {limit >> 20} MB")
    return data.decode("utf-8")


def _check_private(path: Path, info: os.stat_result) -> None:
    if someone_elses(info.st_uid):
        raise RefusedFile(path, f"is owned by uid {info.st_uid}, not you")
    if writable_by_others(info.st_mode):
        raise RefusedFile(path, "is writable by other users")


# The rule for a file whose content awsenv trusts (caches of secrets, `.awsenv` files, the
# trust store): it is the user's own, and no one else may change it. Both halves live here.


def someone_elses(uid: int) -> bool:
    """Whether a file owned by `uid` belongs to someone other than the user running awsenv."""
    return uid != os.geteuid()


def writable_by_others(mode: int) -> bool:
    """Whether group or others may write a file of this `mode`."""
    return bool(mode & (stat.S_IWGRP | stat.S_IWOTH))


def is_private(info: os.stat_result) -> bool:
    """Whether the file `info` describes is the user's own and no one else may write it."""
    return not someone_elses(info.st_uid) and not writable_by_others(info.st_mode)


def cache_dir() -> Path:
    """awsenv's cache directory: $XDG_CACHE_HOME/awsenv, else ~/.cache/awsenv (as the shell
    integration and completions work it out too)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "awsenv"


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) as 0700; an existing directory keeps its mode."""
    if not path.is_dir():
        os.makedirs(path, mode=0o700, exist_ok=True)


def replace_file(
    path: Path, data: str, *, mode: int = 0o600, owner: tuple[int, int] | None = None
) -> None:
    """Atomically replace `path` with `data` (temp file + rename), with `mode` and `owner`.

    The temp file is made as tempfile.mkstemp makes one, without importing tempfile (with shutil
    and random, 5 ms of every `use` that reorders the recent profiles): a random name, opened
    O_EXCL|O_NOFOLLOW (never an existing file or a planted symlink), mode 0600, so the content
    is never readable by others, even briefly. 64 random bits make a name clash, which O_EXCL
    turns into an error, too unlikely to retry.
    """
    tmp = str(path.parent / f".{path.name}.{os.urandom(8).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(data)
            f.flush()
            if mode != 0o600:
                os.fchmod(f.fileno(), mode)
            if owner is not None:
                os.fchown(f.fileno(), *owner)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """`exc` naming the file being replaced: not the temp file, nor nothing (a full disk fails
    a write, which names no file). Still an OSError of the same kind, for callers that catch
    one; the program reports it as a file error."""
    return OSError(exc.errno, exc.strerror, str(path))


def write_private(path: Path, data: str) -> None:
    """Atomically replace `path` with `data`, readable by the owner only, in a 0700 directory."""
    ensure_private_dir(path.parent)
    replace_file(path, data)


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write `value` as botocore's JSONFileCache does: json.dumps defaults, no newline."""
    import json  # here: `init` writes files but no JSON, and json costs it a few ms

    write_private(path, json.dumps(value))


def read_json(path: Path, *, private: bool = True) -> dict[str, Any] | None:
    """The JSON object in `path`; None when missing. Raises ValueError when it is not one,
    OSError (RefusedFile among them) when it cannot or may not be read (see read_text).

    `private` by default: awsenv's JSON files are caches of secrets and its own state.
    """
    text = read_text(path, limit=MAX_CACHE, private=private)
    if text is None:
        return None
    import json

    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
