"""The hot verbs (`use`, `unset`, `list`, `prompt`, `_dir`, `init`) without typer: started in a
few ms.

Arguments are parsed with the declaration in awsenv/verbs.py, which the typer commands read too.
Only the plain forms are handled here; anything else (help, an unknown option, `use` with no
profile) returns None and the full typer CLI takes over with the same library calls.
"""

from __future__ import annotations

import os
import sys

from awsenv import verbs


def run(argv: list[str]) -> int | None:
    verb = argv[0]
    parsed = verbs.parse(verb, argv[1:])
    if parsed is None:
        return None
    positional, options, flags = parsed
    if verb == "list":
        return None if positional else _list(as_json="as_json" in flags)
    if verb == "prompt":
        return None if positional else _prompt(options.get("fmt"))
    if verb == "init":
        if len(positional) != 1:
            return None
        from awsenv import initfile

        text = initfile.command(
            positional[0],
            prompt=options.get("prompt"),
            cached="cached" in flags,
            save="save" in flags,
        )
        sys.stdout.write(text)
        return 0
    if (verb == "_dir" and len(positional) > 1) or (verb == "unset" and positional):
        return None
    if verb == "use":
        # PROFILE or --profile PROFILE; both at once, `-` or neither are typer's.
        if "profile_option" in options:
            positional.append(options["profile_option"])
        if len(positional) != 1 or positional[0] == "-":
            return None
    from awsenv import shells, switch  # here, not above: `list`, `prompt`, `init` need neither

    shell = shells.check(options["shell"]) if "shell" in options else shells.detect()
    if verb == "_dir":
        from awsenv import dirs

        shells.emit(dirs.enter(positional[0] if positional else "", os.environ, shell))
        return 0
    if verb == "use":
        changes = switch.use(
            positional[0],
            os.environ,
            region=options.get("region"),
            profile_only="profile_only" in flags,
            yes="yes" in flags,
        )
    else:
        changes = switch.unset_changes(os.environ)
    shells.emit(shells.render(shell, changes))
    return 0


def _list(*, as_json: bool) -> int:
    """`awsenv list` without typer, whose import alone would cost more than the listing."""
    from awsenv import inventory
    from awsenv.config import AwsConfig
    from awsenv.timefmt import utc_now

    text = inventory.render(inventory.rows(AwsConfig.load(), utc_now()), as_json=as_json)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # `awsenv list | head`: the reader has what it wanted.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _prompt(fmt: str | None) -> int:
    """`awsenv prompt` for tmux and starship, which may run it every few seconds."""
    import time

    from awsenv import prompt

    text = prompt.segment(os.environ, int(time.time()), fmt=fmt)
    if text:
        print(text)
    return 0
