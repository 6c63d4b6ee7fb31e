"""The typer command line: thin wrappers over the library, one module per area.

Each module below registers its commands on `app` when imported.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from awsenv import verbs

app = typer.Typer(
    name="awsenv",
    help="Switch AWS profiles in bash, zsh and fish, with IAM Identity Center (SSO) sign-in.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Inherited by every command's context: `awsenv use -h` as well as `awsenv -h`.
    context_settings={"help_option_names": ["-h", "--help"]},
)

# A command's parameter named `profile_option`: completions offer profile names for it.
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", metavar="PROFILE", help="the profile, as the AWS CLI's option names it"
    ),
]

# Switching into a profile marked as production asks on the terminal; scripts say --yes.
YesOption = Annotated[bool, typer.Option(*verbs.YES.names, help=verbs.YES.help)]


def hot(verb: str, param: str) -> Any:
    """The typer option of a hot verb's parameter, as awsenv/verbs.py declares it."""
    option = verbs.HOT[verb][param]
    return typer.Option(*option.names, help=option.help)


ShellOption = Annotated[str | None, typer.Option(verbs.SHELL.name, help=verbs.SHELL.help)]


def _print_version(value: bool) -> None:
    if value:
        from awsenv import __version__

        print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print awsenv's version and exit.",
        ),
    ] = False,
) -> None:
    """Options of awsenv itself, before any command."""


def run(args: list[str]) -> int:
    """Run the CLI on `args`; returns the exit code instead of exiting."""
    # Imported for the commands they register, in the order `--help` lists them.
    import awsenv.cli.core
    import awsenv.cli.dirs
    import awsenv.cli.everyday
    import awsenv.cli.manage
    import awsenv.cli.prompt  # noqa: F401

    try:
        app(args=args, prog_name="awsenv")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
