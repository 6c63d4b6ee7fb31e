"""Core commands: init, use, unset, current, list, login, logout, whoami, demo, version."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from awsenv import __version__, inventory, profilearg, shells, switch, ui
from awsenv.cli import ProfileOption, ShellOption, app, hot
from awsenv.config import AwsConfig, SsoTarget, session_target, sso_target
from awsenv.errors import AwsenvError, ConfigError
from awsenv.timefmt import humanize, utc_now


def _shell(name: str | None) -> str:
    return shells.check(name) if name else shells.detect()


def _current_profile() -> str | None:
    return os.environ.get("AWSENV_PROFILE") or os.environ.get("AWS_PROFILE") or None


def _given_or_default(profile: str | None, option: str | None) -> str | None:
    """The profile named on the command line, else the one the AWS CLI would take."""
    return profilearg.named(profile, option) or profilearg.from_environment(os.environ)


@app.command()
def init(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish")],
    prompt: Annotated[str | None, hot("init", "prompt")] = None,
    cached: Annotated[bool, hot("init", "cached")] = False,
    save: Annotated[bool, hot("init", "save")] = False,
) -> None:
    """Print the shell integration: add `eval "$(awsenv init SHELL)"` to your rc file.

    Or add what `awsenv init SHELL --cached` prints: it loads a saved copy of the integration,
    so that a new shell starts no process for awsenv.
    """
    from awsenv import initfile

    print(initfile.command(shell, prompt=prompt, cached=cached, save=save), end="")


@app.command()
def use(
    profile: Annotated[str | None, typer.Argument(help="the profile to switch to")] = None,
    profile_option: Annotated[str | None, hot("use", "profile_option")] = None,
    region: Annotated[str | None, hot("use", "region")] = None,
    shell: Annotated[str | None, hot("use", "shell")] = None,
    profile_only: Annotated[bool, hot("use", "profile_only")] = False,
    yes: Annotated[bool, hot("use", "yes")] = False,
) -> None:
    """Switch this shell to PROFILE (signing in when its SSO session has expired).

    With no PROFILE, pick one on the terminal; `-` is the profile used before this one.
    """
    profile = profilearg.named(profile, profile_option)
    if profile is None:
        from awsenv import picker

        profile = picker.choose(AwsConfig.load(), utc_now())
    elif profile == "-":
        profile = switch.previous(os.environ)
    changes = switch.use(profile, os.environ, region=region, profile_only=profile_only, yes=yes)
    shells.emit(shells.render(_shell(shell), changes))


@app.command()
def unset(shell: Annotated[str | None, hot("unset", "shell")] = None) -> None:
    """Remove from this shell every variable awsenv set."""
    shells.emit(shells.render(_shell(shell), switch.unset_changes(os.environ)))


@app.command()
def current(
    as_json: Annotated[bool, typer.Option("--json", help="details as JSON")] = False,
) -> None:
    """Print the profile this shell uses (exit 1 when none)."""
    name = _current_profile()
    if name is None:
        if as_json:
            print("null")
        raise typer.Exit(1)
    if not as_json:
        print(name)
        return
    config = AwsConfig.load()
    now = utc_now()
    row = inventory.describe(config, config.profile(name), now, {}).as_json()
    expiry = os.environ.get("AWSENV_EXPIRATION")
    row["credentials_expire_in"] = int(expiry) - int(now.timestamp()) if expiry else None
    print(json.dumps(row, indent=2))


@app.command("list")
def list_profiles(as_json: Annotated[bool, hot("list", "as_json")] = False) -> None:
    """Every profile: kind, account, role, region and SSO session state."""
    # The plain forms take the typer-free path in awsenv/fast.py; this serves the rest.
    rows = inventory.rows(AwsConfig.load(), utc_now())
    print(inventory.render(rows, as_json=as_json), end="")


def _targets(config: AwsConfig, profile: str | None, sso_session: str | None) -> SsoTarget:
    if sso_session:
        return session_target(config, sso_session)
    return sso_target(config, config.profile(profile or "default"))


@app.command()
def login(
    profile: Annotated[
        str | None,
        typer.Argument(help=f"the profile ({profilearg.DEFAULT_HELP}, then default)"),
    ] = None,
    profile_option: ProfileOption = None,
    sso_session: Annotated[str | None, typer.Option(help="sign in to this sso-session")] = None,
    use_device_code: Annotated[bool, typer.Option(help="use the device code flow")] = False,
    no_browser: Annotated[bool, typer.Option(help="print the URL instead of opening it")] = False,
) -> None:
    """Sign in to the SSO session of PROFILE (one sign-in serves all its profiles)."""
    from awsenv import login as signin

    name = _given_or_default(profile, profile_option)
    target = _targets(AwsConfig.load(), name, sso_session)
    token = signin.sign_in(target, device_code=use_device_code or None, no_browser=no_browser)
    ui.say(f"signed in to {target.label}; valid for {humanize(token.remaining(utc_now()))}")


@app.command()
def logout(
    profile: Annotated[
        str | None,
        typer.Argument(help=f"the profile whose session ends ({profilearg.DEFAULT_HELP})"),
    ] = None,
    profile_option: ProfileOption = None,
    sso_session: Annotated[str | None, typer.Option(help="sign out of this sso-session")] = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="sign out of every session")] = False,
    shell: ShellOption = None,
) -> None:
    """Sign out: revoke the token, delete it and the cached role credentials."""
    from awsenv import login as signin

    config = AwsConfig.load()
    active = _current_profile()
    if all_sessions:
        labels = signin.logout(None)
        clear = active is not None
    else:
        name = profilearg.named(profile, profile_option)
        if not (name or sso_session):
            name = profilearg.from_environment(os.environ)
            if not name:
                raise AwsenvError("name a profile, --sso-session NAME or --all")
        target = _targets(config, name, sso_session)
        sharing = [
            sso_target(config, p)
            for p in config.profiles.values()
            if p.kind in ("sso", "sso-legacy") and _same_session(config, p.name, target)
        ]
        labels = signin.logout([target, *sharing])
        clear = active is not None and _same_session(config, active, target)
    ui.say(f"signed out of {', '.join(labels)}" if labels else "no session was signed in")
    if clear and os.environ.get("AWSENV_PROFILE"):
        shells.emit(shells.render(_shell(shell), switch.unset_changes(os.environ)))


def _same_session(config: AwsConfig, name: str, target: SsoTarget) -> bool:
    try:
        other = sso_target(config, config.profile(name))
    except ConfigError:
        return False
    return (other.start_url, other.session_name) == (target.start_url, target.session_name)


@app.command()
def whoami(
    profile: Annotated[
        str | None,
        typer.Argument(help=f"the profile ({profilearg.DEFAULT_HELP}, else this shell's keys)"),
    ] = None,
    profile_option: ProfileOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The AWS identity (account, ARN) of PROFILE or this shell's credentials, from STS."""
    from awsenv import resolve, sts

    creds, region = None, os.environ.get("AWS_REGION")
    name = _given_or_default(profile, profile_option)
    if name is not None:
        config = AwsConfig.load()
        chosen = config.profile(name)
        creds = resolve.resolve(config, chosen, utc_now()).credentials
        region = chosen.region or region
    identity = sts.caller_identity(creds, region)
    if as_json:
        print(json.dumps(identity, indent=2))
    else:
        for key in ("Account", "Arn", "UserId"):
            print(f"{key:<8} {identity[key]}")


@app.command()
def demo(
    shell: Annotated[str, typer.Option(help="bash, zsh or fish")] = "bash",
    script: Annotated[
        bool, typer.Option(help="run a scripted tour instead of an interactive shell")
    ] = False,
) -> None:
    """Try awsenv offline: a throwaway HOME, the example config and a local SSO emulator."""
    from awsenv import demo as tour

    raise typer.Exit(tour.run(shells.check(shell), scripted=script))


@app.command()
def version() -> None:
    """Print awsenv's version."""
    print(__version__)
