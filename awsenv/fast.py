"""`use`, `unset`, `list`, `prompt` and `_dir` without typer: started in a few ms.

Only the plain forms are handled here; anything else (help, an unknown option, `use` with no
profile) returns None and the full typer CLI takes over with the same library calls.
"""

from __future__ import annotations

import os

_OPTIONS = {
    "use": {"--region", "--shell"},
    "unset": {"--shell"},
    "list": set(),
    "prompt": {"--format"},
    "_dir": set(),
}
_FLAGS = {
    "use": {"--profile-only", "--yes", "-y"},
    "unset": set(),
    "list": {"--json"},
    "prompt": set(),
    "_dir": set(),
}


def _parse(verb: str, args: list[str]) -> tuple[list[str], dict[str, str], set[str]] | None:
    positional: list[str] = []
    options: dict[str, str] = {}
    flags: set[str] = set()
    it = iter(args)
    for arg in it:
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in _OPTIONS[verb]:
                if not eq:
                    value = next(it, "")
                if not value:
                    return None
                options[name] = value
            elif name in _FLAGS[verb] and not eq:
                flags.add(name)
            else:
                return None
        else:
            positional.append(arg)
    return positional, options, flags


def run(argv: list[str]) -> int | None:
    verb = argv[0]
    parsed = _parse(verb, argv[1:])
    if parsed is None:
        return None
    positional, options, flags = parsed
    if verb == "list":
        return None if positional else _list(as_json="--json" in flags)
    if verb == "prompt":
        return None if positional else _prompt(options.get("--format"))
    if (verb == "_dir" and len(positional) > 1) or (verb == "unset" and positional):
        return None
    if verb == "use" and (len(positional) != 1 or positional[0] == "-"):
        return None
    from awsenv import shells, switch  # here, not above: `list` and `prompt` need neither

    shell = shells.check(options["--shell"]) if "--shell" in options else shells.detect()
    if verb == "_dir":
        from awsenv import dirs

        shells.emit(dirs.enter(positional[0] if positional else "", os.environ, shell))
        return 0
    if verb == "use":
        changes = switch.use(
            positional[0],
            os.environ,
            region=options.get("--region"),
            profile_only="--profile-only" in flags,
            yes=bool(flags & {"--yes", "-y"}),
        )
    else:
        changes = switch.unset_changes(os.environ)
    shells.emit(shells.render(shell, changes))
    return 0


def _list(*, as_json: bool) -> int:
    """`awsenv list` without typer, whose import alone would cost more than the listing."""
    import sys

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
