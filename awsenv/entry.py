"""The `awsenv` program: hot verbs take a fast path, everything else goes to the typer CLI.

Errors become one line on stderr and an exit code; a traceback only with AWSENV_DEBUG=1.
"""

from __future__ import annotations

import os
import sys

from awsenv.errors import EXIT_ERROR, AwsenvError

# Verbs whose stdout the shell integration evaluates.
EVAL_VERBS = ("use", "unset", "logout", "allow", "deny", "pin", "_dir")
# Verbs the typer-free path serves: what the shell runs on its own (a cd hook, a status line)
# and at its start (`init`). awsenv/verbs.py declares their options.
FAST_VERBS = ("use", "unset", "list", "prompt", "_dir", "init")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from awsenv import ui

    if sys.stdout is None:
        # Python found fd 1 closed (`>&-`): results would be lost, and the next file awsenv
        # opened would take fd 1 and receive them.
        ui.say("stdout is closed; awsenv writes its results there")
        return EXIT_ERROR
    try:
        if args[:1] and args[0] in EVAL_VERBS:
            from awsenv import shells  # only here: `list` does without it

            shells.reserve_stdout()
        if args[:1] and args[0] in FAST_VERBS:
            from awsenv import fast

            code = fast.run(args)
            if code is not None:
                if args[0] in ("use", "unset"):
                    _hint_if_not_integrated(args[0])
                return code
        from awsenv import cli

        return cli.run(args)
    except AwsenvError as exc:
        ui.say(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        ui.say("interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("AWSENV_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
            # A file that cannot be read or written (read-only, full disk, someone else's) is
            # the user's to fix, not a bug: its path and the reason say what to look at.
            from awsenv.trust import shown

            ui.say(f"{shown(str(exc.filename))}: {exc.strerror}")
            return EXIT_ERROR
        ui.say(f"internal error: {type(exc).__name__}: {exc} (AWSENV_DEBUG=1 shows details)")
        return EXIT_ERROR


def _hint_if_not_integrated(verb: str) -> None:
    from awsenv import shells, ui

    if not os.environ.get("AWSENV_SHELL") and shells.code_goes_to_terminal():
        shell = shells.detect()
        ui.say(
            f"`{verb}` prints shell code for the awsenv shell function; load it with: "
            f'eval "$(awsenv init {shell})"'
        )
