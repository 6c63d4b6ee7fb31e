"""`awsenv use` with no profile: the picker, driven in a real terminal (pexpect), in bash, zsh
and fish; `awsenv use -`; the most-recently-used file."""

from __future__ import annotations

import json
import shutil

import pexpect
import pytest

from awsenv import picker
from conftest import SHELLS, Home

PROMPTS = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "-f", "-i"],
    "fish": ["fish", "--no-config", "-i"],
}
SETUP = {
    "bash": 'PS1="$ "; eval "$(awsenv init bash)"; echo READY\r',
    "zsh": 'PS1="$ "; eval "$(awsenv init zsh)"; echo READY\r',
    "fish": "function fish_prompt; echo '$ '; end; awsenv init fish | source; echo READY\r",
}
SHOW = {
    "bash": 'echo "profile=${AWS_PROFILE-none}"\r',
    "zsh": 'echo "profile=${AWS_PROFILE-none}"\r',
    "fish": 'echo "profile="(set -q AWS_PROFILE; and echo $AWS_PROFILE; or echo none)\r',
}


def terminal(home: Home, shell: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    environ = {"AWSENV_PICKER": "builtin", **home.environ(env), "TERM": "xterm"}
    child = pexpect.spawn(
        PROMPTS[shell][0],
        PROMPTS[shell][1:],
        env=environ,
        encoding="utf-8",
        timeout=60,
        dimensions=(30, 120),
    )
    child.send(SETUP[shell])
    child.expect("READY")
    return child


def current(child: pexpect.spawn, shell: str) -> str:
    child.send(SHOW[shell])
    child.expect(r"profile=([A-Za-z0-9_-]+)\r?\n")
    return str(child.match.group(1))


@pytest.mark.parametrize("shell", SHELLS)
def test_the_picker_filters_as_you_type_and_switches(shell: str, home: Home) -> None:
    child = terminal(home, shell)
    child.send("awsenv use\r")
    child.expect("profile> ")
    child.expect("Company-2-Administrator")  # every profile is listed at first
    child.send("c1adm")
    child.expect(r"1/5")  # one of five matches
    child.send("\r")
    assert current(child, shell) == "Company-1-Administrator"
    child.sendeof() if shell != "fish" else child.send("exit\r")


def test_the_most_recent_profile_comes_first_and_esc_changes_nothing(home: Home) -> None:
    shell = "zsh"
    child = terminal(home, shell)
    child.send("awsenv use Company-2-ReadOnly\r")
    child.send("awsenv use Default\r")
    assert current(child, shell) == "Default"
    child.send("awsenv use\r")
    child.expect("profile> ")
    child.send("\x1b")  # Esc: nothing chosen, nothing changed
    child.expect("no profile chosen")
    assert current(child, shell) == "Default"
    child.send("awsenv use\r")
    child.expect("profile> ")
    child.send("\x1b[B")  # one down: the second most recent
    child.send("\r")
    assert current(child, shell) == "Company-2-ReadOnly"
    recent = json.loads((home.path / ".local" / "share" / "awsenv" / "recent.json").read_text())
    assert recent["profiles"][:2] == ["Company-2-ReadOnly", "Default"]


@pytest.mark.parametrize("shell", SHELLS)
def test_use_dash_returns_to_the_previous_profile(shell: str, home: Home) -> None:
    show = {
        "fish": 'printf "%s\\n" "now=$AWS_PROFILE"\n',
        "bash": 'printf "%s\\n" "now=${AWS_PROFILE-none}"\n',
        "zsh": 'printf "%s\\n" "now=${AWS_PROFILE-none}"\n',
    }[shell]
    # Static keys: no sign-in needed for what this is about.
    (home.path / ".aws" / "credentials").write_text(
        "[one]\naws_access_key_id = AKIAONE\naws_secret_access_key = s\n"
        "[two]\naws_access_key_id = AKIATWO\naws_secret_access_key = s\n"
    )
    script = (
        "awsenv use one\nawsenv use two\n"
        f"awsenv use -\n{show}awsenv use -\n{show}awsenv unset\n{show}awsenv use -\n{show}"
    )
    result = home.shell(shell, script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "now=one",
        "now=two",
        "now=" if shell == "fish" else "now=none",
        "now=two",
    ]


def test_use_dash_with_no_previous_profile_is_a_clear_error(home: Home) -> None:
    result = home.shell("bash", "awsenv use -\n")
    assert result.returncode == 2
    assert "used no other profile" in result.stderr and "Traceback" not in result.stderr


def test_without_a_terminal_the_picker_asks_for_a_name(home: Home) -> None:
    result = home.shell("bash", "awsenv use\n")
    assert result.returncode == 2
    assert "no terminal" in result.stderr and "Traceback" not in result.stderr


def test_matching_ranks_word_starts_and_keeps_recent_order() -> None:
    found = [
        picker.Entry("Company-2-Administrator", "333344445555", "Administrator", "valid 1h"),
        picker.Entry("Company-1-Administrator", "222233334444", "Administrator", "valid 1h"),
        picker.Entry("Company-1-ReadOnly", "222233334444", "ReadOnly", "valid 1h"),
        picker.Entry("sandbox", "444455556666", "arn:aws:iam::1:role/x", "assume-role"),
    ]
    assert picker.matching(found, "c1adm")[0].name == "Company-1-Administrator"
    assert [e.name for e in picker.matching(found, "")] == [e.name for e in found]
    # A run at the start of the account beats the same run in the middle of another.
    assert picker.matching(found, "3333")[0].name == "Company-2-Administrator"
    assert picker.matching(found, "zzz") == []
    assert picker.score("ro", "Company-1-ReadOnly") is not None


def start_fzf(child: pexpect.spawn) -> None:
    """`awsenv use` with fzf as the picker: fzf asks the terminal where the cursor is (for
    --height), and the terminal here is pexpect, which must answer."""
    child.send("awsenv use\r")
    while child.expect(["\x1b\\[6n", "profile>"]) == 0:  # fzf colours the space apart
        child.send("\x1b[5;1R")


@pytest.mark.skipif(shutil.which("fzf") is None, reason="fzf is not installed here")
def test_fzf_picks_when_installed(home: Home) -> None:
    child = terminal(home, "bash", {"AWSENV_PICKER": "fzf"})
    start_fzf(child)
    child.send("c2ro")
    child.expect("Company-2-ReadOnly")
    child.send("\r")
    assert current(child, "bash") == "Company-2-ReadOnly"


@pytest.mark.skipif(shutil.which("fzf") is None, reason="fzf is not installed here")
@pytest.mark.parametrize(
    "options",
    ["--print-query", "--expect=ctrl-x --multi", "--read0 --print0", "--header-lines=3 --nth=3"],
)
def test_fzf_options_of_the_user_do_not_change_the_answer(home: Home, options: str) -> None:
    """FZF_DEFAULT_OPTS keeps its look, but not options that change what fzf prints or reads."""
    child = terminal(home, "bash", {"AWSENV_PICKER": "fzf", "FZF_DEFAULT_OPTS": options})
    start_fzf(child)
    child.send("c2ro")
    child.expect("Company-2-ReadOnly")
    child.send("\r")
    assert current(child, "bash") == "Company-2-ReadOnly"


@pytest.mark.skipif(shutil.which("fzf") is None, reason="fzf is not installed here")
def test_an_fzf_that_refuses_its_options_says_how_to_go_on(home: Home) -> None:
    child = terminal(home, "bash", {"AWSENV_PICKER": "fzf", "FZF_DEFAULT_OPTS": "--no-such"})
    child.send("awsenv use\r")
    child.expect("an older fzf may lack an option awsenv passes")
    child.expect("AWSENV_PICKER=builtin")
    assert current(child, "bash") == "none"
