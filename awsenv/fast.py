"""`use` and `unset` without typer: the verbs the shell runs often, started in a few ms.

Only the plain forms are handled here; anything else (help, an unknown option, `use` with no
profile) returns None and the full typer CLI takes over with the same library calls.
"""

from __future__ import annotations

import os

from awsenv import shells, switch

_OPTIONS = {"use": {"--region", "--shell"}, "unset": {"--shell"}}
_FLAGS = {"use": {"--profile-only"}, "unset": set()}


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
    if verb == "use":
        if len(positional) != 1 or positional[0] == "-":
            return None
        shell = shells.check(options["--shell"]) if "--shell" in options else shells.detect()
        changes = switch.use(
            positional[0],
            os.environ,
            region=options.get("--region"),
            profile_only="--profile-only" in flags,
        )
    else:
        if positional:
            return None
        shell = shells.check(options["--shell"]) if "--shell" in options else shells.detect()
        changes = switch.unset_changes(os.environ)
    shells.emit(shells.render(shell, changes))
    return 0
