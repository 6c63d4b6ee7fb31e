"""Core commands: init, use, unset, current, list, login, logout, whoami, demo, version."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from awsenv import __version__, inventory, shells, switch, ui
from awsenv.cli import ShellOption, app
from awsenv.config import AwsConfig, SsoTarget, session_target, sso_target
from awsenv.errors import AwsenvError, ConfigError
from awsenv.timefmt import humanize, utc_now


def _shell(name: str | None) -> str:
    return shells.check(name) if name else shells.detect()


def _current_profile() -> str | None:
    return os.environ.get("AWSENV_PROFILE") or os.environ.get("AWS_PROFILE") or None


@app.command()
def init(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish")],
    prompt: Annotated[
        str | None,
        typer.Option("--prompt", help="show the segment in the left or right prompt"),
    ] = None,
) -> None:
    """Print the shell integration: add `eval "$(awsenv init SHELL)"` to your rc file."""
    print(shells.init_script(shell, prompt=prompt), end="")


@app.command()
def use(
    profile: Annotated[str | None, typer.Argument(help="the profile to switch to")] = None,
    region: Annotated[str | None, typer.Option(help="override the profile's region")] = None,
    shell: ShellOption = None,
    profile_only: Annotated[
        bool, typer.Option("--profile-only", help="export AWS_PROFILE but no keys")
    ] = False,
) -> None:
    """Switch this shell to PROFILE (signing in when its SSO session has expired).

    With no PROFILE, pick one on the terminal; `-` is the profile used before this one.
    """
    if profile is None:
        from awsenv import picker

        profile = picker.choose(AwsConfig.load(), utc_now())
    elif profile == "-":
        profile = switch.previous(os.environ)
    changes = switch.use(profile, os.environ, region=region, profile_only=profile_only)
    shells.emit(shells.render(_shell(shell), changes))


@app.command()
def unset(shell: ShellOption = None) -> None:
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
def list_profiles(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array")] = False,
) -> None:
    """Every profile: kind, account, role, region and SSO session state."""
    # The plain forms take the typer-free path in awsenv/fast.py; this serves the rest.
    rows = inventory.rows(AwsConfig.load(), utc_now())
    print(inventory.render(rows, as_json=as_json), end="")


def _targets(config: AwsConfig, profile: str | None, sso_session: str | None) -> SsoTarget:
    if sso_session:
        return session_target(config, sso_session)
    name = profile or _current_profile() or "default"
    return sso_target(config, config.profile(name))


@app.command()
def login(
    profile: Annotated[
        str | None, typer.Argument(help="profile (default: the current one)")
    ] = None,
    sso_session: Annotated[str | None, typer.Option(help="sign in to this sso-session")] = None,
    use_device_code: Annotated[bool, typer.Option(help="use the device code flow")] = False,
    no_browser: Annotated[bool, typer.Option(help="print the URL instead of opening it")] = False,
) -> None:
    """Sign in to the SSO session of PROFILE (one sign-in serves all its profiles)."""
    from awsenv import login as signin

    target = _targets(AwsConfig.load(), profile, sso_session)
    token = signin.sign_in(target, device_code=use_device_code or None, no_browser=no_browser)
    ui.say(f"signed in to {target.label}; valid for {humanize(token.remaining(utc_now()))}")


@app.command()
def logout(
    profile: Annotated[str | None, typer.Argument(help="profile whose session ends")] = None,
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
        if not (profile or sso_session or active):
            raise AwsenvError("name a profile, --sso-session NAME or --all")
        target = _targets(config, profile, sso_session)
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
    profile: Annotated[str | None, typer.Argument(help="ask for this profile instead")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The AWS identity (account, ARN) of this shell's credentials, from STS."""
    from awsenv import resolve, sts

    creds, region = None, os.environ.get("AWS_REGION")
    if profile is not None:
        config = AwsConfig.load()
        chosen = config.profile(profile)
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
