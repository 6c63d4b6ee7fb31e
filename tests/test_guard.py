"""Production marks and their guardrails, with the real program, shells and emulator.

A mark comes from `awsenv_env` in a profile's section or from the account patterns of
config.toml; `prod` is guarded: `use`, `exec` and `console` ask on the terminal (a pty here),
refuse with exit code 2 without one, and go ahead with --yes. The shells show the mark in the
prompt, keep the keys out of an idle shell, and start no process per prompt or cd for it.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pexpect
import pytest
from test_dirs import init_files, pinned, run  # noqa: F401 (init_files is a fixture)
from test_prompt import TRACE, process_creations, traced_prompts

from awsenv.emulator.federation import endpoint
from conftest import SHELLS, Home

PROD = "Company-1-ReadOnly"
STAGING = "Company-2-ReadOnly"
READY = "READY> "


def mark(home: Home, profile: str, env: str) -> None:
    text = home.config.read_text()
    header = f"[profile {profile}]\n"
    home.config.write_text(text.replace(header, f"{header}awsenv_env = {env}\n"))


def settings(home: Home, text: str) -> None:
    path = home.path / ".config" / "awsenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def marked(home: Home) -> Home:
    mark(home, PROD, "prod")
    return home


def no_tty(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The program without a controlling terminal, as in CI or cron (named shell: no detection
    from the processes above, which a test runner may not have)."""
    return home.awsenv(*args, env={"AWSENV_SHELL": "bash", **(env or {})}, start_new_session=True)


# --- without a terminal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("use", PROD),
        ("exec", PROD, "--", "true"),
        ("console", PROD, "--url-only"),
    ],
)
def test_no_terminal_refuses_with_exit_2(marked: Home, args: tuple[str, ...]) -> None:
    result = no_tty(marked, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"awsenv: {PROD} is marked prod: confirm on a terminal, or pass --yes\n"
    )
    assert marked.emulator.calls("CreateToken") == []


def test_yes_goes_ahead_without_a_terminal(marked: Home) -> None:
    used = no_tty(marked, "use", PROD, "--yes")
    assert used.returncode == 0, used.stderr
    assert "export AWSENV_ENV='prod';" in used.stdout
    assert "AWS_ACCESS_KEY_ID=" in used.stdout
    fast = no_tty(marked, "use", "-y", PROD)  # the typer-free path takes -y too
    assert fast.returncode == 0, fast.stderr
    ran = no_tty(marked, "exec", "--yes", PROD, "--", "sh", "-c", 'echo "$AWS_PROFILE $AWSENV_ENV"')
    assert (ran.returncode, ran.stdout) == (0, f"{PROD} prod\n"), ran.stderr
    federation = {"AWSENV_FEDERATION_ENDPOINT": endpoint(marked.emulator.url)}
    url = no_tty(marked, "console", PROD, "--url-only", "--yes", env=federation)
    assert url.returncode == 0, url.stderr
    assert "SigninToken=" in url.stdout


def test_unmarked_and_already_used_profiles_are_not_asked(marked: Home) -> None:
    assert no_tty(marked, "use", STAGING).returncode == 0
    # A shell already on the profile (a renewal, exec from it) is not asked again.
    again = no_tty(marked, "use", PROD, env={"AWSENV_PROFILE": PROD})
    assert again.returncode == 0, again.stderr


def test_marks_from_account_patterns_and_a_wider_guard(home: Home) -> None:
    settings(
        home,
        'guarded = ["prod", "live"]\n'
        '[marks.live]\naccounts = ["3333*"]\n'
        '[marks.prod]\naccounts = ["333344445555", "2222*"]\n',
    )
    mark(home, "Company-1-Administrator", "sandbox")
    result = no_tty(home, "use", "Company-2-Administrator")
    assert result.returncode == 2
    assert "Company-2-Administrator is marked live" in result.stderr
    assert no_tty(home, "use", "Company-1-Administrator").returncode == 0


def test_list_shows_marks_and_json_carries_them(marked: Home) -> None:
    settings(marked, '[marks.staging]\naccounts = ["333344445555"]\n')
    table = marked.awsenv("list").stdout.splitlines()
    assert table[0].split() == ["PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SESSION", "ENV"]
    envs = {line.split()[0]: line.split()[-1] for line in table[1:]}
    assert envs == {
        "Default": "-",
        PROD: "prod",
        "Company-1-Administrator": "-",
        STAGING: "staging",
        "Company-2-Administrator": "staging",
    }
    rows = {r["name"]: r["env"] for r in json.loads(marked.awsenv("list", "--json").stdout)}
    assert rows == {k: (None if v == "-" else v) for k, v in envs.items()}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[marks]\nprod = 3\n", "[marks.prod]"),
        ('[marks."bad name"]\naccounts = []\n', "[marks.bad name]"),
        ("[marks.prod]\naccounts = 1\n", "marks.prod.accounts"),
        ("guarded = 'prod'\n", "guarded in"),
        ("idle_drop_minutes = -1\n", "expected a number of minutes"),
        ("idle_drop_minutes = 'soon'\n", "expected a number of minutes"),
    ],
)
def test_bad_settings_are_one_line(marked: Home, toml: str, message: str) -> None:
    settings(marked, toml)
    result = no_tty(marked, "use", PROD, "--yes")
    assert result.returncode == 3
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


# --- on a terminal, in each shell --------------------------------------------------------------

ARGV = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "--no-rcs", "-i"],
    "fish": ["fish", "--no-config", "-i"],
}


class Session:
    """An interactive shell on a pty with awsenv loaded; `show` prints a variable."""

    def __init__(self, home: Home, shell: str, env: dict[str, str], cwd: Path) -> None:
        self.shell = shell
        self.n = 0
        environ = home.environ({"TERM": "dumb", "PS1": READY, **env})
        self.child = pexpect.spawn(
            ARGV[shell][0],
            ARGV[shell][1:],
            env=environ,
            cwd=str(cwd),
            encoding="utf-8",
            timeout=60,
        )
        if shell == "fish":
            self.child.sendline(
                f"function fish_prompt; echo -n '{READY}'; end; awsenv init fish | source"
            )
        else:
            self.child.sendline(f'PS1="{READY}"; eval "$(awsenv init {shell})"')
        self.sync()

    def sync(self) -> None:
        self.n += 1
        self.child.sendline(f"printf '%s-%s\\n' SYNC {self.n}")
        self.child.expect_exact(f"SYNC-{self.n}\r\n")

    def show(self, name: str) -> str:
        self.n += 1
        self.child.sendline(f"printf '%s<%s>\\n' V{self.n} \"${name}\"")
        self.child.expect(rf"V{self.n}<([^>\r\n]*)>\r\n")
        return str(self.child.match.group(1))

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.expect(pexpect.EOF)


QUESTION = rf"{PROD} is marked prod, account 222233334444\. To switch, type (.*): "


@pytest.mark.parametrize("shell", SHELLS)
def test_the_question_on_a_terminal(marked: Home, shell: str) -> None:
    repo = marked.path / "repo"
    pinned(repo, f"{PROD}\n", marked)
    s = Session(marked, shell, {}, marked.path)
    s.child.sendline(f"awsenv use {PROD}")
    s.child.expect(QUESTION)
    assert s.child.match.group(1) == "the profile name"
    s.child.sendline("y")  # a key press is not deliberate enough
    s.child.expect("not switched to Company-1-ReadOnly: the answer did not match")
    s.sync()
    assert s.show("AWSENV_PROFILE") == ""
    s.child.sendline(f"awsenv use {PROD}")
    s.child.expect(QUESTION)
    s.child.sendline(PROD)
    s.sync()
    assert s.show("AWSENV_PROFILE") == PROD
    assert s.show("AWSENV_ENV") == "prod"
    s.child.sendline("awsenv unset")
    s.sync()
    # A directory asks the same question (dir_guard = ask, the default) before it switches.
    s.child.sendline(f"cd {repo}")
    s.child.expect(QUESTION)
    s.child.sendline(PROD)
    s.sync()
    assert s.show("AWSENV_PROFILE") == PROD
    s.child.sendline("cd ..")
    s.sync()
    assert s.show("AWSENV_PROFILE") == ""
    s.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_answer_can_be_the_account(marked: Home, shell: str) -> None:
    s = Session(marked, shell, {"AWSENV_GUARD_CONFIRM": "account"}, marked.path)
    s.child.sendline(f"awsenv exec {PROD} -- printenv AWSENV_ENV")
    s.child.expect(QUESTION)
    assert s.child.match.group(1) == "its account id (222233334444)"
    s.child.sendline("222233334444")
    s.child.expect("\r\nprod\r\n")
    s.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_idle_shell_drops_production_keys(marked: Home, shell: str) -> None:
    s = Session(marked, shell, {"AWSENV_IDLE_DROP_MINUTES": "0.1"}, marked.path)
    s.child.sendline(f"awsenv use --yes {PROD}")
    s.sync()
    assert s.show("AWSENV_IDLE_DROP") == "6"
    assert s.show("AWS_ACCESS_KEY_ID") != ""  # a command soon after: the keys stay
    time.sleep(7)
    s.child.sendline("printf '%s<%s>\\n' IDLE \"$AWS_ACCESS_KEY_ID\"")
    s.child.expect(
        f"awsenv: dropped the keys of {PROD} after 1 min without a command "
        rf"\(awsenv use {PROD}\)"
    )
    s.child.expect(r"IDLE<>\r\n")
    assert s.show("AWSENV_PROFILE") == ""
    s.close()


# --- a .awsenv without a terminal, and no process per prompt or cd ----------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_directory_only_shows_a_production_profile_without_a_terminal(
    marked: Home,
    init_files: dict[str, Path],  # noqa: F811 (the fixture of test_dirs)
    shell: str,
) -> None:
    path = pinned(marked.path / "repo", f"{PROD}\n", marked)
    result = run(marked, init_files, shell, 'cd "$HOME/repo"\nstate in\n')
    assert result.returncode == 0, result.stderr
    assert result.states["in"]["profile"] == ""
    assert result.messages == [
        f"awsenv: {path}: {PROD} is marked prod; not switched (switch: awsenv use {PROD})"
    ]
    # dir_guard = show: the same, even where a question could be asked.
    settings(marked, 'dir_guard = "show"\n')
    again = run(marked, init_files, shell, 'cd "$HOME/repo"\nstate in\n')
    assert again.messages == result.messages


PROMPTS = 200


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_prompts_with_a_production_profile_start_no_process(
    marked: Home, shell: str, tmp_path: Path
) -> None:
    """The mark in the segment and the idle deadline kept at each prompt: builtins only."""
    trace = tmp_path / "trace"
    setup = {
        "bash": "eval \"$(awsenv init bash --prompt left)\"\nPS1='${AWSENV_PROMPT} $ '\n",
        "zsh": 'eval "$(awsenv init zsh --prompt left)"\n',
    }[shell]
    script = (
        f"set -euo pipefail\n{setup}awsenv use --yes {PROD}\n"
        'test "$AWSENV_IDLE_DROP" = 600\n'
        "echo AWSENV-START\n" + ":\n" * PROMPTS + "echo AWSENV-END\nexit\n"
    )
    env = marked.environ({"AWSENV_IDLE_DROP_MINUTES": "10"})
    result = traced_prompts(trace, ARGV[shell], script, env)
    assert result.returncode == 0, result.stderr
    created, prompts = process_creations(trace)
    assert prompts >= PROMPTS
    assert created == 0
    shown = [line for line in trace.read_text().splitlines() if "aws:Company-1-ReadOnly" in line]
    assert all("1;97;41m" in line and "prod" in line for line in shown)


def test_prompts_with_a_production_profile_start_no_process_fish(
    marked: Home, tmp_path: Path
) -> None:
    trace = tmp_path / "trace"
    child = pexpect.spawn(
        "strace",
        ["-f", "-s", "200", "-o", str(trace), "-e", f"trace={TRACE}", *ARGV["fish"]],
        env=marked.environ({"TERM": "xterm", "AWSENV_IDLE_DROP_MINUTES": "10"}),
        encoding="utf-8",
        timeout=120,
    )
    child.sendline("function fish_prompt; printf '%s> ' $AWSENV_PROMPT; end")
    child.sendline(f"awsenv init fish | source; awsenv use -y {PROD}; echo AWSENV-READY")
    child.expect("AWSENV-READY\r\n")
    child.sendline("echo AWSENV-START")
    child.expect("AWSENV-START\r\n")
    child.send("true\n" * PROMPTS + "echo AWSENV-END; exit\n")
    child.expect(pexpect.EOF)
    created, prompts = process_creations(trace)
    assert prompts >= PROMPTS
    assert created == 0
