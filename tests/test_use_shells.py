"""`awsenv use` and friends through the shell function, in the real bash, zsh and fish."""

from __future__ import annotations

import json

import pytest

from conftest import SHELLS, Home


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def operations(home: Home) -> list[str]:
    return [call.operation for call in home.emulator.calls()]


@pytest.mark.parametrize("shell", SHELLS)
def test_use_signs_in_with_pkce_then_switches(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        "awsenv use Company-1-ReadOnly\n"
        "printenv AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWSENV_PROFILE\n"
        "awsenv whoami --json\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert lines(out)[:4] == [
        "Company-1-ReadOnly",
        "ap-southeast-2",
        "ap-southeast-2",
        "Company-1-ReadOnly",
    ]
    identity = json.loads(out[out.index("{") :])
    assert identity["Account"] == "222233334444"
    assert ":assumed-role/AWSReservedSSO_ReadOnly_" in identity["Arn"]
    assert "Traceback" not in result.stderr
    creates = [c for c in home.emulator.calls("CreateToken")]
    assert [c.params.get("grantType") for c in creates] == ["authorization_code"]


@pytest.mark.parametrize("shell", SHELLS)
def test_device_code_login_when_asked_for(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        "awsenv use Company-2-Administrator\nawsenv whoami\n",
        env={"AWSENV_LOGIN_FLOW": "device"},
    )
    assert result.returncode == 0, result.stderr
    assert "assumed-role/AWSReservedSSO_Administrator_" in result.stdout
    assert "333344445555" in result.stdout
    assert "StartDeviceAuthorization" in operations(home)


@pytest.mark.parametrize("shell", SHELLS)
def test_one_sign_in_serves_every_profile_of_the_session(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        "awsenv use Company-1-ReadOnly\n"
        "awsenv use Company-1-Administrator\n"
        "awsenv whoami\n"
        "awsenv use Company-1-ReadOnly\n",
    )
    assert result.returncode == 0, result.stderr
    assert "AWSReservedSSO_Administrator_" in result.stdout
    ops = operations(home)
    assert ops.count("CreateToken") == 1
    # The second ReadOnly switch came from the role credential cache.
    assert ops.count("GetRoleCredentials") == 2


@pytest.mark.parametrize("shell", SHELLS)
def test_unset_removes_everything_awsenv_set(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        "awsenv use Company-1-ReadOnly\n"
        "awsenv unset\n"
        "printenv | grep -E '^(AWS_(PROFILE|REGION|DEFAULT_REGION|ACCESS|SECRET|SESSION|CRED)"
        "|AWSENV_(PROFILE|EXPIRATION|SSO_EXPIRATION|VARS))' || echo clean\n",
    )
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == ["clean"]


@pytest.mark.parametrize("shell", SHELLS)
def test_logout_revokes_and_clears_the_shell(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        "awsenv use Company-1-ReadOnly\nawsenv logout\nprintenv AWS_PROFILE || echo cleared\n",
    )
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == ["cleared"]
    assert "Logout" in operations(home)
    assert home.tokens() == []
    assert list(home.cli_cache.glob("*.json")) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_switching_drops_what_the_new_profile_does_not_set(home: Home, shell: str) -> None:
    with home.config.open("a") as f:
        f.write(
            "\n[profile keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"
        )
    result = home.shell(
        shell,
        "awsenv use keys\n"
        "awsenv use Company-1-ReadOnly --profile-only\n"
        "printenv AWS_PROFILE\n"
        "printenv AWS_ACCESS_KEY_ID || echo no-keys\n",
    )
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == ["Company-1-ReadOnly", "no-keys"]


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failed_use_keeps_the_shell_and_the_status(home: Home, shell: str) -> None:
    status = "$status" if shell == "fish" else "$?"
    script = (
        "awsenv use Company-1-ReadOnly\n"
        f"awsenv use Company-1-ReadOly; echo status={status}\n"
        "printenv AWS_PROFILE\n"
    )
    result = home.shell(shell, script, strict=False)
    assert lines(result.stdout) == ["status=3", "Company-1-ReadOnly"]
    assert "did you mean Company-1-ReadOnly" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_init_twice_and_other_verbs_pass_through(home: Home, shell: str) -> None:
    result = home.shell(
        shell,
        f'eval "$(awsenv init {shell})"\n'
        "awsenv use Company-2-ReadOnly\n"
        "awsenv current\n"
        "awsenv list --json >/dev/null\n",
    )
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == ["Company-2-ReadOnly"]
