"""The options of the hot verbs, declared once.

The hot verbs are what the shell runs on its own or at every start (`use`, `unset`, `list`,
`prompt`, `_dir`, `init`). awsenv/fast.py parses their arguments with this table, without typer;
the typer commands take each option's name and help from it (`awsenv.cli.hot`), so the two
cannot drift. Adding an option to a hot verb is one line here, then its parameter in the typer
command and its use in the fast path.
"""

from __future__ import annotations

from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Final


class Opt(Value):
    """An option: `flag` ones take no value; `short` is its one-letter alias, if any."""

    __slots__ = ("flag", "help", "name", "short")

    def __init__(
        self, name: str, help: str, *, flag: bool = False, short: str | None = None
    ) -> None:
        self.name: Final = name
        self.help: Final = help
        self.flag: Final = flag
        self.short: Final = short

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,) if self.short is None else (self.name, self.short)


SHELL = Opt("--shell", "bash, zsh or fish (default: the calling shell)")
YES = Opt("--yes", "switch into a production profile without asking", flag=True, short="-y")

# verb -> the typer parameter name -> its option.
HOT: dict[str, dict[str, Opt]] = {
    "use": {
        "profile_option": Opt("--profile", "the profile, as the AWS CLI's option names it"),
        "region": Opt("--region", "override the profile's region"),
        "shell": SHELL,
        "profile_only": Opt("--profile-only", "export AWS_PROFILE but no keys", flag=True),
        "yes": YES,
    },
    "unset": {"shell": SHELL},
    "list": {"as_json": Opt("--json", "one JSON array", flag=True)},
    "prompt": {
        "fmt": Opt(
            "--format",
            "placeholders {profile} {region} {left} {state} {env} {color} {envcolor} {reset}; "
            "( ... ) is shown only when a value in it is set (default: AWSENV_PROMPT_FORMAT, else "
            "aws:{profile}( {region})( {color}{left}{reset})( {envcolor}{env}{reset}))",
        ),
    },
    "_dir": {},
    "init": {
        "prompt": Opt("--prompt", "show the segment in the left or right prompt"),
        "cached": Opt(
            "--cached",
            "print the rc line that loads a saved copy of the integration, starting no process",
            flag=True,
        ),
        "save": Opt(
            "--save",
            "also save the integration where the --cached line loads it from",
            flag=True,
        ),
    },
}


def parse(verb: str, args: list[str]) -> tuple[list[str], dict[str, str], set[str]] | None:
    """Positional arguments, {parameter: value} and the flags given (by parameter); None for
    anything else (an unknown option, a flag given a value, an option without one), which the
    typer command handles."""
    by_name = {name: (param, opt) for param, opt in HOT[verb].items() for name in opt.names}
    positional: list[str] = []
    options: dict[str, str] = {}
    flags: set[str] = set()
    it = iter(args)
    for arg in it:
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in by_name:
            return None
        param, opt = by_name[name]
        if opt.flag:
            if eq:
                return None
            flags.add(param)
            continue
        if not eq:
            value = next(it, "")
        if not value:
            return None
        options[param] = value
    return positional, options, flags
