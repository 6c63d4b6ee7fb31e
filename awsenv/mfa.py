"""Asking for an MFA code when a role_arn profile names an mfa_serial.

botocore calls the prompter while it assumes the role; the code is read on the terminal with
echo off, as getpass would, but never from stdin (which may be anything: a pipe, /dev/null).
"""

from __future__ import annotations

from collections.abc import Callable

from awsenv import ui
from awsenv.errors import LoginDenied, NoTerminal


def prompter(profile: str, interactive: bool) -> Callable[[str], str]:
    """What botocore calls with its prompt ("Enter MFA code for ARN: ")."""

    def ask(prompt: str) -> str:
        need = f"profile {profile} needs an MFA code"
        if not interactive:
            raise NoTerminal(
                f"{need}, and this command never asks for one",
                hint=f"run `awsenv use {profile}` in a terminal once: the session is cached",
            )
        terminal = ui.open_terminal()
        if terminal is None:
            raise NoTerminal(f"{need}, and there is no terminal to ask on")
        with terminal:
            code = _read_hidden(terminal, f"awsenv: {prompt}").strip()
        if not code:
            raise LoginDenied("no MFA code given")
        return code

    return ask


def _read_hidden(terminal: ui.Terminal, prompt: str) -> str:
    import termios

    terminal.write(prompt)
    try:
        saved = termios.tcgetattr(terminal.fd)
    except termios.error:
        saved = None
    if saved is not None:
        quiet = termios.tcgetattr(terminal.fd)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(terminal.fd, termios.TCSAFLUSH, quiet)
    try:
        return terminal.readline()
    finally:
        if saved is not None:
            termios.tcsetattr(terminal.fd, termios.TCSAFLUSH, saved)
        terminal.write("\n")
