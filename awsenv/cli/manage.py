"""Managing ~/.aws/config: configure sso, sso populate, doctor."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

import typer

from awsenv import ui
from awsenv.cli import app, core  # noqa: F401 (core's commands come first in --help)
from awsenv.errors import UsageError

configure_app = typer.Typer(
    help="Write sso-sessions and profiles into ~/.aws/config.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
sso_app = typer.Typer(
    help="Profiles from IAM Identity Center (SSO).", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(configure_app, name="configure")
app.add_typer(sso_app, name="sso")


@configure_app.command("sso")
def configure_sso(
    sso_session: Annotated[str | None, typer.Option(help="sso-session name")] = None,
    start_url: Annotated[str | None, typer.Option(help="the portal's https start URL")] = None,
    sso_region: Annotated[
        str | None, typer.Option(help="the region of IAM Identity Center")
    ] = None,
    scopes: Annotated[str | None, typer.Option(help="registration scopes, comma-separated")] = None,
    account_id: Annotated[str | None, typer.Option(help="the account (12 digits)")] = None,
    role_name: Annotated[str | None, typer.Option(help="the role (permission set)")] = None,
    region: Annotated[str | None, typer.Option(help="the profile's default region")] = None,
    output: Annotated[
        str | None, typer.Option(help="json, yaml, yaml-stream, text or table")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="the profile name to write")] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", help="mark the profile (prod asks before switching; default: config.toml)"
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="take the default for every question not answered")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace an existing profile of that name")
    ] = False,
    no_login: Annotated[
        bool,
        typer.Option(
            "--no-login", help="write without signing in or checking the account and role"
        ),
    ] = False,
    use_device_code: Annotated[
        bool, typer.Option("--use-device-code", help="sign in with the device code flow")
    ] = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="print the sign-in URL instead of opening it")
    ] = False,
) -> None:
    """Set up an SSO profile: session, sign-in, account, role, region, output, name.

    Asks on the terminal for what the options leave open; with every answer given (or --yes)
    it asks nothing.
    """
    from awsenv import configure

    answers = configure.Answers(
        sso_session,
        start_url,
        sso_region,
        scopes,
        account_id,
        role_name,
        region,
        output,
        profile,
        env,
    )
    terminal = None if yes else ui.open_terminal()
    with terminal if terminal is not None else contextlib.nullcontext():
        written = configure.configure_sso(
            answers,
            console=terminal,
            yes=yes,
            login_flow=not no_login,
            device_code=use_device_code or None,
            no_browser=no_browser,
            overwrite=overwrite,
        )
    edit = written.edit
    if not edit.written:
        ui.say(f"profile {written.profile} already configured so; nothing written")
        return
    what = f"sso-session {written.session} and profile" if written.new_session else "profile"
    ui.say(f"{what} {written.profile} written to {edit.path}")
    if edit.backup is not None:
        ui.say(f"the previous file is kept as {edit.backup}")
    ui.say(f"use it: awsenv use {written.profile}")


@sso_app.command("populate")
def sso_populate(
    sso_session: Annotated[
        str | None, typer.Option(help="the sso-session to list (default: the only one)")
    ] = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="every sso-session")] = False,
    template: Annotated[
        str,
        typer.Option(
            help="profile names, from {account_name} {account_id} "
            "{account_email} {role_name} {sso_session}"
        ),
    ] = "{account_name}-{role_name}",
    region: Annotated[
        str | None, typer.Option(help="region of the profiles (default: the SSO region)")
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="remove generated profiles the user can no longer reach")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the diff; write nothing")
    ] = False,
    concurrency: Annotated[int, typer.Option(help="role listings in flight at once")] = 32,
) -> None:
    """One profile per account and role an sso-session reaches, kept up to date.

    Generated profiles carry `awsenv_generated = true`; only those are updated or pruned.
    """
    from awsenv import populate

    if all_sessions and sso_session:
        raise UsageError("give --sso-session NAME or --all, not both")
    sessions = None if all_sessions else _one_session(sso_session)
    outcome = populate.populate(
        sessions,
        template=template,
        region=region,
        prune=prune,
        dry_run=dry_run,
        concurrency=concurrency,
    )
    summary, edit = outcome.summary, outcome.edit
    for line in summary.skipped[:10]:
        ui.say(f"skipped {line}")
    if len(summary.skipped) > 10:
        ui.say(f"... and {len(summary.skipped) - 10} more skipped")
    for old, new in summary.renamed[:10]:
        ui.say(f"renamed {old} -> {new}")
    if summary.stale:
        ui.say(
            f"{len(summary.stale)} generated profile(s) no longer reachable, kept "
            f"({', '.join(summary.stale[:3])}{', ...' if len(summary.stale) > 3 else ''}); "
            "--prune removes them"
        )
    ui.say(f"{outcome.pairs} account roles: {summary.line()}")
    if dry_run:
        print(edit.diff(), end="")
        ui.say("dry run: nothing written")
    elif edit.written:
        backup = f" (previous file: {edit.backup})" if edit.backup else ""
        ui.say(f"written to {edit.path}{backup}")
    else:
        ui.say(f"{edit.path} already up to date")


def _one_session(name: str | None) -> list[str]:
    if name:
        return [name]
    from awsenv.config import AwsConfig

    config = AwsConfig.load()
    names = list(config.sso_sessions)
    if len(names) == 1:
        return names
    if not names:
        return []  # populate() says how to create one
    raise UsageError(
        f"{config.path} has {len(names)} sso-sessions; name one with --sso-session or use --all",
        hint=", ".join(names),
    )


@app.command()
def doctor(
    fix: Annotated[
        bool, typer.Option("--fix", help="fix permissions and remove corrupt token cache files")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the verdicts as JSON")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="skip the clock check (no network)")
    ] = False,
) -> None:
    """Check files, caches, profiles, sessions, the shell and the clock; exit 1 on a failure."""
    from awsenv import doctor as checks_module
    from awsenv.timefmt import utc_now

    checks = checks_module.run_checks(utc_now(), offline=offline)
    fixed: list[str] = []
    if fix:
        fixed = checks_module.repair(checks)
        if fixed:
            checks = checks_module.run_checks(utc_now(), offline=offline)
    failed = checks_module.failed(checks)
    if as_json:
        report = {"ok": not failed, "fixed": fixed, "checks": [c.as_json() for c in checks]}
        print(json.dumps(report, indent=2))
    else:
        for line in fixed:
            print(f"fixed {line}")
        for check in checks:
            print(check.line())
    if failed:
        raise typer.Exit(1)
