"""The demo, the project's main job: scripted and interactive, against the emulator."""

from __future__ import annotations

import re
import subprocess

import pexpect
import pytest

from conftest import AWSENV, BIN

# awsenv's prompt segment: profile, region and the time left, in the colour of its state.
SEGMENT = r"aws:Company-1-ReadOnly ap-southeast-2 \x1b\[32m(1h|[1-5]?[0-9]m)\x1b\[0m"


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
    # The prompt segment, time left included.
    assert re.search(SEGMENT, result.stdout)
    assert "assumed-role/AWSReservedSSO_ReadOnly_" in result.stdout
    assert "assumed-role/AWSReservedSSO_Administrator_" in result.stdout
    assert "signed out of" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_interactive_demo_completes_asks_and_shows_the_segment(shell: str) -> None:
    child = pexpect.spawn(
        AWSENV,
        ["demo", "--shell", shell],
        env={**demo_env(), "TERM": "xterm"},
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"\[demo\] \$ ")
    # Tab completes the profile name (from the config, in the shell): the sign-in that follows
    # is for the completed profile's sso-session, not an unknown `Company-1-R`.
    child.send("awsenv use Company-1-R\t")
    child.expect("eadOnly")
    child.send("\r")
    child.expect(r"Sign in to sso-session company-1-sso at \S+ now\? \[Y/n\] ")
    child.sendline("")
    child.expect(SEGMENT + r" \[demo\] \$ ")
    child.sendline("awsenv whoami")
    child.expect(r"arn:aws:sts::222233334444:assumed-role/AWSReservedSSO_ReadOnly_")
    child.expect(SEGMENT + r" \[demo\] \$ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
