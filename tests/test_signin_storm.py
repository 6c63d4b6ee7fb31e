"""Many awsenv processes at once cost one sign-in, one refresh, one key fetch (issue 11).

Every test starts real `awsenv` processes together against the emulator and counts its calls.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsenv import errors, locks, login, tokens
from awsenv.emulator.server import Emulator
from awsenv.login import LOCK_WAIT
from conftest import AWSENV, Home

ROLES = ("Company-1-ReadOnly", "Company-1-Administrator")  # two roles of one sso-session
STORM = 20
WAITING = "in progress in another process"


def _commands(count: int) -> list[list[str]]:
    """`use`, `export --format process --login` and plain `exec`, in turn, over both roles."""
    kinds = (
        lambda p: ["use", p, "--shell", "bash"],
        lambda p: ["export", p, "--format", "process", "--login"],
        lambda p: ["exec", p, "--", "sh", "-c", 'test -n "$AWS_SESSION_TOKEN"'],
    )
    return [[AWSENV, *kinds[i % 3](ROLES[i % 2])] for i in range(count)]


def _storm(
    home: Home, argvs: Sequence[list[str]], env: Mapping[str, str] | None = None
) -> list[tuple[int, str]]:
    """Start every command at once; (exit status, stderr) of each."""
    procs = [
        subprocess.Popen(
            argv,
            env=home.environ(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    results = []
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        results.append((proc.returncode, err))
    return results


def _count(emulator: Emulator, operation: str, grant: str | None = None) -> int:
    calls = emulator.calls(operation)
    return len([c for c in calls if grant is None or c.params.get("grantType") == grant])


def _sign_ins(emulator: Emulator) -> int:
    """Browser sign-ins completed: each ends in one authorization_code CreateToken."""
    return _count(emulator, "CreateToken", "authorization_code")


def test_parallel_commands_with_no_session_sign_in_once(home: Home) -> None:
    results = _storm(home, _commands(STORM))
    assert [rc for rc, _ in results] == [0] * STORM, [err for _, err in results]
    emulator = home.emulator
    assert _sign_ins(emulator) == 1
    assert _count(emulator, "RegisterClient") == 1
    assert _count(emulator, "GetRoleCredentials") == len(ROLES)
    assert any(WAITING in err for _, err in results)


def test_a_cached_use_takes_no_lock(home: Home) -> None:
    assert home.awsenv("use", ROLES[0], "--shell", "bash").returncode == 0
    result = home.awsenv("use", ROLES[0], "--shell", "bash", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    imported = set(re.findall(r"^import time:.*\|\s*([\w.]+)$", result.stderr, re.MULTILINE))
    assert "awsenv.switch" in imported
    assert not imported & {"awsenv.locks", "awsenv.login", "fcntl", "boto3"}


def _expire_access_token(home: Home) -> None:
    """Only the access token has expired: on the service and in the cache file; the role
    keys cached from before are gone, so every process needs the session."""
    home.emulator.expire("access_tokens")
    (token_file,) = [p for p in home.sso_cache.glob("*.json") if "accessToken" in p.read_text()]
    data = json.loads(token_file.read_text())
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    data["expiresAt"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
    token_file.write_text(json.dumps(data))
    for path in home.cli_cache.glob("*.json"):
        path.unlink()


@pytest.mark.parametrize("single_use", [True, False], ids=["single-use", "reusable"])
def test_parallel_commands_with_an_expired_access_token_refresh_once(
    home: Home, single_use: bool
) -> None:
    assert home.awsenv("login", ROLES[0]).returncode == 0
    home.emulator.knobs.single_use_refresh_tokens = single_use
    _expire_access_token(home)
    home.emulator.clear_calls()
    results = _storm(home, _commands(STORM), {"AWSENV_AUTO_LOGIN": "never"})
    assert [rc for rc, _ in results] == [0] * STORM, [err for _, err in results]
    emulator = home.emulator
    assert _count(emulator, "CreateToken", "refresh_token") == 1
    assert _count(emulator, "CreateToken") == 1
    assert _count(emulator, "RegisterClient") == 0
    assert _count(emulator, "GetRoleCredentials") == len(ROLES)
    assert len(home.tokens()) == 1


def _wait_for(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stuck_holder(home: Home) -> subprocess.Popen[bytes]:
    """A `use` stuck in its sign-in, holding the locks: its "browser" never comes back."""
    holder = subprocess.Popen(
        [AWSENV, "use", ROLES[0], "--shell", "bash"],
        env=home.environ({"BROWSER": "true %s"}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: home.emulator.calls("Authorize"), 120, "the holder's sign-in page")
    return holder


def _waiters(
    home: Home, logs: list[Path], env: Mapping[str, str] | None = None
) -> list[subprocess.Popen[bytes]]:
    """`use` of both roles, one per log, each waiting for the lock before this returns."""
    waiters = []
    for i, log in enumerate(logs):
        with open(log, "w") as err:
            waiters.append(
                subprocess.Popen(
                    [AWSENV, "use", ROLES[i % 2], "--shell", "bash"],
                    env=home.environ(env),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            )
    _wait_for(lambda: all(WAITING in log.read_text() for log in logs), 120, "the waiters")
    assert all(w.poll() is None for w in waiters)
    return waiters


def _kill(holder: subprocess.Popen[bytes]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()


def test_waiters_go_on_when_the_signing_in_holder_is_killed(home: Home, tmp_path: Path) -> None:
    emulator = home.emulator
    holder = _stuck_holder(home)
    try:
        logs = [tmp_path / f"waiter-{i}.err" for i in range(4)]
        waiters = _waiters(home, logs)
    finally:
        _kill(holder)
    killed_at = time.monotonic()
    # The kernel frees a dead holder's lock at once: the waiters go on long before their bound
    # (the sign-in timeout, LOCK_WAIT); one of them signs in and the rest use its session.
    codes = [w.wait(timeout=LOCK_WAIT / 4) for w in waiters]
    assert codes == [0] * len(waiters), [log.read_text() for log in logs]
    assert time.monotonic() - killed_at < LOCK_WAIT / 4
    assert _sign_ins(emulator) == 1
    assert _count(emulator, "RegisterClient") == 1
    assert _count(emulator, "GetRoleCredentials") == len(ROLES)


def test_a_never_waiter_does_not_sign_in_when_the_holder_fails(home: Home, tmp_path: Path) -> None:
    holder = _stuck_holder(home)
    try:
        (waiter,) = _waiters(home, [tmp_path / "waiter.err"], {"AWSENV_AUTO_LOGIN": "never"})
    finally:
        _kill(holder)
    assert waiter.wait(timeout=LOCK_WAIT / 4) == errors.EXIT_LOGIN_REQUIRED
    assert "awsenv login" in (tmp_path / "waiter.err").read_text()
    assert _sign_ins(home.emulator) == 0
    assert _count(home.emulator, "RegisterClient") == 1  # the holder's


@pytest.mark.parametrize("args", [["logout", ROLES[0]], ["logout", "--all"]])
def test_logout_waits_for_a_renewal_in_progress(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """A refresh that finished after logout would write the token back: logout takes the
    session's lock too, so it waits for the renewal, then deletes what it left."""
    assert home.awsenv("login", ROLES[0]).returncode == 0
    key = tokens.token_cache_key("https://d-9876543210.awsapps.com/start", "company-1-sso")
    token = home.sso_cache / f"{key}.json"
    assert token.exists()
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", home.env["XDG_DATA_HOME"])  # where the locks live
    log = tmp_path / "logout.err"
    with locks.exclusive(login.session_lock_name(key), wait=0, waiting=lambda: None):
        with open(log, "w") as err:
            logout = subprocess.Popen(
                [AWSENV, *args],
                env=home.environ(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        _wait_for(lambda: WAITING in log.read_text() or logout.poll() is not None, 60, "logout")
        assert logout.poll() is None, log.read_text()
        assert token.exists()
    assert logout.wait(timeout=60) == 0, log.read_text()
    assert not token.exists()
    assert "signed out of" in log.read_text()
