"""Cross-process locks: one process signs in, refreshes or fetches keys; the others wait for it.

A lock is an flock(2) on a file in awsenv's own state directory (never the AWS CLI's caches):
it belongs to the open file of the holding process, so the kernel releases it when that
process ends in any way, SIGKILL included. No file ever has to be deleted to get unstuck; the
files stay, empty, 0600 in a 0700 directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from awsenv.files import ensure_private_dir
from awsenv.recent import state_dir

# How often a waiter tries again: flock has no timeout, and a waiter must give up in time.
_POLL = 0.05


class LockTimeout(Exception):
    """The holder kept the lock longer than the waiter's bound."""


def lock_dir() -> Path:
    return state_dir() / "locks"


@contextlib.contextmanager
def exclusive(name: str, *, wait: float, waiting: Callable[[], None]) -> Iterator[bool]:
    """Hold the lock `name`; yields whether another process held it first.

    `waiting` is called once, before waiting, when the lock is taken; LockTimeout when it is
    still taken after `wait` seconds.
    """
    directory = lock_dir()
    ensure_private_dir(directory)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(directory / f"{name}.lock", flags, 0o600)
    try:
        waited = not _try(fd)
        if waited:
            waiting()
            deadline = time.monotonic() + wait
            while not _try(fd):
                if time.monotonic() >= deadline:
                    raise LockTimeout(name)
                time.sleep(_POLL)
        yield waited
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
