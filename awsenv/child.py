"""Running a command as a child that awsenv outlives (`exec --server` serves it meanwhile).

Signals the terminal sends reach the whole foreground process group, the command included:
awsenv ignores them (a command that stops gracefully on Ctrl-C may still need keys). Those sent
to awsenv alone, by `kill` or a supervisor, go on to the command. When the command ends, awsenv
ends as it did: with its exit status, or killed by the same signal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType

from awsenv.errors import AwsenvError

# From the terminal, to the whole foreground group.
_IGNORED = (signal.SIGINT, signal.SIGQUIT)
# Meant for whoever runs the command.
_FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def start_threads(threads: list[threading.Thread]) -> None:
    """Start `threads` with the signals `run` handles blocked in them (threads inherit the
    mask): the kernel may hand a signal to any thread that takes it, and Python runs handlers
    only in the main thread, which would sleep on in waitpid with SIGTERM never forwarded."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {*_IGNORED, *_FORWARDED})
    try:
        for thread in threads:
            thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class CommandFailed(AwsenvError):
    """The command could not be started: 127 not found, 126 not executable, as shells say."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


def run(argv: list[str], environ: Mapping[str, str]) -> int:
    """Run `argv` to its end; its exit status, or -N when signal N ended it."""
    child: list[int] = []
    pending: list[int] = []  # forwarded once the command has started

    def forward(sig: int, frame: FrameType | None) -> None:
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child[0], sig)
        else:
            pending.append(sig)

    sys.stdout.flush()
    sys.stderr.flush()
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _IGNORED}
    previous.update({sig: signal.signal(sig, forward) for sig in _FORWARDED})
    # A mask inherited blocked (from a thread of whatever started awsenv) would hold SIGTERM
    # pending forever: neither forwarded nor fatal.
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {*_IGNORED, *_FORWARDED})
    try:
        try:
            # An ignored signal stays ignored across exec, and the mask is inherited: the
            # command gets the defaults back and blocks nothing.
            child.append(
                os.posix_spawnp(argv[0], argv, dict(environ), setsigdef=_IGNORED, setsigmask=())
            )
        except FileNotFoundError:
            raise CommandFailed(f"{argv[0]}: command not found", 127) from None
        except OSError as exc:
            raise CommandFailed(f"{argv[0]}: {exc.strerror}", 126) from None
        for sig in pending:
            forward(sig, None)
        _, status = os.waitpid(child[0], 0)
        return os.waitstatus_to_exitcode(status)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def end_like(status: int) -> int:
    """The exit code for a child's status; a child killed by a signal kills awsenv the same way
    (so a shell loop around it stops on Ctrl-C), else 128 + N as shells report it."""
    if status >= 0:
        return status
    sig = -status
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    return 128 + sig
