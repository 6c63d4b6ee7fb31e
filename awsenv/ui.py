"""Talking to the person: one-line messages on stderr and questions on the terminal.

stdout is reserved for shell code, so nothing here ever writes to it.
"""

from __future__ import annotations

import os
import sys


def say(message: str) -> None:
    print(f"awsenv: {message}", file=sys.stderr, flush=True)


class Terminal:
    """The controlling terminal, read and written unbuffered (a tty is not seekable)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def readline(self) -> str:
        """One line of input; empty at end of input."""
        chunks = []
        while True:
            byte = os.read(self.fd, 1)
            if not byte:
                break
            chunks.append(byte)
            if byte == b"\n":
                break
        return b"".join(chunks).decode("utf-8", errors="replace")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def open_terminal() -> Terminal | None:
    """The controlling terminal for a question, or None when there is none (CI, cron, pipes)."""
    try:
        return Terminal(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return None


def confirm(terminal: Terminal, question: str) -> bool:
    """Ask a yes/no question where Enter means yes."""
    terminal.write(f"awsenv: {question} [Y/n] ")
    answer = terminal.readline()
    if not answer:  # end of input: nobody there to say yes
        terminal.write("\n")
        return False
    return answer.strip().lower() in ("", "y", "yes")
