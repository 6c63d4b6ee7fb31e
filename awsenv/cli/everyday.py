"""Everyday commands: exec, export, console, completions."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Annotated

import typer

from awsenv import recent, shells, switch
from awsenv.cli import app
from awsenv.config import AwsConfig
from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError, ConfigError, UsageError
from awsenv.export import Format
from awsenv.resolve import resolve
from awsenv.timefmt import utc_now

RegionOption = Annotated[str | None, typer.Option(help="override the profile's region")]


def _profile_or_current(profile: str | None) -> str:
    name = profile or os.environ.get("AWSENV_PROFILE") or os.environ.get("AWS_PROFILE")
    if not name:
        raise UsageError("name a profile: this shell uses none", hint="awsenv list shows them")
    return name


@app.command(
    "exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def exec_(
    profile: Annotated[str, typer.Argument(help="the profile whose credentials COMMAND gets")],
    command: Annotated[
        list[str] | None, typer.Argument(help="the command and its arguments (default: $SHELL)")
    ] = None,
    region: RegionOption = None,
    profile_only: Annotated[
        bool, typer.Option("--profile-only", help="set AWS_PROFILE but no keys")
    ] = False,
) -> None:
    """Run COMMAND with PROFILE's credentials (`awsenv exec [OPTIONS] PROFILE -- COMMAND`).

    The command's exit status is awsenv's; the calling shell is left as it was.
    """
    argv = list(command or [])
    if argv[:1] == ["--"]:
        argv = argv[1:]
    elif argv and argv[0].startswith("-"):
        raise UsageError(
            f"{argv[0]}: options of exec go before the profile",
            hint="awsenv exec [OPTIONS] PROFILE -- COMMAND [ARGS...]",
        )
    if not argv:
        argv = [os.environ.get("SHELL") or "/bin/sh"]
    changes = switch.use(profile, os.environ, region=region, profile_only=profile_only)
    environ = _applied(os.environ, changes)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, environ)
    except FileNotFoundError:
        raise _CommandFailed(f"{argv[0]}: command not found", 127) from None
    except OSError as exc:
        raise _CommandFailed(f"{argv[0]}: {exc.strerror}", 126) from None


class _CommandFailed(AwsenvError):
    """The command could not be started: 127 not found, 126 not executable, as shells say."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


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
        str | None, typer.Argument(help="profile (default: the current one)")
    ] = None,
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

    name = _profile_or_current(profile)
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
        str | None, typer.Argument(help="profile (default: the current one)")
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="the console of this service (s3, ec2, iam, ...)")
    ] = None,
    region: RegionOption = None,
    url_only: Annotated[
        bool, typer.Option("--url-only", help="print the sign-in URL instead of opening it")
    ] = False,
) -> None:
    """Open the AWS console signed in as PROFILE's role (the federation sign-in URL).

    The URL signs anyone in for 15 minutes: --url-only prints it on stdout, nowhere else.
    """
    from awsenv import console as federation

    creds, profile_region = _console_credentials(profile)
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


def _console_credentials(profile: str | None) -> tuple[Credentials, str | None]:
    """The named or current profile's credentials; else the keys this shell holds."""
    name = profile or os.environ.get("AWSENV_PROFILE") or os.environ.get("AWS_PROFILE")
    if name is None:
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if key and secret:
            return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN")), None
        raise UsageError("name a profile: this shell uses none", hint="awsenv list shows them")
    config = AwsConfig.load()
    chosen = config.profile(name)
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
