"""Credentials that never lapse in an open shell: the command after expiry gets fresh keys first.

Interactive shells run in a pty (pexpect), as a person's would; the emulator's knobs make keys
expire at once instead of after an hour.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pexpect
import pytest
from pexpect.popen_spawn import PopenSpawn

from conftest import SHELLS, Home

PROFILE = "Company-1-ReadOnly"
ADMIN = "Company-1-Administrator"  # same SSO session, other role
ARGV = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "--no-rcs", "-i"],
    "fish": ["fish", "--no-config", "-i"],
}
# The prompt shows the keys and the segment, so a test sees them without running a command
# (which would itself renew the keys first).
SETUP = {
    "bash": 'set -uo pipefail; eval "$(awsenv init bash)"; '
    "PS1='<<K=${AWS_ACCESS_KEY_ID-} S=${AWSENV_PROMPT}>> '",
    "zsh": 'set -uo pipefail; eval "$(awsenv init zsh)"; unsetopt prompt_sp; '
    "setopt prompt_subst; PROMPT='<<K=${AWS_ACCESS_KEY_ID-} S=${AWSENV_PROMPT}>> '",
    "fish": "awsenv init fish | source; function fish_prompt; "
    'printf \'<<K=%s S=%s>> \' "$AWS_ACCESS_KEY_ID" "$AWSENV_PROMPT"; end',
}
PROMPT = re.compile(r"<<K=(\S*) S=([^>]*)>> ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b\(B|[\r\x08]")


class Session:
    """An interactive shell with the integration loaded, driven line by line."""

    def __init__(self, child: pexpect.spawn | PopenSpawn, shell: str, before: str = "") -> None:
        self.child = child
        self.shell = shell
        self.key = ""
        self.segment = ""
        self.send(before + SETUP[shell])
        self.wait_prompt()

    @classmethod
    def terminal(
        cls, shell: str, home: Home, env: Mapping[str, str] | None = None, before: str = ""
    ) -> Session:
        """In a pty that is the shell's controlling terminal: a person at a terminal."""
        child = pexpect.spawn(
            ARGV[shell][0],
            ARGV[shell][1:],
            env=home.environ({"TERM": "xterm", "NO_COLOR": "1", **(env or {})}),
            encoding="utf-8",
            timeout=60,
            dimensions=(24, 400),
        )
        return cls(child, shell, before)

    @classmethod
    def no_terminal(cls, shell: str, home: Home, env: Mapping[str, str] | None = None) -> Session:
        """Interactive, hooks and all, fed through pipes with no controlling terminal (CI)."""
        child = PopenSpawn(
            ARGV[shell],
            env=home.environ({"NO_COLOR": "1", **(env or {})}),
            encoding="utf-8",
            timeout=60,
            preexec_fn=os.setsid,
        )
        return cls(child, shell)

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def wait_prompt(self) -> None:
        self.child.expect(PROMPT)
        self.key, self.segment = self.child.match.group(1), self.child.match.group(2)

    def run(self, command: str) -> tuple[int, str]:
        """Run `command`; its exit status and what it printed (stdout and stderr)."""
        status = "$status" if self.shell == "fish" else "$?"
        self.send(f"{command}; echo @@{status}@@")
        self.child.expect(r"@@(\d+)@@")
        code, output = int(self.child.match.group(1)), self.child.before
        self.wait_prompt()
        output = ANSI.sub("", output)
        # Drop the echo of the typed line (a pty echoes it; pipes do not).
        return code, output.rsplit(f"echo @@{status}@@", 1)[-1].strip("\n")

    def close(self) -> None:
        self.send("exit")
        self.child.expect(pexpect.EOF)


@pytest.fixture
def expired(home: Home) -> Home:
    """`use` will get keys that expire as they are issued; later ones last an hour."""
    home.emulator.knobs.update({"role_credentials_ttl": 0})
    return home


def last_caller_key(home: Home) -> str:
    return str(home.emulator.calls("GetCallerIdentity")[-1].params["AccessKeyId"])


@pytest.mark.parametrize("shell", SHELLS)
def test_the_command_after_expiry_gets_fresh_keys(expired: Home, shell: str) -> None:
    session = Session.terminal(shell, expired)
    code, _ = session.run(f"awsenv use {PROFILE}")
    assert code == 0
    old_key = session.key
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 renew"
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})

    code, output = session.run("awsenv whoami")
    assert code == 0, output
    assert "assumed-role/AWSReservedSSO_ReadOnly" in output
    assert session.key != old_key
    assert last_caller_key(expired) == session.key
    assert re.fullmatch(rf"aws:{PROFILE} ap-southeast-2 (59m|1h)", session.segment)
    # Fresh keys are not renewed again: one GetRoleCredentials for `use`, one for the renewal.
    session.run("true")
    assert len(expired.emulator.calls("GetRoleCredentials")) == 2

    # Keys a few minutes from expiry are renewed too, and a --region given to `use` is kept.
    expired.emulator.knobs.update({"role_credentials_ttl": 270})
    session.run(f"awsenv use {ADMIN} --region eu-west-1")
    old_key = session.key
    assert session.segment == f"aws:{ADMIN} eu-west-1 4m"
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    code, output = session.run('echo "region=$AWS_REGION"')
    assert (code, output) == (0, "region=eu-west-1")
    assert session.key != old_key
    assert re.fullmatch(rf"aws:{ADMIN} eu-west-1 (59m|1h)", session.segment)

    # With AWS_PROFILE only, the SDK renews keys itself: the segment shows the SSO session.
    session.run(f"awsenv use {PROFILE} --profile-only")
    assert re.fullmatch(rf"aws:{PROFILE} ap-southeast-2 (7h59m|8h)", session.segment)
    calls = len(expired.emulator.calls("GetRoleCredentials"))
    session.run("true")
    assert len(expired.emulator.calls("GetRoleCredentials")) == calls
    session.close()


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_a_failed_renewal_leaves_one_line_and_the_command_runs(expired: Home, shell: str) -> None:
    # The network is down for renewals: nothing listens on the SSO endpoint they use.
    session = Session.terminal(shell, expired, {"AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9"})
    session.run(f"AWS_ENDPOINT_URL_SSO={expired.emulator.url} awsenv use {PROFILE}")
    old_key = session.key
    code, output = session.run("echo the command ran")
    assert code == 0
    lines = output.splitlines()
    assert lines[-1] == "the command ran"
    assert len(lines) == 2 and lines[0].startswith("awsenv: ")
    assert "cannot reach http://127.0.0.1:9" in lines[0]
    assert session.key == old_key
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 renew"
    # Not retried at once: the next command runs without a second attempt.
    code, output = session.run("echo again")
    assert (code, output) == (0, "again")
    session.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_an_expired_session_asks_before_the_browser_opens(expired: Home, shell: str) -> None:
    session = Session.terminal(shell, expired, {"AWSENV_AUTO_LOGIN": "ask"})
    assert expired.awsenv("login", PROFILE).returncode == 0
    session.run(f"awsenv use {PROFILE}")
    old_key = session.key
    expired.emulator.expire("access_tokens")
    expired.emulator.expire("refresh_tokens")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    expired.emulator.clear_calls()

    session.send("awsenv whoami; echo @@done@@")
    session.child.expect(r"Sign in to .+ at https://\S+ now\? \[Y/n\] ")
    assert expired.emulator.calls("Authorize") == []
    assert expired.emulator.calls("StartDeviceAuthorization") == []
    session.send("y")
    session.child.expect("@@done@@")
    assert "assumed-role/AWSReservedSSO_ReadOnly" in session.child.before
    session.wait_prompt()
    creates = expired.emulator.calls("CreateToken")
    assert [c.params["grantType"] for c in creates].count("authorization_code") == 1
    assert session.key != old_key
    assert last_caller_key(expired) == session.key
    assert re.search(" (59m|1h)$", session.segment)
    session.close()


def test_a_declined_sign_in_is_not_asked_again_until_awsenv_runs(expired: Home) -> None:
    assert expired.awsenv("login", PROFILE).returncode == 0
    session = Session.terminal("bash", expired, {"AWSENV_AUTO_LOGIN": "ask"})
    session.run(f"awsenv use {PROFILE}")
    expired.emulator.expire("access_tokens")
    expired.emulator.expire("refresh_tokens")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})

    session.send("echo first; echo @@$?@@")
    session.child.expect(r"now\? \[Y/n\] ")
    session.send("n")
    session.child.expect(r"@@(\d+)@@")
    assert "awsenv: sign-in declined" in session.child.before
    assert "first" in session.child.before
    session.wait_prompt()
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 login"

    code, output = session.run("echo second")
    assert (code, output) == (0, "second")
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 login"

    # Signing in clears the state; the next command renews without asking.
    code, _ = session.run(f"awsenv login {PROFILE}")
    assert code == 0
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 renew"
    code, output = session.run("echo third")
    assert (code, output) == (0, "third")
    assert re.search(" (59m|1h)$", session.segment)
    session.close()


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_without_a_terminal_renewal_never_blocks(expired: Home, shell: str) -> None:
    """An interactive shell fed by pipes in CI: no question, no browser, the command runs."""
    assert expired.awsenv("login", PROFILE).returncode == 0
    session = Session.no_terminal(shell, expired, {"AWSENV_AUTO_LOGIN": "ask"})
    assert session.run(f"awsenv use {PROFILE}")[0] == 0
    expired.emulator.expire("access_tokens")
    expired.emulator.expire("refresh_tokens")
    expired.emulator.clear_calls()
    code, output = session.run("echo ran")
    assert code == 0
    assert output.splitlines()[-1] == "ran"
    said = [line for line in output.splitlines() if line.startswith("awsenv: ")]
    assert len(said) == 1 and "no terminal to ask before signing in" in said[0]
    assert expired.emulator.calls("Authorize") == []
    assert session.segment == f"aws:{PROFILE} ap-southeast-2 login"
    session.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_do_not_renew(expired: Home, shell: str) -> None:
    """Non-interactive shells have no prompt and run no renewal: nothing asks or blocks."""
    assert expired.awsenv("login", PROFILE).returncode == 0
    result = expired.shell(
        shell,
        f"awsenv use {PROFILE}\necho ran\n",
        env={"AWSENV_AUTO_LOGIN": "ask"},
    )
    assert (result.returncode, result.stdout) == (0, "ran\n"), result.stderr
    assert len(expired.emulator.calls("GetRoleCredentials")) == 1


def test_bash_keeps_the_last_argument_and_status(expired: Home) -> None:
    session = Session.terminal("bash", expired)
    session.run(f"awsenv use {PROFILE}")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    old_key = session.key
    _, output = session.run('mkdir -p "$HOME/made" && echo "last=$_"')
    assert output == f"last={expired.path}/made"
    assert session.key != old_key
    assert session.run("false")[0] == 1
    session.close()


def test_bash_renews_after_a_subshell_line_and_not_from_a_widget(expired: Home) -> None:
    """A `bind -x` widget, run while a line is edited, never renews. A line with no simple
    command of the shell's own (a subshell) leaves the renewal to the DEBUG trap's next run,
    before the next prompt, so the command after it has fresh keys."""
    session = Session.terminal("bash", expired, before="bind -x '\"\\C-t\": echo widget-ran'; ")
    session.run(f"awsenv use {PROFILE}")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    old_key = session.key
    session.child.send("\x14")
    session.child.expect("widget-ran")
    session.wait_prompt()  # readline draws the prompt again after a widget's output
    assert len(expired.emulator.calls("GetRoleCredentials")) == 1
    session.send("(true)")
    session.wait_prompt()
    assert session.key != old_key
    assert len(expired.emulator.calls("GetRoleCredentials")) == 2
    session.close()


def test_bash_under_extdebug_runs_commands_and_renews_once(expired: Home) -> None:
    """Under extdebug a DEBUG trap that returns non-zero would skip the command, and functions
    inherit the trap, awsenv's own included: commands run, and keys that are still due after a
    renewal wait 30 s for the next instead of renewing again from every function."""
    session = Session.terminal("bash", expired, before="shopt -s extdebug; ")
    session.run(f"awsenv use {PROFILE}")
    assert session.run("f() { echo in f; }; f") == (0, "in f")
    assert len(expired.emulator.calls("GetRoleCredentials")) == 2
    session.close()


def test_bash_with_starship_loaded_after(expired: Home, tmp_path: Path) -> None:
    """starship, loaded last as its guide asks, takes PROMPT_COMMAND over (running ours from its
    own hook) and prepends to PS0: keys are still renewed before the command, quietly."""
    config = tmp_path / "starship.toml"
    config.write_text(
        'add_newline = false\nformat = "<<K=${env_var.AWS_ACCESS_KEY_ID} S=>> "\n'
        '[env_var.AWS_ACCESS_KEY_ID]\nformat = "$env_value"\n'
    )
    session = Session.terminal("bash", expired, env={"STARSHIP_CONFIG": str(config)})
    session.send('eval "$(starship init bash)"')
    session.wait_prompt()
    session.run(f"awsenv use {PROFILE}")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    old_key = session.key
    code, output = session.run("awsenv whoami")
    assert code == 0, output
    assert "assumed-role/AWSReservedSSO_ReadOnly" in output
    assert session.key != old_key
    assert session.run('echo "$PROMPT_COMMAND"')[1] == "starship_precmd"
    assert len(expired.emulator.calls("GetRoleCredentials")) == 2
    session.close()


def test_bash_keeps_a_debug_trap_set_before(expired: Home) -> None:
    """A DEBUG trap set before the integration still runs, and sees the user's $? and $_."""
    session = Session.terminal("bash", expired, before="trap 'seen=\"$? $_\"' DEBUG; ")
    session.run(f"awsenv use {PROFILE}")
    expired.emulator.knobs.update({"role_credentials_ttl": 3600})
    old_key = session.key
    session.send("false")
    session.wait_prompt()
    _, output = session.run('echo "[$seen]"')
    assert output == "[1 false]"
    assert session.key != old_key
    session.close()


def test_bash_preexec_users_get_their_arrays(home: Home) -> None:
    """With bash-preexec loaded, the hooks join precmd_functions (first, as in PROMPT_COMMAND
    otherwise, so that prompt renderers see a profile a directory switched to) and
    preexec_functions, and the DEBUG trap and PS0 stay bash-preexec's and the user's."""
    script = (
        "set -euo pipefail\n"
        "bash_preexec_imported=defined; precmd_functions=(mine); preexec_functions=(); PS0=mine\n"
        'eval "$(awsenv init bash)"\neval "$(awsenv init bash)"\n'
        "__awsenv_prompt_hook\n"
        'printf "%s\\n" "${precmd_functions[*]}" "${preexec_functions[*]}"\n'
        'printf "%s\\n" "$PROMPT_COMMAND" "$PS0"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=home.environ({"PROMPT_COMMAND": "__bp_precmd_invoke_cmd"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["__awsenv_prompt_hook mine", "__awsenv_preexec"]
    assert "__awsenv_prompt_hook" not in lines[2]
    assert lines[3:] == ["mine"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_keys_shorter_than_the_window_are_renewed_once_expired(home: Home, shell: str) -> None:
    """8-second keys with the default 300 s window are due as soon as they are issued: the
    command right after a renewal uses them as they are, and a command after they expired gets
    fresh ones first (not 30 s after the renewal)."""
    home.emulator.knobs.update({"role_credentials_ttl": 8})
    session = Session.terminal(shell, home)
    assert session.run(f"awsenv use {PROFILE}")[0] == 0
    session.run("true")  # due at once: renewed
    renewed = session.key
    assert len(home.emulator.calls("GetRoleCredentials")) == 2
    _, expiry = session.run('echo "$AWSENV_EXPIRATION"')
    assert session.key == renewed
    assert len(home.emulator.calls("GetRoleCredentials")) == 2

    # Keys that outlive the command, so that a slow machine cannot let them lapse on the way.
    home.emulator.knobs.update({"role_credentials_ttl": 3600})
    time.sleep(max(0.0, int(expiry) + 1 - time.time()))
    code, output = session.run("awsenv whoami")
    assert code == 0, output
    assert session.key != renewed
    assert last_caller_key(home) == session.key
    assert len(home.emulator.calls("GetRoleCredentials")) == 3
    session.close()
