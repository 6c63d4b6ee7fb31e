"""The typer command line: thin wrappers over the library, one module per area.

Each module below registers its commands on `app` when imported.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="awsenv",
    help="Switch AWS profiles in bash, zsh and fish, with IAM Identity Center (SSO) sign-in.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ShellOption = Annotated[
    str | None,
    typer.Option("--shell", help="bash, zsh or fish (default: the calling shell)"),
]

# Switching into a profile marked as production asks on the terminal; scripts say --yes.
YesOption = Annotated[
    bool,
    typer.Option("--yes", "-y", help="switch into a production profile without asking"),
]


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
