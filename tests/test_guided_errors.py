"""The guide's three troubleshooting cases, guided wherever awsenv meets them: an expired
session (the login is offered), "Invalid grant provided" (only that session's token goes, and a
fresh login follows), a profile that is not found (the closest names, or what to do)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pexpect

from awsenv import errors
from conftest import AWSENV, Home

PROFILE = "Company-1-ReadOnly"
TOKEN = f"{hashlib.sha1(b'company-1-sso').hexdigest()}.json"


def expire(home: Home, *, refreshable: bool) -> None:
    """Make company-1-sso's cached token expired (with or without a refresh token), and drop
    the cached role credentials so that `use` needs the session."""
    path = home.sso_cache / TOKEN
    token = json.loads(path.read_text())
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token["expiresAt"] = past
    if not refreshable:
        token.pop("refreshToken")
    path.write_text(json.dumps(token))
    for cached in home.cli_cache.glob("*.json"):
        cached.unlink()


def last_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[-1]


def test_an_expired_session_says_how_to_sign_in(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    expire(home, refreshable=False)
    result = home.awsenv("use", PROFILE, env={"AWSENV_AUTO_LOGIN": "never"})
    assert result.returncode == errors.EXIT_LOGIN_REQUIRED
    assert last_line(result.stderr) == (
        "awsenv: the SSO session for sso-session company-1-sso has expired "
        f"(run: awsenv login {PROFILE})"
    )


def test_an_expired_session_offers_the_login_in_the_shell(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    expire(home, refreshable=False)
    script = f'eval "$("{AWSENV}" init bash)"; awsenv use {PROFILE}; echo "now: $AWS_PROFILE"'
    child = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-c", script],
        env=home.environ({"AWSENV_AUTO_LOGIN": "ask"}),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(
        r"the SSO session for sso-session company-1-sso has expired\. "
        r"Sign in to sso-session company-1-sso at https://\S+ now\? \[Y/n\] "
    )
    child.sendline("y")
    child.expect(f"now: {PROFILE}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_invalid_grant_removes_only_that_sessions_token_and_says_so(home: Home) -> None:
    assert home.awsenv("login", "Company-2-ReadOnly").returncode == 0
    assert home.awsenv("login", PROFILE).returncode == 0
    others = {p.name: p.read_text() for p in home.sso_cache.glob("*.json") if p.name != TOKEN}
    expire(home, refreshable=True)
    home.emulator.expire("refresh_tokens")
    result = home.awsenv("use", PROFILE, env={"AWSENV_AUTO_LOGIN": "never"})
    assert result.returncode == errors.EXIT_LOGIN_REQUIRED
    assert last_line(result.stderr) == (
        "awsenv: the SSO session for sso-session company-1-sso can no longer be renewed "
        "(Invalid grant provided; only its cached token was removed) "
        f"(run: awsenv login {PROFILE})"
    )
    assert not (home.sso_cache / TOKEN).exists()
    # Never `rm -rf` of the cache: the other session and every registration are untouched.
    assert {p: (home.sso_cache / p).read_text() for p in others} == others


def test_invalid_grant_during_a_sign_in_says_to_sign_in_again(home: Home) -> None:
    home.emulator.inject("CreateToken", 400, "InvalidGrantException", "Invalid grant provided")
    result = home.awsenv("login", PROFILE)
    assert result.returncode == errors.EXIT_LOGIN_DENIED
    assert last_line(result.stderr) == (
        "awsenv: the sign-in to sso-session company-1-sso was refused: Invalid grant provided "
        "(its one-time code expired or was used already) "
        f"(sign in again: awsenv login {PROFILE})"
    )
    assert home.tokens() == []
    assert home.awsenv("login", PROFILE).returncode == 0


def test_a_profile_not_found_names_the_closest_in_every_shell(home: Home) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = home.shell(shell, "awsenv use company-1-readonly\n")
        assert result.returncode == errors.EXIT_CONFIG, (shell, result.stderr)
        assert last_line(result.stderr).startswith(
            "awsenv: The config profile (company-1-readonly) could not be found "
            f"(did you mean {PROFILE}, "
        )


def test_a_profile_not_found_in_other_commands_too(home: Home) -> None:
    result = home.awsenv("login", "Company-1-Admin")
    assert result.returncode == errors.EXIT_CONFIG
    assert "(did you mean Company-1-Administrator, " in last_line(result.stderr)


def test_a_session_name_given_as_a_profile_lists_its_profiles(home: Home) -> None:
    result = home.awsenv("use", "company-2-sso")
    assert result.returncode == errors.EXIT_CONFIG
    assert last_line(result.stderr) == (
        "awsenv: The config profile (company-2-sso) could not be found (company-2-sso is an "
        "sso-session; its profiles: Company-2-ReadOnly, Company-2-Administrator)"
    )


def test_no_profiles_at_all_says_how_to_create_one(home: Home) -> None:
    home.config.write_text("")
    result = home.awsenv("use", "anything")
    assert result.returncode == errors.EXIT_CONFIG
    assert last_line(result.stderr) == (
        f"awsenv: The config profile (anything) could not be found ({home.config} has no "
        "profiles; create one with: awsenv configure sso)"
    )
