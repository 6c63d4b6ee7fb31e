"""The profiles used most recently, newest first: the order the picker offers them in.

Kept in $XDG_STATE_HOME/awsenv/recent.json (or $XDG_DATA_HOME/awsenv/ when only that is set),
written whole and atomically. `use` records every switch, so this is stdlib-only and writes
only when the order changes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from awsenv.files import read_json, write_json

KEEP = 100


def state_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "awsenv"
    data = os.environ.get("XDG_DATA_HOME")
    if data:
        return Path(data) / "awsenv"
    return Path(os.path.expanduser("~/.local/state")) / "awsenv"


def recent_path() -> Path:
    return state_dir() / "recent.json"


def load() -> list[str]:
    """Profile names, most recent first; an unreadable file counts as none."""
    try:
        data = read_json(recent_path())
    except (OSError, ValueError):
        return []
    names = (data or {}).get("profiles")
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str)]


def remember(name: str) -> None:
    """Put `name` first. Never fails the command that used the profile."""
    names = load()
    if names[:1] == [name]:
        return
    names = [name, *(n for n in names if n != name)][:KEEP]
    with contextlib.suppress(OSError):
        write_json(recent_path(), {"profiles": names})
