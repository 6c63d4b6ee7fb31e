"""Completion in the real shells: bash driven through its completion function, zsh through its
completion system in a terminal (compadd captured), fish through `complete -C`.

Profile and sso-session names are read from the config files by the shells themselves; the
scripts come from `awsenv completions SHELL`, checked in under completions/ and loaded by init.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pexpect
import pytest

from conftest import SHELLS, Home

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PROFILES = [
    "Default",
    "Company-1-ReadOnly",
    "Company-1-Administrator",
    "Company-2-ReadOnly",
    "Company-2-Administrator",
]
SESSIONS = ["default-sso", "company-1-sso", "company-2-sso"]
STRACE = ["strace", "-f", "-qq", "-e", "trace=process", "-o"]
COMMANDS = ["console", "exec", "export", "completions", "use", "login", "whoami"]


@pytest.mark.parametrize("shell", SHELLS)
def test_checked_in_scripts_are_what_the_program_generates(shell: str, home: Home) -> None:
    generated = home.awsenv("completions", shell)
    assert generated.returncode == 0, generated.stderr
    checked_in = (REPO / "completions" / f"awsenv.{shell}").read_text()
    assert generated.stdout == checked_in, (
        f"completions/awsenv.{shell} is stale; regenerate it with: "
        f"awsenv completions {shell} > completions/awsenv.{shell}"
    )


def test_generated_bash_passes_shellcheck() -> None:
    check = subprocess.run(
        ["shellcheck", "-s", "bash", str(REPO / "completions" / "awsenv.bash")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_completions_rejects_an_unknown_shell(home: Home) -> None:
    result = home.awsenv("completions", "tcsh")
    assert result.returncode != 0
    assert "unsupported shell" in result.stderr and "Traceback" not in result.stderr


# bash ------------------------------------------------------------------------------------


def bash_complete(
    home: Home, cases: Sequence[Sequence[str]], env: dict[str, str] | None = None
) -> list[list[str]]:
    """Drive bash's completion for awsenv: for each case (COMP_WORDS as bash splits the
    line, the last being the word under the cursor), the candidates offered."""
    calls = []
    for words in cases:
        quoted = " ".join(_sh(w) for w in words)
        line = _sh("".join(_joined(words)))
        calls.append(
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMP_LINE={line}; "
            "COMP_POINT=${#COMP_LINE}; COMPREPLY=(); "
            '"$func" awsenv "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; '
            "printf '%s\\n' \"${COMPREPLY[@]}\" '--'\n"
        )
    script = (
        "spec=$(complete -p awsenv)\n"
        "func=${spec#*-F }; func=${func%% *}\n"
        'echo "spec: $spec"\n' + "".join(calls)
    )
    result = home.shell("bash", script, env)
    assert result.returncode == 0, result.stderr
    out = result.stdout.split("\n")
    assert out[0] == "spec: complete -F _awsenv awsenv"
    groups: list[list[str]] = [[]]
    for line in out[1:]:
        if line == "--":
            groups.append([])
        elif line:
            groups[-1].append(line)
    return groups[: len(cases)]


def _sh(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _joined(words: Sequence[str]) -> Iterator[str]:
    """The command line bash would have split into `words`: blanks between words, none
    around the `=` and `:` it splits at."""
    for i, word in enumerate(words):
        glue = i > 0 and word not in ("=", ":") and words[i - 1] not in ("=", ":")
        yield (" " if glue else "") + word


def test_bash_completes_commands_options_and_values(home: Home) -> None:
    got = bash_complete(
        home,
        [
            ["awsenv", ""],
            ["awsenv", "ex"],
            ["awsenv", "use", "--"],
            ["awsenv", "use", "--shell", "z"],
            ["awsenv", "export", "Default", "--format", "e"],
            ["awsenv", "sso", ""],
            ["awsenv", "completions", ""],
        ],
    )
    assert set(COMMANDS) <= set(got[0])
    assert got[1] == ["exec", "export"]
    assert set(got[2]) == {"--profile", "--region", "--shell", "--profile-only", "--yes", "--help"}
    assert got[3] == ["zsh"]
    assert got[4] == ["env", "env-no-export"]
    assert got[5] == ["populate"]
    assert got[6] == ["bash", "zsh", "fish"]


def test_bash_completes_profile_and_sso_session_names(home: Home) -> None:
    got = bash_complete(
        home,
        [
            ["awsenv", "use", ""],
            ["awsenv", "use", "Company-1"],
            ["awsenv", "exec", "Comp"],
            ["awsenv", "use", "--region", "eu-west-1", "Company-2-R"],
            ["awsenv", "login", "--sso-session", "c"],
            ["awsenv", "login", "--sso-session", "=", "company-2"],
            ["awsenv", "console", "nothing-like-this"],
        ],
    )
    assert got[0] == EXAMPLE_PROFILES
    assert got[1] == ["Company-1-ReadOnly", "Company-1-Administrator"]
    assert got[2] == EXAMPLE_PROFILES[1:]
    assert got[3] == ["Company-2-ReadOnly"]
    assert got[4] == ["company-1-sso", "company-2-sso"]
    # After `=`, readline replaces only the text behind it.
    assert got[5] == ["company-2-sso"]
    assert got[6] == []


def test_bash_exec_completes_the_command_after_the_profile(home: Home) -> None:
    script = (
        "_command_offset() { COMPREPLY=(offset:$1); }\n"
        "COMP_WORDS=(awsenv exec Default -- aw); COMP_CWORD=4; COMP_LINE='awsenv exec Default "
        '-- aw\'; COMP_POINT=${#COMP_LINE}\n_awsenv awsenv aw --\necho "${COMPREPLY[@]}"\n'
        "COMP_WORDS=(awsenv exec Default aws s3); COMP_CWORD=4; COMP_LINE='awsenv exec "
        "Default aws s3'; COMP_POINT=${#COMP_LINE}\n_awsenv awsenv s3 aws\n"
        'echo "${COMPREPLY[@]}"\n'
    )
    result = home.shell("bash", script)
    assert result.stdout.split("\n")[:2] == ["offset:4", "offset:3"], result.stderr


def test_bash_honours_aws_config_file_and_the_credentials_file(home: Home) -> None:
    elsewhere = home.path / "elsewhere.ini"
    elsewhere.write_text(
        "[default]\nregion = us-east-1\n\n[profile  spaced ]\nregion = x\n\n"
        '[profile "quoted one"]\nregion = x\n\n'
        "# [profile commented]\n;[profile also-commented]\n"
        "credential_process = tool --arg [profile not-a-header]\n\n"
        "[sso-session elsewhere-sso]\nsso_start_url = https://x.awsapps.com/start\n"
    )
    credentials = home.path / "creds"
    credentials.write_text("[default]\naws_access_key_id = A\n\n[keys-only]\nx = y\n")
    env = {"AWS_CONFIG_FILE": str(elsewhere), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    got = bash_complete(
        home, [["awsenv", "use", ""], ["awsenv", "login", "--sso-session", ""]], env
    )
    assert got[0] == ["default", "spaced", "quoted\\ one", "keys-only"]
    assert got[1] == ["elsewhere-sso"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_an_edit_of_the_config_shows_at_the_next_completion(shell: str, home: Home) -> None:
    complete = {
        "bash": lambda: bash_complete(home, [["awsenv", "use", "new"]]),
        "zsh": lambda: zsh_complete(home, ["awsenv use new"]),
    }[shell]
    assert complete() == [[]]
    cache = home.path / ".cache" / "awsenv"
    assert (cache / "completion-profiles").is_file(), "the first completion caches the names"
    # The completion ran a while before the edit (file times are too coarse to tell apart
    # writes a millisecond apart).
    past = time.time() - 60
    for name in ("completion-stamp", "completion-profiles"):
        os.utime(cache / name, (past, past))
    with home.config.open("a") as f:
        f.write("\n[profile new-one]\nregion = us-east-1\n")
    assert complete() == [["new-one"]]
    # While the files are older than the cache, the names come from the cache: a config
    # rewritten behind its back (its time set back) still shows the cached names.
    home.config.write_text("[profile other]\n")
    os.utime(home.config, (past, past))
    assert complete() == [["new-one"]]


def test_a_hostile_profile_name_is_offered_quoted_and_never_runs(home: Home) -> None:
    marker = home.path / "pwned"
    names = [f"$(touch${{IFS}}{marker})", f"a;b`touch${{IFS}}{marker}`", "it's"]
    home.config.write_text("".join(f"[profile {n}]\nregion = x\n" for n in names))
    # What bash offers is what readline puts on the command line: read back as shell words,
    # each is the name itself. (`it's` is no profile for botocore: its shlex split fails.)
    script = (
        "COMP_WORDS=(awsenv use ''); COMP_CWORD=2; COMP_LINE='awsenv use '; COMP_POINT=11\n"
        "_awsenv awsenv '' use\n"
        'for word in "${COMPREPLY[@]}"; do eval "printf \'%s\\n\' $word"; done\n'
    )
    result = home.shell("bash", script)
    assert result.stdout.splitlines() == names[:2], result.stderr
    # zsh inserts its matches backslash-quoted.
    offered = zsh_complete(home, ["awsenv use "])[0]
    assert sorted(re.sub(r"\\(.)", r"\1", w) for w in offered) == sorted(names[:2])
    assert all("\\$" in w or "\\;" in w for w in offered)
    assert sorted(fish_complete(home, ["awsenv use "])[0]) == sorted(names[:2])
    assert not marker.exists()


def test_bash_profile_completion_starts_no_process(home: Home, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is needed to count processes (./dev test installs it)")
    init = home.awsenv("init", "bash").stdout
    (tmp_path / "init.bash").write_text(init)
    calls = "".join(
        f"COMP_WORDS=(awsenv use {w}); COMP_CWORD=2; COMP_LINE='awsenv use {w}'; "
        "COMP_POINT=${#COMP_LINE}; _awsenv awsenv x use\n"
        for w in ("Comp", "Company-1", "", "D")
    )
    trace = tmp_path / "trace"
    source = f"source {tmp_path / 'init.bash'}"
    subprocess.run(
        [*STRACE, str(trace), "bash", "--norc", "--noprofile", "-c", f"{source}\n{calls}"],
        env=home.environ(),
        check=True,
        timeout=60,
    )
    assert _processes_started(trace) == 0


def _processes_started(trace: Path) -> int:
    """clone/fork/vfork calls (threads aside) and execve calls beyond the shell's own."""
    started = 0
    execs = 0
    for line in trace.read_text().splitlines():
        if "execve(" in line:
            execs += 1
        elif "CLONE_THREAD" not in line and any(
            f"{call}(" in line for call in ("fork", "vfork", "clone", "clone3")
        ):
            started += 1
    return started + execs - 1


def test_bash_completion_in_a_terminal(home: Home) -> None:
    """A real TAB in an interactive bash: readline inserts the unique completion."""
    bash = _spawn(home, ["bash", "--norc", "--noprofile", "-i"])
    bash.sendline('PS1="$ "; eval "$(awsenv init bash)"; echo READY')
    bash.expect("READY")
    bash.send("awsenv use Company-2-Adm\t")
    # Back to the start of the line, to echo what readline made of it instead of running it.
    bash.send("\x01echo \r")
    bash.expect("\r\nawsenv use Company-2-Administrator\r\n")
    bash.sendline("exit")
    bash.expect(pexpect.EOF)


# zsh -------------------------------------------------------------------------------------

ZSH_SETUP = r"""PS1='%% '
autoload -Uz compinit && compinit -u -D
{init}
compadd() {{
    if [[ ${{@[1,(i)(-|--)]}} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
    local -a __hits
    builtin compadd -A __hits "$@"
    (( $#__hits )) && print -rl -- $__hits >>$CAPTURE
    builtin compadd "$@"
}}
__capture_done() {{ print -r -- '<<done>>' >>$CAPTURE }}
unsetopt AUTO_LIST AUTO_MENU BEEP
print READY
"""


def zsh_complete(
    home: Home, lines: Sequence[str], env: dict[str, str] | None = None, *, late: bool = False
) -> list[list[str]]:
    """TAB after each line in an interactive zsh whose completion system is loaded; the
    matches compadd was given (after its own prefix matching). `late`: the integration is
    loaded before compinit, as in many .zshrc files."""
    capture = home.path / "zsh-capture"
    init = 'eval "$(awsenv init zsh)"'
    setup = ZSH_SETUP.format(init="" if late else init)
    if late:
        setup = f"{init}\n{setup}"
    # One file, as a .zshrc is read before the first prompt.
    rc = home.path / "zshrc-test"
    rc.write_text(setup)
    zsh = _spawn(home, ["zsh", "-f", "-i"], {**(env or {}), "CAPTURE": str(capture)})
    zsh.send(f"source {rc}\r")
    zsh.expect("READY")
    found = []
    for line in lines:
        capture.write_text("")
        # zsh empties comppostfuncs once it has called them.
        zsh.send("comppostfuncs=(__capture_done)\r")
        zsh.send(line + "\t")
        deadline = time.monotonic() + 20
        while "<<done>>" not in capture.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        text = capture.read_text()
        assert "<<done>>" in text, f"no completion ran for {line!r}"
        found.append([w for w in text.splitlines() if w != "<<done>>"])
        zsh.send("\x15")
    zsh.sendline("exit")
    zsh.expect(pexpect.EOF)
    return found


def test_zsh_completes_through_its_completion_system(home: Home) -> None:
    got = zsh_complete(
        home,
        [
            "awsenv ",
            "awsenv use ",
            "awsenv use Company-1",
            "awsenv use --",
            "awsenv use --shell ",
            "awsenv login --sso-session ",
            "awsenv logout --sso-session=company-1",
            "awsenv sso populate --sso-session c",
            "awsenv export --format p",
            "awsenv exec Default -- ",
        ],
    )
    assert set(COMMANDS) <= set(got[0])
    assert got[1] == EXAMPLE_PROFILES
    assert got[2] == ["Company-1-ReadOnly", "Company-1-Administrator"]
    assert {"--region", "--shell", "--profile-only", "--help"} <= set(got[3])
    assert got[4] == ["bash", "zsh", "fish"]
    assert got[5] == SESSIONS
    assert got[6] == ["company-1-sso"]
    assert got[7] == ["company-1-sso", "company-2-sso"]
    assert got[8] == ["powershell", "process"]
    # The command to run completes like a command line of its own: command names.
    assert {"bash", "ls"} <= set(got[9])


def test_zsh_registers_even_when_compinit_runs_after_init(home: Home) -> None:
    got = zsh_complete(home, ["awsenv use Company-2"], late=True)
    assert got == [["Company-2-ReadOnly", "Company-2-Administrator"]]


def test_zsh_honours_aws_config_file(home: Home) -> None:
    elsewhere = home.path / "other-config"
    elsewhere.write_text(
        "[profile from-elsewhere]\nregion = x\n#[profile commented]\n"
        '[profile "two words"]\nregion = y\n[sso-session other-sso]\nsso_region = x\n'
    )
    got = zsh_complete(
        home, ["awsenv use ", "awsenv login --sso-session "], {"AWS_CONFIG_FILE": str(elsewhere)}
    )
    assert got == [["from-elsewhere", "two\\ words"], ["other-sso"]]


# fish ------------------------------------------------------------------------------------


def fish_complete(
    home: Home, lines: Sequence[str], env: dict[str, str] | None = None
) -> list[list[str]]:
    """`complete -C LINE` in fish with the integration loaded: the candidates offered."""
    script = "".join(
        f"complete -C {_fish_quote(line)} | string replace -r '\\t.*' ''\nprintf '%s\\n' --\n"
        for line in lines
    )
    result = home.shell("fish", script, env)
    assert result.returncode == 0, result.stderr
    groups: list[list[str]] = [[]]
    for line in result.stdout.split("\n"):
        if line == "--":
            groups.append([])
        elif line:
            groups[-1].append(line)
    return groups[: len(lines)]


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_completes_commands_options_and_names(home: Home) -> None:
    got = fish_complete(
        home,
        [
            "awsenv ",
            "awsenv use Comp",
            "awsenv use --",
            "awsenv use --shell ",
            "awsenv login --sso-session ",
            "awsenv login --sso-session=company-2",
            "awsenv sso ",
            "awsenv exec Default -- ",
            "awsenv exec Default -- git",
            "awsenv export Default --format e",
        ],
    )
    assert set(COMMANDS) <= set(got[0])
    assert got[1] == sorted(EXAMPLE_PROFILES[1:])
    assert {"--region", "--shell", "--profile-only", "--help"} <= set(got[2])
    assert got[3] == ["bash", "fish", "zsh"]
    assert got[4] == sorted(SESSIONS)
    assert got[5] == ["--sso-session=company-2-sso"]
    assert got[6] == ["populate"]
    # After the profile, the command to run: no profile names, no awsenv options.
    assert "ls" in got[7] and "Default" not in got[7] and "--region" not in got[7]
    assert got[8] and all(c.startswith("git") for c in got[8])
    assert got[9] == ["env", "env-no-export"]


def test_fish_honours_aws_config_file(home: Home) -> None:
    elsewhere = home.path / "other-config"
    elsewhere.write_text("[profile fish-one]\n# [profile commented]\n[default]\n")
    got = fish_complete(home, ["awsenv use "], {"AWS_CONFIG_FILE": str(elsewhere)})
    assert got == [["default", "fish-one"]]


def test_fish_profile_completion_starts_no_process(home: Home, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is needed to count processes (./dev test installs it)")
    init = home.awsenv("init", "fish").stdout
    (tmp_path / "init.fish").write_text(init)
    script = f"source {tmp_path / 'init.fish'}\n" + "complete -C 'awsenv use Comp' >/dev/null\n" * 4
    trace = tmp_path / "trace"
    subprocess.run(
        [*STRACE, str(trace), "fish", "--no-config", "-c", script],
        env=home.environ(),
        check=True,
        timeout=60,
    )
    baseline = tmp_path / "baseline"
    subprocess.run(
        [*STRACE, str(baseline), "fish", "--no-config", "-c", f"source {tmp_path / 'init.fish'}"],
        env=home.environ(),
        check=True,
        timeout=60,
    )
    assert _processes_started(trace) == _processes_started(baseline)


# helpers ---------------------------------------------------------------------------------


def _spawn(home: Home, argv: list[str], env: dict[str, str] | None = None) -> pexpect.spawn:
    environ = {**home.environ(env), "TERM": "dumb"}
    child = pexpect.spawn(
        argv[0], argv[1:], env=environ, encoding="utf-8", timeout=30, dimensions=(40, 200)
    )
    return child


def test_the_init_script_loads_the_completion_on_first_use(home: Home) -> None:
    """init registers the completion; the script itself is read the first time awsenv is
    completed (the tests above complete through what init loaded)."""
    for shell in SHELLS:
        init = home.awsenv("init", shell)
        assert init.returncode == 0
        script = (REPO / "completions" / f"awsenv.{shell}").read_text()
        assert script.startswith("# awsenv completion for") and script[:200] not in init.stdout
        assert f"/completion/awsenv.{shell}'" in init.stdout
    assert (home.path / ".cache" / "awsenv").is_dir(), "init makes the names cache directory"
    assert os.stat(home.path / ".cache" / "awsenv").st_mode & 0o077 == 0
