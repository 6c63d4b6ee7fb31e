"""Shell code for bash, zsh and fish: quoting, exports, and the `init` integration.

Every value reaching shell code passes through `quote`, so a profile name or a value read from a
file is data in every shell, never code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from awsenv.errors import AwsenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import TextIO

SHELLS = ("bash", "zsh", "fish")
# Values awsenv exports: a name and its new value, or None to unset it.
Change = tuple[str, "str | None"]


class UnsupportedShell(AwsenvError):
    pass


def quote(shell: str, value: str) -> str:
    """`value` as one literal word of `shell`."""
    if "\0" in value:
        raise AwsenvError("a value to export contains a NUL byte, which no shell can hold")
    if shell == "fish":
        # In fish single quotes only \\ and \' are special.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    # POSIX single quotes take everything literally; a quote is closed, escaped, reopened.
    return "'" + value.replace("'", "'\\''") + "'"


def render(shell: str, changes: Iterable[Change]) -> str:
    """Shell code applying `changes`, one statement a line."""
    lines = []
    for name, value in changes:
        if not name.isidentifier() or not name.isascii():
            raise AwsenvError(f"refusing to export a variable named {name!r}")
        if shell == "fish":
            lines.append(
                f"set -e -g {name}" if value is None else f"set -gx {name} {quote(shell, value)}"
            )
        else:
            lines.append(
                f"unset {name}" if value is None else f"export {name}={quote(shell, value)}"
            )
    return "".join(line + ";\n" for line in lines)


def detect(environ: Mapping[str, str] = os.environ) -> str:
    """The calling shell: AWSENV_SHELL (set by the integration), else what shellingham finds."""
    named = environ.get("AWSENV_SHELL")
    if named:
        return check(named)
    try:
        import shellingham

        name, _ = shellingham.detect_shell()
    except (ImportError, RuntimeError, OSError):
        # ShellDetectionFailure is an OSError: no shell above us (cron, a service manager).
        name = os.path.basename(environ.get("SHELL", "")) or "bash"
    return name if name in SHELLS else "bash"


def check(shell: str) -> str:
    if shell not in SHELLS:
        raise UnsupportedShell(f"unsupported shell {shell!r}; awsenv supports {', '.join(SHELLS)}")
    return shell


def source_dir() -> Path:
    """Where the `.bash`/`.zsh`/`.fish` sources live (awsenv/shell links to the repo's shell/)."""
    directory = Path(__file__).resolve().parent / "shell"
    if not directory.is_dir():
        raise AwsenvError(f"the shell integration files are missing from {directory}")
    return directory


def executable() -> str:
    """The absolute path of the `awsenv` program, baked into the integration."""
    argv0 = sys.argv[0]
    if os.path.basename(argv0) == "awsenv" and os.path.isfile(argv0):
        return os.path.abspath(argv0)
    import shutil  # here: only `init` asks, and shutil would cost every `use` 2 ms

    return shutil.which("awsenv") or "awsenv"


def init_script(shell: str, exe: str | None = None, prompt: str | None = None) -> str:
    """What `eval "$(awsenv init SHELL)"` runs: the program's path and the completion script's,
    then the integration, then what the completion needs at start (the rest loads on first use).

    `prompt` (left or right) also puts the prompt segment into the shell's prompt.
    """
    check(shell)
    assign = [
        _set_global(shell, "__awsenv_exe", exe or executable()),
        _set_global(shell, "__awsenv_completion", str(completion_file(shell))),
    ]
    body = (source_dir() / f"awsenv.{shell}").read_text(encoding="utf-8")
    if prompt is not None:
        from awsenv.prompt import install_line

        body += install_line(shell, prompt)
    return "".join(assign) + body + _completion_at_start(shell)


def _set_global(shell: str, name: str, value: str) -> str:
    if shell == "fish":
        return f"set -g {name} {quote(shell, value)}\n"
    return f"{name}={quote(shell, value)}\n"


# In complete.bash and complete.zsh, the registration that `init` runs at start follows this.
_AT_START = "# `awsenv init` runs what follows at start"


def _completion_at_start(shell: str) -> str:
    """The end of the completion script that registers it (fish finds it on its own, through
    fish_complete_path).

    Also makes the directory where the script caches profile names, which the shell cannot
    create without starting a process.
    """
    import contextlib

    from awsenv.files import cache_dir, ensure_private_dir

    with contextlib.suppress(OSError):  # no cache then; completion still works
        ensure_private_dir(cache_dir())
    if shell == "fish":
        return ""
    text = completion_file(shell).read_text(encoding="utf-8")
    return text[text.rindex(_AT_START) :]


def completion_file(shell: str) -> Path:
    """The checked-in completions/awsenv.SHELL (shipped as awsenv/completion)."""
    return Path(__file__).resolve().parent / "completion" / f"awsenv.{shell}"


_code_out: TextIO | None = None


def reserve_stdout() -> None:
    """Keep stdout for shell code only: fd 1 now points at stderr, the real one is kept aside.

    Whatever else would print while a command runs (a browser started for a sign-in, a library's
    stray print) then reaches the person, never the `eval` in the calling shell.
    """
    global _code_out
    _code_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)


def emit(code: str) -> None:
    """Write shell code for the calling shell's eval."""
    out = _code_out or sys.stdout
    out.write(code)
    out.flush()


def code_goes_to_terminal() -> bool:
    """True when shell code would be shown rather than evaluated: integration not loaded."""
    out = _code_out or sys.stdout
    return out.isatty()
