"""`awsenv exec` (exit codes, isolation) and `awsenv export` (the AWS CLI's formats, byte for
byte; credential_process for boto3)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import boto3
import pytest

from conftest import AWSENV, SHELLS, Home

# The lines `aws configure export-credentials` prints, per format, as written in the AWS CLI
# v2 (awscli/customizations/configure/exportcreds.py): values unquoted, one per line.
CLI_V2_LINE = {
    "env": "export {name}={value}\n",
    "env-no-export": "{name}={value}\n",
    "fish": 'set -gx {name} "{value}"\n',
    "powershell": '$Env:{name}="{value}"\n',
    "windows-cmd": "set {name}={value}\n",
}


def cached_role_credentials(home: Home) -> dict[str, str]:
    """The role credentials awsenv cached (the AWS CLI's cache file)."""
    [path] = home.cli_cache.glob("*.json")
    return dict(json.loads(path.read_text())["Credentials"])


def cli_v2_output(fmt: str, creds: dict[str, str | None]) -> str:
    expiry = creds.get("Expiration")
    variables = [
        ("AWS_ACCESS_KEY_ID", creds["AccessKeyId"]),
        ("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"]),
        ("AWS_SESSION_TOKEN", creds.get("SessionToken")),
        # botocore's expiry datetime, isoformat(): 2026-11-26T14:40:00+00:00
        ("AWS_CREDENTIAL_EXPIRATION", expiry.replace("Z", "+00:00") if expiry else None),
    ]
    if fmt == "process":
        document: dict[str, object] = {"Version": 1}
        for key, (_, value) in zip(
            ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"), variables, strict=True
        ):
            if value is not None:
                document[key] = value
        return json.dumps(document, indent=2, separators=(",", ": ")) + "\n"
    return "".join(CLI_V2_LINE[fmt].format(name=n, value=v) for n, v in variables if v is not None)


def test_export_matches_the_aws_cli_byte_for_byte(home: Home) -> None:
    # Signed in beforehand: `process` never signs in itself.
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    for fmt in ("env", "env-no-export", "fish", "powershell", "windows-cmd", "process"):
        result = home.awsenv("export", "Company-1-ReadOnly", "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert result.stdout == cli_v2_output(fmt, cached_role_credentials(home)), fmt


def test_export_of_static_keys_has_no_token_or_expiry(home: Home) -> None:
    key, secret = home.emulator.add_user("arn:aws:iam::111122223333:user/ci")
    (home.path / ".aws" / "credentials").write_text(
        f"[ci]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    )
    creds = {"AccessKeyId": key, "SecretAccessKey": secret}
    for fmt in ("env", "fish", "process"):
        result = home.awsenv("export", "ci", "--format", fmt)
        assert result.stdout == cli_v2_output(fmt, dict(creds)), result.stderr


def test_export_json_and_the_current_profile(home: Home) -> None:
    result = home.shell("bash", "awsenv use Company-2-ReadOnly\nawsenv export --format json\n")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert list(exported) == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ]
    assert exported["AWS_ACCESS_KEY_ID"] == cached_role_credentials(home)["AccessKeyId"]


@pytest.mark.parametrize("shell", SHELLS)
def test_the_exported_lines_evaluate_in_each_shell(shell: str, home: Home) -> None:
    load = {
        "bash": 'eval "$(awsenv export Default --format env)"\n',
        "zsh": 'eval "$(awsenv export Default --format env)"\n',
        "fish": "awsenv export Default --format fish | source\n",
    }[shell]
    result = home.shell(shell, load + "awsenv whoami --json\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == "111122223333"


def test_boto3_uses_awsenv_as_its_credential_process(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    with home.config.open("a") as f:
        f.write(
            "\n[profile via-awsenv]\n"
            f"credential_process = {AWSENV} export Company-2-Administrator --format process\n"
            "region = ap-southeast-2\n"
        )
    for name, value in home.environ().items():
        monkeypatch.setenv(name, value)
    assert home.awsenv("login", "--sso-session", "company-2-sso").returncode == 0
    sts = boto3.Session(profile_name="via-awsenv").client("sts")
    identity = sts.get_caller_identity()
    assert identity["Account"] == "333344445555"
    assert ":assumed-role/AWSReservedSSO_Administrator_" in identity["Arn"]


def test_process_format_never_signs_in_or_asks(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no SSO session, boto3 gets awsenv's one-line reason, and no browser opened."""
    with home.config.open("a") as f:
        f.write(
            "\n[profile via-awsenv]\n"
            f"credential_process = {AWSENV} export Company-1-ReadOnly --format process\n"
        )
    for name, value in home.environ().items():
        monkeypatch.setenv(name, value)
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.CredentialRetrievalError) as failure:
        boto3.Session(profile_name="via-awsenv").client("sts").get_caller_identity()
    assert "awsenv login Company-1-ReadOnly" in str(failure.value)
    assert "Traceback" not in str(failure.value)
    assert home.emulator.calls("RegisterClient") == []
    assert home.emulator.calls("StartDeviceAuthorization") == []
    direct = home.awsenv("export", "Company-1-ReadOnly", "--format", "process")
    assert direct.returncode == 4 and direct.stdout == ""


def test_a_credential_process_loop_is_stopped(home: Home) -> None:
    with home.config.open("a") as f:
        f.write(f"\n[profile loop]\ncredential_process = {AWSENV} export loop --format process\n")
    result = home.awsenv("export", "loop", "--format", "process")
    assert result.returncode != 0
    assert "credential_process loop: loop -> loop" in result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr


def test_export_refuses_values_a_shell_would_run(home: Home, tmp_path: Path) -> None:
    tool = tmp_path / "creds.py"
    tool.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AKIAX', "
        "'SecretAccessKey': 's', 'SessionToken': '$(touch pwned)'}))\n"
    )
    with home.config.open("a") as f:
        f.write(f"\n[profile odd]\ncredential_process = {sys.executable} {tool}\n")
    refused = home.awsenv("export", "odd", "--format", "env")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "refusing to print AWS_SESSION_TOKEN" in refused.stderr
    assert json.loads(home.awsenv("export", "odd").stdout)["SessionToken"] == "$(touch pwned)"


# exec ------------------------------------------------------------------------------------


def test_exec_passes_the_exit_status_through(home: Home) -> None:
    for code in (0, 3, 42):
        result = home.awsenv("exec", "Company-1-ReadOnly", "--", "sh", "-c", f"exit {code}")
        assert result.returncode == code, result.stderr


def test_exec_dies_of_the_commands_signal(home: Home) -> None:
    result = home.awsenv("exec", "Company-1-ReadOnly", "--", "sh", "-c", "kill -TERM $$")
    assert result.returncode == -signal.SIGTERM


def test_exec_gives_the_command_the_profile_and_nothing_else_changes(home: Home) -> None:
    show = (
        "import json, os; print(json.dumps({k: v for k, v in os.environ.items() "
        "if k.startswith(('AWS_', 'AWSENV_', 'KEEP'))}))"
    )
    result = home.awsenv(
        "exec",
        "--region",
        "eu-west-1",
        "Company-2-ReadOnly",
        sys.executable,
        "-c",
        show,
        env={"AWS_ACCESS_KEY_ID": "AKIAOLD", "KEEP_ME": "yes"},
    )
    assert result.returncode == 0, result.stderr
    child = json.loads(result.stdout)
    assert child["AWS_PROFILE"] == child["AWSENV_PROFILE"] == "Company-2-ReadOnly"
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert child["AWS_ACCESS_KEY_ID"] == cached_role_credentials(home)["AccessKeyId"]
    assert child["KEEP_ME"] == "yes"
    assert child["AWS_ENDPOINT_URL_STS"] == home.emulator.url


@pytest.mark.parametrize("shell", SHELLS)
def test_exec_leaves_the_calling_shell_alone(shell: str, home: Home) -> None:
    # Static keys: no sign-in needed for what this is about.
    lines = []
    for name in ("first", "second"):
        key, secret = home.emulator.add_user(f"arn:aws:iam::111122223333:user/{name}")
        lines.append(f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    (home.path / ".aws" / "credentials").write_text("".join(lines))
    unset = "set -e AWS_PROFILE" if shell == "fish" else "unset AWS_PROFILE"
    show = (
        "printf '%s\\n' \"after=$AWS_PROFILE\"\n"
        if shell == "fish"
        else "printf '%s\\n' \"after=${AWS_PROFILE-none}\"\n"
    )
    script = (
        "awsenv use first\n"
        "awsenv exec second -- sh -c 'echo inside=$AWS_PROFILE'\n"
        f"{show}{unset}\nawsenv exec second -- awsenv whoami --json\n{show}"
    )
    result = home.shell(shell, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "inside=second"
    assert out[1] == "after=first"
    assert json.loads("".join(out[2:-1]))["Arn"] == "arn:aws:iam::111122223333:user/second"
    assert out[-1] == ("after=" if shell == "fish" else "after=none")


def test_exec_without_a_command_runs_the_shell(home: Home, tmp_path: Path) -> None:
    fake_shell = tmp_path / "myshell"
    fake_shell.write_text('#!/bin/sh\necho "shell with $AWS_PROFILE"\n')
    fake_shell.chmod(0o755)
    result = home.awsenv("exec", "Default", env={"SHELL": str(fake_shell)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "shell with Default\n"


def test_exec_errors_are_one_line(home: Home) -> None:
    missing = home.awsenv("exec", "Default", "--", "no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr.strip().endswith("no-such-command-here: command not found")
    late = home.awsenv("exec", "Default", "--region", "eu-west-1", "true")
    assert late.returncode == 2 and "options of exec go before the profile" in late.stderr
    unknown = home.awsenv("exec", "Nope", "--", "true")
    assert unknown.returncode == 3 and "(Nope) could not be found" in unknown.stderr
    for result in (missing, late, unknown):
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_exec_follows_the_auto_login_rule(home: Home) -> None:
    result = home.awsenv(
        "exec", "Company-1-ReadOnly", "--", "true", env={"AWSENV_AUTO_LOGIN": "never"}
    )
    assert result.returncode == 4
    assert "awsenv login Company-1-ReadOnly" in result.stderr
    assert os.listdir(home.path / ".aws") == ["config"]
