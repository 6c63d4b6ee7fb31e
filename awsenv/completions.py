"""Shell completion scripts for bash, zsh and fish, generated from the typer app's commands.

`awsenv completions SHELL` prints one; the files under `completions/` are its output, checked
in (a test keeps them current) and loaded by `awsenv init`. Each script is a generated part,
the command tree with options and what their values complete to, followed by the shell's
hand-written helpers in `shell/complete.SHELL`, which read profile and sso-session names from
the config files in the shell itself: completing a profile name starts no process.

What a value completes to follows from its parameter: `profile` (and `profile_option`, the
`--profile` option) completes profile names,
`sso_session` sso-session names, `shell` the supported shells, `directory` directories, a
Literal or Enum its choices, a Path file names; a variadic `command` argument is a command
line of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from awsenv.shells import SHELLS, quote, source_dir

PROFILE, SSO_SESSION, FILE, DIRECTORY, COMMAND, TEXT, CHOICE = (
    "profile",
    "sso-session",
    "file",
    "directory",
    "command",
    "text",
    "choice",
)
_KIND_BY_NAME = {
    "profile": PROFILE,
    "profile_option": PROFILE,
    "source_profile": PROFILE,
    "sso_session": SSO_SESSION,
    "directory": DIRECTORY,
}


@dataclass(frozen=True)
class Value:
    """What a value completes to: one of the kinds above, with the choices of CHOICE."""

    kind: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]
    help: str
    value: Value | None  # None for a flag


@dataclass(frozen=True)
class Argument:
    name: str
    value: Value
    variadic: bool


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # ("sso", "populate"); () for awsenv itself
    help: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...]
    # False: options end at the first positional argument (`exec PROFILE COMMAND...`).
    interspersed: bool
    subcommands: tuple[Command, ...]

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def walk(self) -> Iterator[Command]:
        yield self
        for sub in self.subcommands:
            yield from sub.walk()


def _value(param: Any) -> Value:
    if param.name == "shell":
        return Value(CHOICE, SHELLS)
    if param.name in _KIND_BY_NAME:
        return Value(_KIND_BY_NAME[param.name])
    descriptor = param.type_descriptor
    if descriptor.choices is not None:
        from typer._param_types import choice_as_str

        return Value(CHOICE, tuple(choice_as_str(c) for c in descriptor.choices))
    if descriptor.is_path or descriptor.is_file:
        return Value(FILE)
    if param.name == "command" and param.nargs == -1:
        return Value(COMMAND)
    return Value(TEXT)


def _summary(text: str | None) -> str:
    """The first line of a help text, as a list of commands or options shows it."""
    lines = (text or "").strip().splitlines()
    return lines[0].strip().rstrip(".") if lines else ""


def _command(path: tuple[str, ...], command: Any) -> Command:
    from typer._click import Context

    ctx = Context(command, info_name=path[-1] if path else "awsenv", **command.context_settings)
    options: list[Option] = []
    arguments: list[Argument] = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            arguments.append(Argument(param.name, _value(param), param.nargs == -1))
        else:
            # Short names first, as --help shows them: click keeps the help option's names
            # (-h, --help) in a set, whose order changes from run to run.
            names = tuple(
                sorted((*param.opts, *param.secondary_opts), key=lambda n: n.startswith("--"))
            )
            value = None if param.is_flag else _value(param)
            options.append(Option(names, _summary(param.help), value))
    subcommands = tuple(
        _command((*path, name), sub)
        for name, sub in sorted(getattr(command, "commands", {}).items())
        if not sub.hidden
    )
    return Command(
        path,
        _summary(command.help),
        tuple(options),
        tuple(arguments),
        ctx.allow_interspersed_args,
        subcommands,
    )


def spec() -> Command:
    """The app's command tree (the CLI has imported every command module by now)."""
    import typer.main

    from awsenv import cli

    return _command((), typer.main.get_command(cli.app))


def script(shell: str) -> str:
    """The completion script for `shell`: the generated part, then the shell's helpers."""
    render = {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell]
    helpers = (source_dir() / f"complete.{shell}").read_text(encoding="utf-8")
    header = (
        f"# awsenv completion for {shell}, generated by `awsenv completions {shell}` from the\n"
        "# commands of this version of awsenv. Do not edit: regenerate it.\n\n"
    )
    return header + render(spec()) + "\n" + helpers


# bash ------------------------------------------------------------------------------------


def _bash_value(value: Value) -> str:
    """A value as the bash helpers read it: a kind, or `:one:two` for choices."""
    return ":" + ":".join(value.choices) if value.kind == CHOICE else value.kind


def _bash(root: Command) -> str:

    def q(text: str) -> str:
        return quote("bash", text)

    lines = [
        "# For a command path: its subcommands, its options (NAME, or NAME=VALUE when it takes",
        "# a value) and what its positional arguments are (`...`: repeated; `command`: the",
        "# rest of the line is a command to run).",
        "__awsenv_comp_spec() {",
        '    case "$1" in',
    ]
    for command in root.walk():
        opts = " ".join(
            name if o.value is None else f"{name}={_bash_value(o.value)}"
            for o in command.options
            for name in o.names
        )
        args = " ".join(
            _bash_value(a.value) + ("..." if a.variadic and a.value.kind != COMMAND else "")
            for a in command.arguments
        )
        subs = " ".join(sub.path[-1] for sub in command.subcommands)
        lines += [
            f"        {q(command.name)})",
            f"            __awsenv_subs={q(subs)}",
            f"            __awsenv_opts={q(opts)}",
            f"            __awsenv_args={q(args)}",
            "            ;;",
        ]
    lines += ["        *) return 1 ;;", "    esac", "}"]
    return "\n".join(lines) + "\n"


# zsh -------------------------------------------------------------------------------------


def _zsh_escape(text: str) -> str:
    """Text inside an _arguments spec, where brackets and colons are syntax."""
    for char in "\\[]:":
        text = text.replace(char, "\\" + char)
    return text


def _zsh_action(value: Value) -> str:
    if value.kind == CHOICE:
        return "(" + " ".join(value.choices) + ")"
    return {
        PROFILE: "__awsenv_complete_profiles",
        SSO_SESSION: "__awsenv_complete_sso_sessions",
        FILE: "_files",
        DIRECTORY: "_files -/",
        COMMAND: "__awsenv_complete_command_line",
    }.get(value.kind, " ")


def _zsh_specs(command: Command) -> Iterator[str]:
    for option in command.options:
        description = _zsh_escape(option.help)
        together = f"({' '.join(option.names)})" if len(option.names) > 1 else ""
        for name in option.names:
            if option.value is None:
                yield f"{together}{name}[{description}]"
            else:
                message = _zsh_escape(name.lstrip("-"))
                yield f"{together}{name}=[{description}]:{message}:{_zsh_action(option.value)}"
    for position, argument in enumerate(command.arguments, start=1):
        message = _zsh_escape(argument.name.replace("_", " "))
        action = _zsh_action(argument.value)
        if argument.value.kind == COMMAND:
            # The action sees the positional arguments before the command, and skips them.
            yield f"*::{message}:{action} {position - 1}"
        elif argument.variadic:
            yield f"*:{message}:{action}"
        else:
            yield f"{position}:{message}:{action}"


def _zsh_function(command: Command) -> str:
    return "_awsenv" + "".join(f"_{part}" for part in command.path)


def _zsh(root: Command) -> str:

    def q(text: str) -> str:
        return quote("zsh", text)

    lines: list[str] = []
    for command in root.walk():
        lines.append(f"{_zsh_function(command)}() {{")
        if command.subcommands:
            listed = [q(s.path[-1].replace(":", "\\:") + ":" + s.help) for s in command.subcommands]
            context = "-".join(("awsenv", *command.path))
            lines += [
                "    local curcontext=$curcontext state line ret=1",
                "    typeset -A opt_args",
                f"    _arguments -C {q('(- :)--help[Show this message and exit]')} \\",
                "        '1: :->command' '*:: :->argument' && ret=0",
                '    case "$state" in',
                "        command)",
                "            local -a commands=(",
                *(f"                {entry}" for entry in listed),
                "            )",
                f"            _describe -t commands {q(context + ' command')} commands && ret=0",
                "            ;;",
                "        argument)",
                f"            curcontext=${{curcontext%:*:*}}:{context}-${{words[1]}}:",
                '            case "${words[1]}" in',
            ]
            for sub in command.subcommands:
                lines.append(f"                {q(sub.path[-1])}) {_zsh_function(sub)} && ret=0 ;;")
            lines += ["            esac", "            ;;", "    esac", "    return ret"]
        else:
            flags = "-s -S" if command.interspersed else "-s -S -A '-*'"
            call = [f"    _arguments {flags}", *(f"        {q(s)}" for s in _zsh_specs(command))]
            lines.append(" \\\n".join(call))
        lines.append("}")
    return "\n".join(lines) + "\n"


# fish ------------------------------------------------------------------------------------


def _fish_values(value: Value) -> list[str]:
    """The `complete` arguments offering what `value` completes to."""
    if value.kind == CHOICE:
        return ["-a", quote("fish", " ".join(value.choices))]
    return {
        PROFILE: ["-a", "'(__awsenv_complete_profiles)'"],
        SSO_SESSION: ["-a", "'(__awsenv_complete_sso_sessions)'"],
        FILE: ["-F"],
        DIRECTORY: ["-a", "'(__fish_complete_directories)'"],
    }.get(value.kind, [])


def _fish(root: Command) -> str:

    def q(text: str) -> str:
        return quote("fish", text)

    commands = list(root.walk())
    lines = [
        "# For a command path: its subcommands, and which of its options take a value; `-` at",
        "# the end when its options stop at the first positional argument.",
        "function __awsenv_comp_spec --argument-names path",
        '    switch "$path"',
    ]
    for command in commands:
        valued = [n for o in command.options if o.value is not None for n in o.names]
        subs = [s.path[-1] for s in command.subcommands]
        lines += [
            f"        case {q(command.name)}",
            f"            echo {q(' '.join(subs))}",
            f"            echo {q(' '.join([*valued, *([] if command.interspersed else ['-'])]))}",
        ]
    lines += ["        case '*'", "            return 1", "    end", "end", ""]
    lines += ["complete -c awsenv -e", "complete -c awsenv -f"]
    for command in commands:
        at = q(f"__awsenv_comp_at {command.name}".rstrip())
        for sub in command.subcommands:
            lines.append(f"complete -c awsenv -n {at} -a {q(sub.path[-1])} -d {q(sub.help)}")
        options = q(f"__awsenv_comp_options {command.name}".rstrip())
        for option in command.options:
            for name in option.names:
                flag = f"-l {q(name[2:])}" if name.startswith("--") else f"-s {q(name[1:])}"
                parts = ["complete -c awsenv -n", options, flag]
                if option.value is not None:
                    # -x: a value follows, and it is no file name unless -F says so.
                    parts += ["-x", *_fish_values(option.value)]
                if option.help:
                    parts += ["-d", q(option.help)]
                lines.append(" ".join(parts))
        for position, argument in enumerate(command.arguments, start=1):
            if argument.value.kind == COMMAND:
                condition = q(f"__awsenv_comp_argument {position}+ {command.name}")
                lines.append(
                    f"complete -c awsenv -n {condition} -a '(__awsenv_complete_command_line)'"
                )
                continue
            values = _fish_values(argument.value)
            if values:
                where = f"{position}+" if argument.variadic else str(position)
                condition = q(f"__awsenv_comp_argument {where} {command.name}")
                lines.append(f"complete -c awsenv -n {condition} {' '.join(values)}")
    return "\n".join(lines) + "\n"
