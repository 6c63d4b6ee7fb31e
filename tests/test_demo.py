"""The demo, the project's main job: scripted and interactive, against the emulator."""

from __future__ import annotations

import subprocess

import pexpect
import pytest

from conftest import AWSENV, BIN


def demo_env() -> dict[str, str]:
    return {"PATH": f"{BIN}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}


def test_scripted_tour() -> None:
    result = subprocess.run(
        [AWSENV, "demo", "--script"],
        env=demo_env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "assumed-role/AWSReservedSSO_ReadOnly_" in result.stdout
    assert "assumed-role/AWSReservedSSO_Administrator_" in result.stdout
    assert "signed out of" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_interactive_demo_asks_before_signing_in(shell: str) -> None:
    child = pexpect.spawn(
        AWSENV, ["demo", "--shell", shell], env=demo_env(), encoding="utf-8", timeout=60
    )
    child.expect(r"\[demo no profile\] \$ ")
    child.sendline("awsenv use Company-1-ReadOnly")
    child.expect(r"Sign in to sso-session company-1-sso at \S+ now\? \[Y/n\] ")
    child.sendline("")
    child.expect(r"\[demo Company-1-ReadOnly\] \$ ")
    child.sendline("awsenv whoami")
    child.expect(r"arn:aws:sts::222233334444:assumed-role/AWSReservedSSO_ReadOnly_")
    child.expect(r"\[demo Company-1-ReadOnly\] \$ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
