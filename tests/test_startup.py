"""A new shell and awsenv: the rc line of `awsenv init SHELL --cached` loads the integration
awsenv saved, starting no process, and falls back to `eval "$(awsenv init SHELL --save)"`
whenever the saved file is missing, stale or not to be trusted.

Each shell starts interactively with its real rc file in the throwaway HOME (bash ~/.bashrc,
zsh $ZDOTDIR/.zshrc, fish ~/.config/fish/config.fish), bash and zsh under `set -euo pipefail`.
strace counts the processes they create from their start to their first prompt.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest

from conftest import AWSENV, SHELLS, Home

# After the loader: say whether the integration is there, with builtins only.
LOADED = {
    "bash": 'declare -F awsenv >/dev/null && echo AWSENV-LOADED "$__awsenv_exe"\n',
    "zsh": '(( $+functions[awsenv] )) && echo AWSENV-LOADED "$__awsenv_exe"\n',
    "fish": 'functions -q awsenv; and echo AWSENV-LOADED "$__awsenv_exe"\n',
}
STRICT = {"bash": "set -euo pipefail\n", "zsh": "set -euo pipefail\n", "fish": ""}
# fish: a prompt that runs nothing, no greeting.
FISH_PROMPT = "set -g fish_greeting\nfunction fish_prompt; printf 'AWSENV-PROMPT> '; end\n"


def rc_file(home: Home, shell: str) -> Path:
    return {
        "bash": home.path / ".bashrc",
        "zsh": home.path / ".zshrc",
        "fish": home.path / ".config" / "fish" / "config.fish",
    }[shell]


def saved(home: Home, shell: str, prompt: str | None = None) -> Path:
    return home.path / ".cache" / "awsenv" / f"init{'-prompt-' + prompt if prompt else ''}.{shell}"


def write_rc(home: Home, shell: str, *, prompt: str | None = None) -> None:
    if shell == "fish" and not rc_file(home, shell).exists():
        # fish sets up its own directories on its first start: not ours to count.
        rc_file(home, shell).parent.mkdir(parents=True)
        rc_file(home, shell).write_text(FISH_PROMPT)
        start(home, shell, home.path, trace=False)
    args = ["init", shell, "--cached", *(["--prompt", prompt] if prompt else [])]
    line = home.awsenv(*args)
    assert line.returncode == 0, line.stderr
    path = rc_file(home, shell)
    before = STRICT[shell] + (FISH_PROMPT if shell == "fish" else "")
    path.write_text(before + line.stdout + LOADED[shell])


def environ(home: Home, path: str | None = None) -> dict[str, str]:
    env = home.environ({"ZDOTDIR": str(home.path), "TERM": "xterm"})
    if path is not None:
        env["PATH"] = path
    return env


def created(trace: Path) -> list[str]:
    """The processes a traced shell created, its own start aside."""
    lines = trace.read_text(errors="replace").splitlines()
    made = [
        line
        for line in lines
        if re.search(r"\b(execve|fork|vfork|clone3?)\(", line)
        and "CLONE_THREAD" not in line
        and "resumed>" not in line
    ]
    return made[1:]


def start(
    home: Home, shell: str, tmp: Path, *, path: str | None = None, trace: bool = True
) -> tuple[str, list[str]]:
    """Start an interactive shell up to its first prompt, then exit: what it printed, and the
    processes it created."""
    out = tmp / f"trace-{shell}-{time.monotonic_ns()}"
    strace = ["strace", "-f", "-qq", "-o", str(out), "-e", "trace=execve,clone,clone3,fork,vfork"]
    prefix = strace if trace else []
    if shell == "fish":
        # fish shows its prompt only on a terminal.
        child = pexpect.spawn(
            prefix[0] if trace else "fish",
            [*prefix[1:], "fish", "-i"] if trace else ["-i"],
            env=environ(home, path),
            cwd=str(tmp),
            encoding="utf-8",
            timeout=60,
        )
        child.expect("AWSENV-PROMPT> ")
        printed = child.before
        child.sendline("exit")
        child.expect(pexpect.EOF)
        child.close()
    else:
        argv = {"bash": ["bash", "-i"], "zsh": ["zsh", "-i"]}[shell]
        result = subprocess.run(
            [*prefix, *argv],
            input="exit\n",
            env=environ(home, path),
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
        )
        assert result.returncode == 0, result.stderr
        assert "awsenv:" not in result.stderr, result.stderr
        printed = result.stdout
    return printed, created(out) if trace else []


def loaded_exe(printed: str) -> str:
    match = re.search(r"AWSENV-LOADED (\S+)", printed)
    assert match is not None, printed
    return match.group(1)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_recommended_line_starts_no_process_once_saved(
    home: Home, shell: str, tmp_path: Path
) -> None:
    write_rc(home, shell)
    printed, processes = start(home, shell, tmp_path)
    assert loaded_exe(printed) == AWSENV
    assert processes, "the first start runs `awsenv init --save`"
    info = os.stat(saved(home, shell))
    assert stat.S_IMODE(info.st_mode) == 0o4600
    assert stat.S_IMODE(os.stat(saved(home, shell).parent).st_mode) == 0o700
    printed, processes = start(home, shell, tmp_path)
    assert loaded_exe(printed) == AWSENV
    assert processes == []


@pytest.mark.parametrize(("shell", "prompt"), [(s, p) for s in SHELLS for p in (None, "left")])
def test_the_saved_file_loads_what_the_plain_eval_loads(
    home: Home, shell: str, prompt: str | None
) -> None:
    """Every function, awsenv variable, hook and completion registration the same."""
    options = ["--prompt", prompt] if prompt else []
    plain = {
        "bash": f'eval "$(awsenv init bash {" ".join(options)})"\n',
        "zsh": f'eval "$(awsenv init zsh {" ".join(options)})"\n',
        "fish": f"awsenv init fish {' '.join(options)} | source\n",
    }[shell]
    cached = home.awsenv("init", shell, *options, "--cached").stdout
    dump = {
        "bash": "declare -f; for v in $(compgen -v __awsenv) $(compgen -v AWSENV); do "
        '[[ $v == __awsenv_init ]] || declare -p "$v"; done; complete -p awsenv; '
        'echo "${PROMPT_COMMAND-}"; echo "${PS1-}"; trap -p DEBUG\n',
        "zsh": "typeset -f; for v in ${(k)parameters[(I)(__awsenv|AWSENV)*]}; do "
        '[[ $v == __awsenv_init ]] || typeset -p "$v"; done; '
        "print -l -- $precmd_functions $preexec_functions $chpwd_functions; "
        'print -r -- "${PROMPT-}" "${RPROMPT-}"; setopt\n',
        "fish": "for f in (functions -a -n); functions $f | string match -v '# Defined *'; end; "
        "set -n | string match -r '^(__awsenv|AWSENV).*' | string match -v __awsenv_init "
        "| while read v; set -S $v; end; "
        "echo $fish_complete_path; complete -c awsenv\n",
    }[shell]
    argv = {
        "bash": ["bash", "--norc", "--noprofile", "-c"],
        "zsh": ["zsh", "--no-rcs", "-c"],
        "fish": ["fish", "--no-config", "-c"],
    }[shell]
    states = []
    for load in (plain, cached, cached):  # the second `cached` sources the saved file
        result = subprocess.run(
            [*argv, STRICT[shell] + load + dump],
            env=home.environ(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        states.append(result.stdout)
    assert saved(home, shell, prompt).is_file()
    assert "awsenv" in states[0]
    assert states[1] == states[0]
    assert states[2] == states[0]


def _link_awsenv(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "awsenv"
    link.symlink_to(AWSENV)
    return link


def _age(path: Path, seconds: int = 60) -> None:
    """Date `path` back, so that what replaces it next is newer even on a coarse clock."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("shell", SHELLS)
def test_a_newer_executable_is_loaded_by_the_next_shell(
    home: Home, shell: str, tmp_path: Path
) -> None:
    """An upgrade rewrites the program: the next shell evaluates the new one's integration and
    saves it, and the shell after that loads it from the file again."""
    link = _link_awsenv(tmp_path / "bin")
    path = f"{link.parent}:{home.env['PATH']}"
    write_rc(home, shell)
    assert loaded_exe(start(home, shell, tmp_path, path=path, trace=False)[0]) == str(link)
    _age(saved(home, shell))
    link.unlink()
    newer = {
        "bash": "__awsenv_upgraded=1",
        "zsh": "__awsenv_upgraded=1",
        "fish": "set -g __awsenv_upgraded 1",
    }[shell]
    link.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "from awsenv.entry import main\n"
        "if sys.argv[1:2] == ['init']:\n"
        f"    print({newer!r})\n"
        "sys.exit(main())\n"
    )
    link.chmod(0o755)
    shown = {
        "bash": "echo AWSENV-UPGRADED ${__awsenv_upgraded-0}\n",
        "zsh": "echo AWSENV-UPGRADED ${__awsenv_upgraded-0}\n",
        "fish": "set -q __awsenv_upgraded; or set __awsenv_upgraded 0\n"
        "echo AWSENV-UPGRADED $__awsenv_upgraded\n",
    }[shell]
    rc_file(home, shell).write_text(rc_file(home, shell).read_text() + shown)
    printed, processes = start(home, shell, tmp_path, path=path)
    assert "AWSENV-UPGRADED 1" in printed
    assert processes
    printed, processes = start(home, shell, tmp_path, path=path)
    assert "AWSENV-UPGRADED 0" in printed and loaded_exe(printed) == str(link)
    assert processes == []


@pytest.mark.parametrize("shell", SHELLS)
def test_a_reinstall_elsewhere_is_loaded_by_the_next_shell(
    home: Home, shell: str, tmp_path: Path
) -> None:
    """pipx reinstall into another virtualenv: PATH finds awsenv at a new path, while the old
    one is still there and older than the saved file."""
    old = _link_awsenv(tmp_path / "old")
    new = _link_awsenv(tmp_path / "new")
    write_rc(home, shell)
    start(home, shell, tmp_path, path=f"{old.parent}:{home.env['PATH']}", trace=False)
    printed, processes = start(home, shell, tmp_path, path=f"{new.parent}:{home.env['PATH']}")
    assert loaded_exe(printed) == str(new)
    assert processes
    printed, processes = start(home, shell, tmp_path, path=f"{new.parent}:{home.env['PATH']}")
    assert loaded_exe(printed) == str(new)
    assert processes == []


def _tamper(path: Path, how: str, canary: Path) -> None:
    line = f"touch {canary}\n"
    if how == "group-writable":
        path.chmod(0o620)
        with path.open("a") as f:
            f.write(line)
    elif how == "others-writable, written by another user":
        path.chmod(0o4606)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            # The write is another user's: the kernel clears the setuid bit.
            subprocess.run(
                ["bash", "-c", f"printf '%s' '{line}' >&{fd}"],
                pass_fds=[fd],
                user=65534,
                check=True,
            )
        finally:
            os.close(fd)
    else:  # owned by someone else, and with the mode awsenv gives its own file
        text = path.read_text() + line
        path.write_text(text)
        os.chown(path, 65534, 65534)
        path.chmod(0o4600)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "how",
    ["group-writable", "others-writable, written by another user", "owned by someone else"],
)
def test_a_saved_file_another_user_could_have_written_is_not_sourced(
    home: Home, shell: str, how: str, tmp_path: Path
) -> None:
    if how != "group-writable" and os.geteuid() != 0:
        pytest.skip("needs root, to write and own files as another user")
    write_rc(home, shell)
    start(home, shell, tmp_path, trace=False)
    canary = tmp_path / "canary"
    _tamper(saved(home, shell), how, canary)
    printed, processes = start(home, shell, tmp_path)
    assert not canary.exists()
    assert loaded_exe(printed) == AWSENV
    assert processes, "the plain eval loaded it"
    info = os.stat(saved(home, shell))
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o4600), "saved again"


def test_zsh_also_refuses_a_writable_file_nobody_wrote_yet(home: Home, tmp_path: Path) -> None:
    """zsh reads mode bits with a builtin (a glob qualifier); bash and fish cannot."""
    write_rc(home, "zsh")
    start(home, "zsh", tmp_path, trace=False)
    saved(home, "zsh").chmod(0o4620)
    printed, processes = start(home, "zsh", tmp_path)
    assert loaded_exe(printed) == AWSENV
    assert processes


@pytest.mark.parametrize("shell", SHELLS)
def test_shells_starting_together_all_load_it(home: Home, shell: str, tmp_path: Path) -> None:
    write_rc(home, shell)
    results: list[str] = []

    def one() -> None:
        results.append(start(home, shell, tmp_path, trace=False)[0])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [loaded_exe(printed) for printed in results] == [AWSENV] * 4
    printed, processes = start(home, shell, tmp_path)
    assert loaded_exe(printed) == AWSENV
    assert processes == []
    leftovers = [p.name for p in saved(home, shell).parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("shell", SHELLS)
def test_an_unwritable_cache_falls_back_to_the_eval_quietly(
    home: Home, shell: str, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    write_rc(home, shell)
    rc = rc_file(home, shell)
    where = (
        f"set -gx XDG_CACHE_HOME {blocked}"
        if shell == "fish"
        else f"export XDG_CACHE_HOME={blocked}"
    )
    rc.write_text(where + "\n" + rc.read_text())
    for _ in range(2):
        printed, processes = start(home, shell, tmp_path)
        assert loaded_exe(printed) == AWSENV
        assert processes


def test_the_options_have_their_own_file(home: Home, tmp_path: Path) -> None:
    write_rc(home, "zsh", prompt="right")
    start(home, "zsh", tmp_path, trace=False)
    assert saved(home, "zsh", "right").is_file() and not saved(home, "zsh").exists()
    write_rc(home, "zsh")
    printed, processes = start(home, "zsh", tmp_path)
    assert loaded_exe(printed) == AWSENV
    assert processes and saved(home, "zsh").is_file()
