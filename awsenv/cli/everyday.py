"""Everyday commands: exec, export, console, completions."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Annotated

import typer

from awsenv import child, guard, profilearg, recent, regions, shells, switch
from awsenv.cli import ProfileOption, YesOption, app
from awsenv.config import AwsConfig
from awsenv.credentials import Credentials
from awsenv.errors import ConfigError, UsageError
from awsenv.export import Format
from awsenv.marks import Marks
from awsenv.resolve import resolve
from awsenv.timefmt import utc_now

RegionOption = Annotated[str | None, typer.Option(help="override the profile's region")]


def _given_or_default(profile: str | None, option: str | None) -> str | None:
    """The profile named on the command line, else the one the AWS CLI would take."""
    return profilearg.named(profile, option) or profilearg.from_environment(os.environ)


def _no_profile() -> UsageError:
    return UsageError(
        "name a profile: none given, and AWS_PROFILE and AWS_DEFAULT_PROFILE are not set",
        hint="awsenv list shows them",
    )


@app.command(
    "exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def exec_(
    profile: Annotated[
        str | None, typer.Argument(help="the profile whose credentials COMMAND gets")
    ] = None,
    command: Annotated[
        list[str] | None, typer.Argument(help="the command and its arguments (default: $SHELL)")
    ] = None,
    profile_option: ProfileOption = None,
    region: RegionOption = None,
    profile_only: Annotated[
        bool, typer.Option("--profile-only", help="set AWS_PROFILE but no keys")
    ] = False,
    server: Annotated[
        bool,
        typer.Option(
            "--server",
            help="no keys either: serve them from 127.0.0.1, renewed while COMMAND runs",
        ),
    ] = False,
    listen: Annotated[
        str | None,
        typer.Option(
            help="with --server: listen on this IPv4 address, not 127.0.0.1 (see the README)"
        ),
    ] = None,
    yes: YesOption = False,
) -> None:
    """Run COMMAND with PROFILE's credentials (`awsenv exec [OPTIONS] PROFILE -- COMMAND`).

    With `--profile PROFILE` what follows the options is all COMMAND. The command's exit
    status is awsenv's; the calling shell is left as it was. With --server the SDKs in
    COMMAND fetch the keys from awsenv (their container credential provider), which renews
    them from the SSO session until COMMAND ends: for commands that outlive the keys.
    """
    argv = list(command or [])
    if profile_option is not None:
        # The first word after the options is the command's, unless it repeats the profile.
        if profile is not None and not (profile == profile_option and argv[:1] == ["--"]):
            argv = [profile, *argv]
        profile = profile_option
    if profile is None:
        raise UsageError("name a profile", hint="awsenv exec [OPTIONS] PROFILE -- COMMAND")
    if argv[:1] == ["--"]:
        argv = argv[1:]
    elif argv and argv[0].startswith("-"):
        raise UsageError(
            f"{argv[0]}: options of exec go before the profile",
            hint="awsenv exec [OPTIONS] PROFILE -- COMMAND [ARGS...]",
        )
    if not argv:
        argv = [os.environ.get("SHELL") or "/bin/sh"]
    if listen is not None and not server:
        raise UsageError("--listen goes with --server")
    if server:
        if profile_only:
            raise UsageError("--server and --profile-only exclude each other")
        from awsenv import keyserver

        guard.check(Marks.load(), AwsConfig.load().profile(profile), os.environ, yes=yes)
        status = keyserver.run(profile, argv, os.environ, region, listen or keyserver.LOOPBACK)
        raise typer.Exit(child.end_like(status))
    changes = switch.use(profile, os.environ, region=region, profile_only=profile_only, yes=yes)
    environ = _applied(os.environ, changes)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, environ)
    except FileNotFoundError:
        raise child.CommandFailed(f"{argv[0]}: command not found", 127) from None
    except OSError as exc:
        raise child.CommandFailed(f"{argv[0]}: {exc.strerror}", 126) from None


def _applied(environ: Mapping[str, str], changes: list[shells.Change]) -> dict[str, str]:
    result = dict(environ)
    for name, value in changes:
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@app.command("export")
def export_(
    profile: Annotated[
        str | None, typer.Argument(help=f"the profile ({profilearg.DEFAULT_HELP})")
    ] = None,
    profile_option: ProfileOption = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format", help="the output format (those of aws configure export-credentials)"
        ),
    ] = "process",
    login: Annotated[
        bool | None,
        typer.Option(
            "--login/--no-login",
            help="with --format process: sign in (in the browser, once for all parallel "
            "callers) when the SSO session has expired; default: process_login in config.toml",
        ),
    ] = None,
) -> None:
    """Print PROFILE's credentials as `aws configure export-credentials` does.

    `--format process` suits credential_process in any SDK's config; it never asks anything
    and never opens a browser: when a sign-in or an MFA code is needed, it fails saying so.
    With --login (or process_login = true in config.toml) it signs in instead, without asking:
    one browser sign-in, which every credential_process started meanwhile waits for.
    """
    from awsenv import export, settings

    name = _given_or_default(profile, profile_option)
    if name is None:
        raise _no_profile()
    interactive = fmt != "process"
    if not interactive:
        # An SDK waits for JSON, with no terminal to ask on: sign in only when opted in.
        signs_in = settings.process_login() if login is None else login
        os.environ["AWSENV_AUTO_LOGIN"] = "always" if signs_in else "never"
        _guard_recursion(name)
    config = AwsConfig.load()
    chosen = config.profile(name)
    creds = resolve(config, chosen, utc_now(), interactive=interactive).credentials
    if creds is None:
        raise ConfigError(f"profile {name} has no credentials to export", hint=chosen.where)
    sys.stdout.write(export.render(creds, fmt))


# Profiles whose `awsenv export` is running, outermost first: a credential_process that runs
# awsenv for its own profile would otherwise call itself forever.
_CHAIN_VAR = "AWSENV_EXPORT_CHAIN"


def _guard_recursion(name: str) -> None:
    chain = [p for p in os.environ.get(_CHAIN_VAR, "").split("\n") if p]
    if name in chain:
        raise ConfigError(
            "credential_process loop: " + " -> ".join([*chain, name]),
            hint="a profile's credential_process must export another profile",
        )
    os.environ[_CHAIN_VAR] = "\n".join([*chain, name])


@app.command()
def console(
    profile: Annotated[
        str | None,
        typer.Argument(help=f"the profile ({profilearg.DEFAULT_HELP}, else this shell's keys)"),
    ] = None,
    profile_option: ProfileOption = None,
    service: Annotated[
        str | None, typer.Option(help="the console of this service (s3, ec2, iam, ...)")
    ] = None,
    region: RegionOption = None,
    url_only: Annotated[
        bool, typer.Option("--url-only", help="print the sign-in URL instead of opening it")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Open the AWS console signed in as PROFILE's role (the federation sign-in URL).

    The URL signs anyone in for 15 minutes: --url-only prints it on stdout, nowhere else.
    """
    from awsenv import console as federation

    if region is not None:
        regions.check(region)
    name = _given_or_default(profile, profile_option)
    creds, profile_region = _console_credentials(name, yes=yes)
    where = (
        region
        or profile_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    url = federation.login_url(creds, where, service)
    if url_only:
        print(url)
        return
    federation.open_in_browser(url)
    print(f"awsenv: opened the AWS console ({service or 'home'}, {where})", file=sys.stderr)


def _console_credentials(name: str | None, *, yes: bool) -> tuple[Credentials, str | None]:
    """The profile's credentials; with no profile, the keys this shell holds."""
    if name is None:
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if key and secret:
            return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN")), None
        raise _no_profile()
    config = AwsConfig.load()
    chosen = config.profile(name)
    guard.check(Marks.load(), chosen, os.environ, yes=yes)
    creds = resolve(config, chosen, utc_now()).credentials
    if creds is None:
        raise ConfigError(f"profile {name} has no credentials", hint=chosen.where)
    recent.remember(chosen.name)
    return creds, chosen.region


@app.command()
def completions(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish")],
) -> None:
    """Print the completion script for SHELL (`awsenv init` already loads it)."""
    from awsenv import completions as generator

    print(generator.script(shells.check(shell)), end="")
