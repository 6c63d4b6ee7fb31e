"""The hot verbs give the same stdout, stderr and exit code on the typer-free path as through
the typer commands, on the same arguments, valid or not: one declaration of their options
(awsenv/verbs.py) serves both."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import typer.main

from awsenv import cli, prompt, verbs
from conftest import AWSENV, Home

# The real program with its fast path turned off: every verb goes to the typer commands.
TYPER_ONLY = (
    "import sys; from awsenv import entry, fast; fast.run = lambda argv: None; "
    "sys.exit(entry.main(sys.argv[1:]))"
)
P = "Company-1-ReadOnly"
CASES = [
    ["use", P, "--shell", "bash"],
    ["use", "--region=eu-west-1", P, "--shell=fish", "--profile-only"],
    ["use", P, "--region", "eu-west-1", "--shell", "zsh"],
    ["use", "No-Such-Profile", "--shell", "bash"],
    ["use", P, "--shell", "tcsh"],
    ["use", P, "--region"],
    ["use", P, "--region="],
    ["use", P, "--bogus"],
    ["use", P, "--profile-only=yes", "--shell", "bash"],
    ["use", P, "Company-2-ReadOnly", "--shell", "bash"],
    ["use", "--profile", P, "--shell", "bash"],
    ["use", f"--profile={P}", "--region", "eu-west-1", "--shell", "zsh"],
    ["use", P, "--profile", P, "--shell", "bash"],
    ["use", P, "--profile", "Company-2-ReadOnly", "--shell", "bash"],
    ["use", "--profile", "--shell", "bash"],
    ["unset", "--shell", "fish"],
    ["unset", "extra"],
    ["list"],
    ["list", "--json"],
    ["list", "--bogus"],
    ["list", "extra"],
    ["prompt"],
    ["prompt", "--format", "{profile}/{state}"],
    ["prompt", "--format"],
    ["prompt", "extra"],
    ["_dir", ""],
    ["_dir", "/nonexistent/.awsenv"],
    ["_dir", "a", "b"],
    ["init", "bash"],
    ["init", "zsh", "--prompt", "right"],
    ["init", "fish", "--prompt=left", "--cached"],
    ["init", "zsh", "--save"],
    ["init", "bash", "--prompt", "right"],
    ["init", "bash", "--prompt", "top"],
    ["init", "tcsh"],
    ["init"],
    ["init", "zsh", "--cached=1"],
    ["init", "zsh", "--bogus"],
]


def test_every_hot_verb_behaves_the_same_on_both_paths(home: Home) -> None:
    assert home.awsenv("use", P, "--shell", "bash").returncode == 0  # signed in, keys cached
    env = home.environ({"AWSENV_PROFILE": P, "AWSENV_SHELL": "bash"})

    def both(args: list[str]) -> tuple[list[str], tuple[object, ...], tuple[object, ...]]:
        runs = []
        for argv in ([AWSENV, *args], [sys.executable, "-c", TYPER_ONLY, *args]):
            result = subprocess.run(
                argv,
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=60,
            )
            out = result.stdout
            if args[0] == "list":  # the time left ticks between the two runs
                out = re.sub(r"\d+", "N", out)
            runs.append((out, result.stderr, result.returncode))
        return args, runs[0], runs[1]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(both, CASES))
    verbs_seen = {args[0] for args, _, _ in results}
    assert verbs_seen == set(verbs.HOT)
    for args, fast, slow in results:
        assert fast == slow, args
    codes = {tuple(args): fast[2] for args, fast, _ in results}
    assert codes[("use", P, "--shell", "bash")] == 0
    assert codes[("use", P, "--bogus")] == 2
    assert codes[("init", "tcsh")] != 0


def test_the_typer_commands_take_their_options_from_the_declaration() -> None:
    cli.run(["--help"])  # registers every command
    group = typer.main.get_command(cli.app)
    commands = group.commands  # type: ignore[attr-defined]
    for verb, declared in verbs.HOT.items():
        options = {
            p.name: (p.opts[0], p.help, p.is_flag)
            for p in commands[verb].params
            if p.param_type_name == "option" and p.name != "help"
        }
        assert options == {
            param: (opt.name, opt.help, opt.flag) for param, opt in declared.items()
        }, verb
    assert prompt.DEFAULT_FORMAT in verbs.HOT["prompt"]["fmt"].help


def test_the_prompt_format_help_names_the_default_format() -> None:
    from awsenv import prompt

    assert prompt.DEFAULT_FORMAT in verbs.HOT["prompt"]["fmt"].help
