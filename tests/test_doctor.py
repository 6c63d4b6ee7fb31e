"""`awsenv doctor` on a deliberately broken home reports each problem on its own line, fixes
what is safe to fix, and says when the shell integration is loaded."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from awsenv import tokens
from awsenv.emulator import Emulator
from conftest import SHELLS, Home

BROKEN = """\
[profile good]
sso_session = good-sso
sso_account_id = 222233334444
sso_role_name = ReadOnly
region = ap-southeast-2

[profile orphan]
sso_session = no-such-sso
sso_account_id = 222233334444
sso_role_name = ReadOnly

[profile half]
sso_session = good-sso
sso_account_id = 222233334444

[profile typo-region]
region = eu-westt-1

[profile stale]
sso_session = old-sso
sso_account_id = 333344445555
sso_role_name = ReadOnly

[sso-session good-sso]
sso_start_url = https://d-9876543210.awsapps.com/start
sso_region = ap-southeast-2
sso_registration_scopes = sso:account:access

[sso-session twin-sso]
sso_start_url = https://d-9876543210.awsapps.com/start/
sso_region = ap-southeast-2

[sso-session old-sso]
sso_start_url = https://d-555666777.awsapps.com/start
sso_region = ap-southeast-2

[sso-session plain-http]
sso_start_url = http://d-1.awsapps.com/start
sso_region = us-east-1
"""

CREDENTIALS = """\
[static]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def broken(home: Home, emulator: Emulator) -> Home:
    home.config.write_text(BROKEN)
    home.config.chmod(0o644)
    credentials = home.path / ".aws" / "credentials"
    credentials.write_text(CREDENTIALS)
    credentials.chmod(0o644)
    assert home.awsenv("login", "--sso-session", "good-sso").returncode == 0
    cache = home.sso_cache
    good = cache / f"{tokens.token_cache_key('', 'good-sso')}.json"
    good.chmod(0o644)
    cache.chmod(0o755)
    old = cache / f"{tokens.token_cache_key('', 'old-sso')}.json"
    old.write_text(
        json.dumps(
            {
                "startUrl": "https://d-555666777.awsapps.com/start",
                "region": "ap-southeast-2",
                "accessToken": "dead",
                "expiresAt": "2020-01-01T00:00:00Z",
            }
        )
    )
    old.chmod(0o600)
    (cache / "garbage.json").write_text("{not json")
    (cache / "garbage.json").chmod(0o600)
    (cache / "halfway.json").write_text('{"startUrl": "https://x", "accessToken": "t"}')
    (cache / "halfway.json").chmod(0o600)
    emulator.knobs.clock_offset = 900  # the service's clock runs 15 minutes ahead of ours
    return home


EXPECTED = [
    "warn  config-permissions: ~/.aws/config is 0644, open to other users; the guide asks "
    "for 600 -> fix: chmod 600 ~/.aws/config",
    "fail  credentials-permissions: ~/.aws/credentials is 0644",
    "warn  access-keys: long-term access keys (AKIA…) in profile static -> fix: use IAM "
    "Identity Center instead",
    "fail  token-cache-permissions: ~/.aws/sso/cache is 0755; it holds secrets and should be 700",
    "fail  token-cache-permissions: 1 file(s) in ~/.aws/sso/cache readable by other users",
    "fail  token-cache-files: ~/.aws/sso/cache/garbage.json is corrupt: not a JSON object",
    "fail  token-cache-files: ~/.aws/sso/cache/halfway.json is corrupt: a token without "
    "accessToken or expiresAt",
    'fail  profile: The specified sso-session does not exist: "no-such-sso"',
    "fail  profile: profile half is missing sso_role_name",
    "warn  region: profile typo-region: 'eu-westt-1' is not an AWS region; did you mean eu-west-1",
    "fail  sso-session: sso-session plain-http: start URL 'http://d-1.awsapps.com/start' is "
    "not https",
    "warn  sso-session: sso-sessions good-sso, twin-sso share the start URL "
    "https://d-9876543210.awsapps.com/start: each needs its own sign-in",
    "ok    session: sso-session good-sso: signed in, 7h",
    "warn  session: sso-session old-sso: the SSO session has expired -> fix: awsenv login "
    "--sso-session old-sso",
    "info  session: sso-session twin-sso: not signed in (awsenv login --sso-session twin-sso)",
    "warn  shell-integration: not loaded in this shell",
    "fail  clock: this clock is ",  # 899 or 900 s behind, by when the second turns
]


def test_doctor_reports_each_problem_of_a_broken_home(broken: Home) -> None:
    result = broken.awsenv("doctor")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    for expected in EXPECTED:
        assert any(line.startswith(expected) for line in lines), (expected, result.stdout)
    assert "s behind http://127.0.0.1:" in result.stdout
    assert "AWS rejects signatures more than 5 minutes off" in result.stdout


def test_doctor_json_gives_the_same_verdicts(broken: Home) -> None:
    result = broken.awsenv("doctor", "--json", "--offline")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["fixed"] == []
    verdicts = {(c["id"], c["status"]) for c in report["checks"]}
    assert ("credentials-permissions", "fail") in verdicts
    assert ("token-cache-files", "fail") in verdicts
    assert ("access-keys", "warn") in verdicts
    assert not any(c["id"] == "clock" for c in report["checks"])  # --offline
    fixes = [c["fix"] for c in report["checks"] if c["id"] == "config-permissions"]
    assert fixes == ["chmod 600 ~/.aws/config (or: awsenv doctor --fix)"]


def test_doctor_fix_repairs_permissions_and_removes_only_corrupt_cache_files(
    broken: Home,
) -> None:
    cache = broken.sso_cache
    kept = sorted(p.name for p in cache.iterdir() if p.name not in ("garbage.json", "halfway.json"))
    result = broken.awsenv("doctor", "--fix", "--offline")
    assert result.returncode == 1  # the profiles still need a person
    out = result.stdout
    assert "fixed chmod 600 ~/.aws/config\n" in out
    assert "fixed chmod 600 ~/.aws/credentials\n" in out
    assert "fixed chmod 700 ~/.aws/sso/cache\n" in out
    assert "fixed removed ~/.aws/sso/cache/garbage.json\n" in out
    assert "fixed removed ~/.aws/sso/cache/halfway.json\n" in out
    assert mode(broken.config) == 0o600
    assert mode(broken.path / ".aws" / "credentials") == 0o600
    assert mode(cache) == 0o700
    assert all(mode(p) == 0o600 for p in cache.iterdir())
    # The sign-in, its client registration and the expired token stay: only corrupt files go.
    assert sorted(p.name for p in cache.iterdir()) == kept
    assert broken.config.read_text() == BROKEN
    assert "ok    token-cache-files: every token cache file is readable" in out
    assert "ok    credentials-permissions: ~/.aws/credentials is 0600" in out
    assert 'fail  profile: The specified sso-session does not exist: "no-such-sso"' in out


def test_a_healthy_home_passes(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    home.config.chmod(0o600)
    result = home.awsenv("doctor", env={"AWSENV_SHELL": "bash"})
    assert result.returncode == 0, result.stdout
    assert "fail" not in result.stdout and "warn" not in result.stdout
    assert "ok    session: sso-session company-1-sso: signed in, 7h" in result.stdout
    assert "ok    clock: within 30s of http://127.0.0.1:" in result.stdout


def test_an_unreachable_service_skips_the_clock_check(home: Home) -> None:
    result = home.awsenv("doctor", env={"AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9"})
    assert "info  clock: skipped: the SSO service could not be reached" in result.stdout


def test_an_unparsable_config_is_a_failure_not_a_crash(home: Home) -> None:
    home.config.write_text("[profile a]\nregion = x\nregion = y\n")
    result = home.awsenv("doctor", "--offline")
    assert result.returncode == 1
    assert "fail  config: " in result.stdout and "line 3" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_doctor_sees_the_shell_integration_loaded(home: Home, shell: str) -> None:
    result = home.shell(shell, "awsenv doctor --offline\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok    shell-integration: loaded in this {shell} shell" in result.stdout


def test_without_the_integration_doctor_says_what_to_add(home: Home) -> None:
    result = home.awsenv("doctor", "--offline", env={"SHELL": "/usr/bin/fish"})
    assert "warn  shell-integration: not loaded in this shell" in result.stdout


def test_fix_leaves_a_config_that_is_a_directory_alone(home: Home) -> None:
    home.config.unlink()
    home.config.mkdir(mode=0o755)
    home.config.chmod(0o755)
    result = home.awsenv("doctor", "--fix", "--offline")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "fail  config: ~/.aws/config cannot be read" in result.stdout
    assert "config-permissions" not in result.stdout
    assert "fixed chmod 600 ~/.aws/config" not in result.stdout
    assert stat.S_IMODE(home.config.stat().st_mode) == 0o755
