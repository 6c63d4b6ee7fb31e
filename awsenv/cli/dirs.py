"""Directory profiles: allow, deny, prune, pin, and the hidden `_dir` the shell's cd hook runs."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from awsenv import dirs, profilearg, shells, trust, ui
from awsenv.cli import ProfileOption, app
from awsenv.config import AwsConfig
from awsenv.errors import ConfigError, UsageError


class _ShellCode(TyperCommand):
    """A verb the shell function evaluates: stdout is kept for shell code before the arguments
    are parsed, so that even `--help` or a usage message reaches the person, not the eval."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Unless the entry point reserved it already (then fd 1 already is stderr).
        out, err = os.fstat(1), os.fstat(2)
        if (out.st_dev, out.st_ino) != (err.st_dev, err.st_ino):
            shells.reserve_stdout()
        return super().parse_args(ctx, args)


def _refresh(path: str | None) -> None:
    """Have the calling shell re-check its directory; only the integration evaluates this."""
    if os.environ.get("AWSENV_SHELL"):
        shells.emit(dirs.refresh_code(shells.detect(), path))


_DIR_HELP = "a directory, or its .awsenv (default: the nearest .awsenv from here up)"


@app.command(cls=_ShellCode)
def allow(
    directory: Annotated[str | None, typer.Argument(help=_DIR_HELP)] = None,
) -> None:
    """Trust the .awsenv of DIR as it is now: its profile applies whenever you cd there."""
    path = dirs.locate(directory)
    spec = dirs.allow(path)
    ui.say(f"allowed {trust.shown(path)} ({spec.describe()})")
    try:
        config = AwsConfig.load()
        name = spec.resolve(config)
        if name not in config.profiles:
            ui.say(f"note: profile {trust.shown(name)} is not in your AWS config yet")
    except ConfigError as exc:
        # No profile for the account and role yet, or a broken config (reported when used).
        if spec.wanted is not None:
            ui.say(f"note: {exc}")
    _refresh(path)


@app.command(cls=_ShellCode)
def deny(
    directory: Annotated[str | None, typer.Argument(help=_DIR_HELP)] = None,
) -> None:
    """Ignore the .awsenv of DIR from now on, quietly, whatever it says."""
    path = dirs.locate(directory)
    dirs.deny(path)
    ui.say(f"denied {trust.shown(path)}")
    _refresh(path)


@app.command()
def prune() -> None:
    """Forget allowed files that are gone or have changed, and denied directories that are gone."""
    allows, denies = trust.TrustStore.default().prune()
    if allows or denies:
        ui.say(f"pruned {allows} allowed and {denies} denied record(s)")
    else:
        ui.say("nothing to prune")


@app.command(cls=_ShellCode)
def pin(
    profile: Annotated[str | None, typer.Argument(help="the profile this directory uses")] = None,
    profile_option: ProfileOption = None,
    region: Annotated[str | None, typer.Option(help="and this region")] = None,
    shareable: Annotated[
        bool,
        typer.Option(
            "--shareable",
            help="write PROFILE's account and role, which resolve to anyone's own profile",
        ),
    ] = False,
) -> None:
    """Write .awsenv naming PROFILE in the current directory, and trust it.

    With --shareable the file names PROFILE's account, role and SSO start URL instead of its
    name, so that a team can commit it whatever each person calls their profiles.
    """
    profile = profilearg.named(profile, profile_option)
    if profile is None:
        raise UsageError("name the profile this directory uses", hint="awsenv pin PROFILE")
    spec = dirs.shareable_spec(profile, region) if shareable else dirs.DirFile(profile, region)
    path = dirs.pin(spec)
    where = f" (region {region})" if region else ""
    ui.say(f"pinned {spec.describe()}{where} in {trust.shown(path)}, and allowed it")
    _refresh(None)


@app.command("_dir", cls=_ShellCode, hidden=True)
def dir_hook(
    found: Annotated[str, typer.Argument(help="the nearest .awsenv, or empty for none")] = "",
) -> None:
    """What the cd hook runs when the nearest .awsenv changed: prints code to apply it."""
    shells.emit(dirs.enter(found, os.environ, shells.detect()))
