"""Private files written whole: temp file + rename, 0600 in a 0700 directory."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Any


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
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_private(path: Path, data: str) -> None:
    """Atomically replace `path` with `data`, readable by the owner only, in a 0700 directory."""
    ensure_private_dir(path.parent)
    replace_file(path, data)


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write `value` as botocore's JSONFileCache does: json.dumps defaults, no newline."""
    import json  # here: `init` writes files but no JSON, and json costs it a few ms

    write_private(path, json.dumps(value))


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`; None when missing. Raises ValueError when unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    import json

    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
