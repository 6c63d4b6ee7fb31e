"""Talking to the person: one-line messages on stderr and questions on the terminal.

stdout is reserved for shell code, so nothing here ever writes to it.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


def say(message: str) -> None:
    print(f"awsenv: {message}", file=sys.stderr, flush=True)


def open_terminal() -> TextIO | None:
    """The controlling terminal for a question, or None when there is none (CI, cron, pipes)."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    return os.fdopen(fd, "r+", encoding="utf-8", errors="replace", buffering=1)


def confirm(terminal: TextIO, question: str) -> bool:
    """Ask a yes/no question where Enter means yes."""
    terminal.write(f"awsenv: {question} [Y/n] ")
    terminal.flush()
    answer = terminal.readline()
    if not answer:  # end of input: nobody there to say yes
        terminal.write("\n")
        return False
    return answer.strip().lower() in ("", "y", "yes")
