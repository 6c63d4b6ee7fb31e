"""Profiles beyond SSO, resolved by botocore: role_arn chains (an SSO source included) against
the emulator's STS AssumeRole, mfa_serial (asked once, then cached as the AWS CLI caches it),
credential_process and static keys; `use`, `exec`, `export` and `whoami` for each."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
import pytest
from botocore.credentials import AssumeRoleCredentialFetcher

from awsenv.config import Profile
from awsenv.credentials import assumed_role_cache_key
from conftest import Home

CHAINS = """
[profile deploy]
role_arn = arn:aws:iam::222233334444:role/DeployRole
source_profile = Company-1-ReadOnly
region = eu-west-1

[profile audit]
role_arn = arn:aws:iam::333344445555:role/AuditRole
source_profile = deploy
role_session_name = auditor

[profile admin-mfa]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = ops-keys
mfa_serial = arn:aws:iam::111122223333:mfa/ops
duration_seconds = 1800
"""


@pytest.fixture
def chains(home: Home, tmp_path: Path) -> Home:
    key, secret = home.emulator.add_user("arn:aws:iam::111122223333:user/ops")
    (home.path / ".aws" / "credentials").write_text(
        f"[ops-keys]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    )
    tool = tmp_path / "creds.py"
    tool.write_text(
        "import json\nprint(json.dumps({'Version': 1, "
        f"'AccessKeyId': {key!r}, 'SecretAccessKey': {secret!r}}}))\n"
    )
    with home.config.open("a") as f:
        f.write(CHAINS + f"\n[profile by-process]\ncredential_process = {sys.executable} {tool}\n")
    return home


def identity(result: object) -> dict[str, str]:
    stdout = getattr(result, "stdout", "")
    assert getattr(result, "returncode", 1) == 0, getattr(result, "stderr", "")
    return dict(json.loads(stdout))


def test_a_chain_from_an_sso_profile_is_exported_by_use(chains: Home) -> None:
    result = chains.shell("fish", "awsenv use deploy\nawsenv whoami --json\n")
    arn = identity(result)["Arn"]
    assert arn.startswith("arn:aws:sts::222233334444:assumed-role/DeployRole/")
    [assume] = chains.emulator.calls("AssumeRole")
    # STS was called with the SSO role's keys, as the chain says.
    sso_role = next(
        json.loads(p.read_text())
        for p in chains.cli_cache.glob("*.json")
        if json.loads(p.read_text()).get("ProviderType") == "sso"
    )
    assert assume.params["AccessKeyId"] == sso_role["Credentials"]["AccessKeyId"]
    assert assume.params["RoleArn"] == "arn:aws:iam::222233334444:role/DeployRole"


def test_chained_credentials_are_cached_where_botocore_looks(chains: Home) -> None:
    assert chains.awsenv("use", "deploy", "--shell", "bash").returncode == 0
    profile = Profile("deploy", {"role_arn": "arn:aws:iam::222233334444:role/DeployRole"}, None, 0)
    botocore_key = AssumeRoleCredentialFetcher(
        client_creator=None, source_credentials=None, role_arn=profile.settings["role_arn"]
    )._create_cache_key()
    assert assumed_role_cache_key(profile) == botocore_key
    assert (chains.cli_cache / f"{botocore_key}.json").is_file()
    # The next switch is served by the cache, without importing boto3.
    again = chains.awsenv("use", "deploy", "--shell", "bash", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert again.returncode == 0
    assert "boto3" not in again.stderr and "botocore" not in again.stderr
    assert len(chains.emulator.calls("AssumeRole")) == 1


def test_a_two_step_chain_and_every_command(chains: Home) -> None:
    assert identity(chains.awsenv("whoami", "audit", "--json"))["Arn"] == (
        "arn:aws:sts::333344445555:assumed-role/AuditRole/auditor"
    )
    exported = json.loads(chains.awsenv("export", "audit", "--format", "process").stdout)
    assert exported["AccessKeyId"].startswith("ASIA")
    ran = chains.awsenv("exec", "audit", "--", "awsenv", "whoami", "--json")
    assert identity(ran)["Account"] == "333344445555"
    assert [c.params["RoleArn"].split("/")[-1] for c in chains.emulator.calls("AssumeRole")] == [
        "DeployRole",
        "AuditRole",
    ]


def test_an_expired_sso_source_follows_the_auto_login_rule(chains: Home) -> None:
    never = chains.awsenv("use", "deploy", "--shell", "bash", env={"AWSENV_AUTO_LOGIN": "never"})
    assert never.returncode == 4
    assert "awsenv login Company-1-ReadOnly" in never.stderr and "Traceback" not in never.stderr
    signed_in = chains.awsenv("use", "deploy", "--shell", "bash")  # AWSENV_AUTO_LOGIN=always
    assert signed_in.returncode == 0, signed_in.stderr
    assert len(chains.emulator.calls("CreateToken")) == 1


def test_mfa_is_asked_once_on_the_terminal_then_cached(chains: Home) -> None:
    bash = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        env={**chains.environ(), "TERM": "dumb"},
        encoding="utf-8",
        timeout=60,
    )
    bash.sendline('PS1="$ "; eval "$(awsenv init bash)"; echo READY')
    bash.expect("READY")
    bash.sendline("awsenv use admin-mfa")
    bash.expect(r"Enter MFA code for arn:aws:iam::111122223333:mfa/ops: ")
    bash.sendline("123456")
    bash.sendline('echo "profile=$AWS_PROFILE"')
    bash.expect(r"profile=admin-mfa\r\n")
    bash.sendline("exit")
    bash.expect(pexpect.EOF)
    [assume] = chains.emulator.calls("AssumeRole")
    assert assume.params["SerialNumber"] == "arn:aws:iam::111122223333:mfa/ops"
    # No terminal now: the cached session serves every command, with no question.
    assert chains.awsenv("exec", "admin-mfa", "--", "true").returncode == 0
    assert identity(chains.awsenv("whoami", "admin-mfa", "--json"))["Arn"].startswith(
        "arn:aws:sts::111122223333:assumed-role/Admin/"
    )
    assert chains.awsenv("export", "admin-mfa", "--format", "process").returncode == 0
    assert len(chains.emulator.calls("AssumeRole")) == 1


def test_mfa_without_a_terminal_or_with_a_wrong_code(chains: Home) -> None:
    no_tty = chains.awsenv("use", "admin-mfa", "--shell", "bash")
    assert no_tty.returncode == 5 and "needs an MFA code" in no_tty.stderr
    process = chains.awsenv("export", "admin-mfa", "--format", "process")
    assert process.returncode == 5 and "never asks for one" in process.stderr
    assert chains.emulator.calls("AssumeRole") == []
    wrong = pexpect.spawn(
        "awsenv",
        ["use", "admin-mfa", "--shell", "bash"],
        env={**chains.environ(), "TERM": "dumb"},
        encoding="utf-8",
        timeout=60,
    )
    wrong.expect("Enter MFA code")
    wrong.sendline("000000")
    wrong.expect(pexpect.EOF)
    wrong.close()
    assert wrong.exitstatus == 7
    assert "invalid MFA one time pass code" in wrong.before
    assert "Traceback" not in wrong.before


@pytest.mark.parametrize("profile", ["by-process", "ops-keys"])
def test_credential_process_and_static_keys_work_everywhere(profile: str, chains: Home) -> None:
    arn = "arn:aws:iam::111122223333:user/ops"
    used = chains.shell("bash", f"awsenv use {profile}\nawsenv whoami --json\n")
    assert identity(used)["Arn"] == arn
    assert identity(chains.awsenv("whoami", profile, "--json"))["Arn"] == arn
    ran = chains.awsenv("exec", profile, "--", "awsenv", "whoami", "--json")
    assert identity(ran)["Arn"] == arn
    exported = chains.awsenv("export", profile, "--format", "env")
    assert exported.returncode == 0
    assert exported.stdout.splitlines()[0].startswith("export AWS_ACCESS_KEY_ID=AKIA")
