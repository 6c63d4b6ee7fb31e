"""Profile-name completion with 2,000 profiles: time per completion and processes started.

A config of 2,000 SSO profiles (six lines each, as `aws configure sso` writes them). Each
completion is `awsenv use team-01<TAB>` (100 matches), `awsenv use team-0199<TAB>` (one) or
`awsenv use <TAB>` (all 2,000), measured inside the shell:
- bash: the completion function, called as readline calls it (COMP_WORDS set), timed with
  $EPOCHREALTIME around each call;
- zsh: a real TAB in an interactive zsh with compinit (in a pseudo-terminal), the whole
  completion widget timed with $EPOCHREALTIME;
- fish: `complete -C` in a loop, timed with fish's `time`, per call.
"warm" completions read the names from the cache; "after an edit" is the first completion
after the config changed, which parses it. Processes started are counted with strace over all
the completions of a shell (its own start aside). Goal (issue 6): 0 processes and under 20 ms
per completion in bash and zsh.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pexpect

from common import BIN, table, write_init

PROFILES = 2000
ROUNDS = 30  # completions per prefix and shell
EDITS = 5  # completions after an edit, per shell
GOAL_MS = 20.0
PREFIXES = {"team-01": 100, "team-0199": 1, "": PROFILES}
STRACE = ["strace", "-f", "-qq", "-e", "trace=process", "-o"]


def write_config(path: Path) -> None:
    sections = [
        f"[profile team-{i:04d}-ReadOnly]\nsso_session = org-{i % 3}\n"
        f"sso_account_id = {100000000000 + i}\nsso_role_name = ReadOnly\n"
        "region = us-east-1\noutput = json\n"
        for i in range(PROFILES)
    ]
    sections += [
        f"[sso-session org-{i}]\nsso_start_url = https://d-{i}.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
        for i in range(3)
    ]
    path.write_text("\n".join(sections))


def forget_cache(home: Path) -> None:
    """What a config edit does to the names cache: the next completion parses the config."""
    (home / ".cache" / "awsenv" / "completion-stamp").unlink(missing_ok=True)


# bash ------------------------------------------------------------------------------------


def bash_script(init: Path, prefix: str, rounds: int) -> str:
    return (
        f"source {init}\n"
        f"COMP_WORDS=(awsenv use '{prefix}'); COMP_CWORD=2; COMP_LINE='awsenv use {prefix}'\n"
        "COMP_POINT=${#COMP_LINE}\n"
        f"for ((i = 0; i < {rounds}; i++)); do\n"
        "    t0=$EPOCHREALTIME\n"
        f"    _awsenv awsenv '{prefix}' use\n"
        "    t1=$EPOCHREALTIME\n"
        '    echo "us=$(( ${t1/./} - ${t0/./} )) n=${#COMPREPLY[@]}"\n'
        "done\n"
    )


def bash_times(init: Path, prefix: str, env: dict[str, str], rounds: int = ROUNDS) -> list[float]:
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", bash_script(init, prefix, rounds)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = [tuple(map(int, re.findall(r"\d+", line))) for line in out.splitlines()]
    expected = PREFIXES[prefix]
    if any(n != expected for _, n in found):
        raise SystemExit(f"bash offered {found[0][1]} names for {prefix!r}, not {expected}")
    return [us / 1000 for us, _ in found]


def bash_after_edits(init: Path, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(EDITS):
        forget_cache(Path(env["HOME"]))
        times += bash_times(init, "team-01", env, rounds=1)
    return times


def bash_processes(init: Path, env: dict[str, str], trace: Path) -> int:
    script = "".join(bash_script(init, p, ROUNDS) for p in PREFIXES)
    subprocess.run(
        [*STRACE, str(trace), "bash", "--norc", "--noprofile", "-c", script],
        env=env,
        capture_output=True,
        check=True,
    )
    return processes(trace)


# zsh -------------------------------------------------------------------------------------

ZSH_RC = """PS1='%% '
zmodload zsh/datetime
autoload -Uz compinit && compinit -u -D
source {init}
__bench_tab() {{
    local t0=$EPOCHREALTIME
    zle complete-word
    print -r -- "$(( (EPOCHREALTIME - t0) * 1000 ))" >>{times}
}}
zle -N __bench_tab
bindkey '^I' __bench_tab
unsetopt AUTO_LIST AUTO_MENU BEEP LIST_BEEP
print READY
"""


def zsh_session(
    init: Path,
    env: dict[str, str],
    work: Path,
    tabs: Sequence[tuple[str, bool]],
    trace: Path | None,
) -> list[float]:
    """TAB after each line in one interactive zsh; True: as if the config was edited first."""
    times = work / "zsh-times"
    times.write_text("")
    rc = work / "zshrc-bench"
    rc.write_text(ZSH_RC.format(init=init, times=times))
    argv = ["zsh", "-f", "-i"] if trace is None else [*STRACE, str(trace), "zsh", "-f", "-i"]
    zsh = pexpect.spawn(
        argv[0], argv[1:], env={**env, "TERM": "dumb"}, encoding="utf-8", timeout=60
    )
    zsh.send(f"source {rc}\r")
    zsh.expect("READY")
    for count, (line, edited) in enumerate(tabs, start=1):
        if edited:
            forget_cache(Path(env["HOME"]))
        zsh.send(line + "\t")
        while len(times.read_text().splitlines()) < count:
            time.sleep(0.005)
        zsh.send("\x15")
    zsh.sendline("exit")
    zsh.expect(pexpect.EOF)
    return [float(t) for t in times.read_text().split()]


# fish ------------------------------------------------------------------------------------

FISH_TIME = re.compile(r"Executed in\s+([\d.]+)\s+(micros|millis|secs)")
FISH_UNITS = {"micros": 1e-3, "millis": 1.0, "secs": 1e3}


def fish_ms(init: Path, prefix: str, env: dict[str, str], rounds: int) -> float:
    calls = f"complete -C 'awsenv use {prefix}' >/dev/null\n" * rounds
    result = subprocess.run(
        ["fish", "--no-config", "-c", f"source {init}\ntime begin\n{calls}end\n"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    match = FISH_TIME.search(result.stderr)
    if match is None:
        raise SystemExit(f"fish did not report its time: {result.stderr!r}")
    return float(match.group(1)) * FISH_UNITS[match.group(2)] / rounds


def fish_processes(init: Path, env: dict[str, str], trace: Path) -> int:
    calls = "".join(f"complete -C 'awsenv use {p}' >/dev/null\n" for p in PREFIXES) * 10
    subprocess.run(
        [*STRACE, str(trace), "fish", "--no-config", "-c", f"source {init}\n{calls}"],
        env=env,
        capture_output=True,
        check=True,
    )
    return processes(trace)


# -----------------------------------------------------------------------------------------


def processes(trace: Path) -> int:
    """Processes started in a trace: forks (threads aside) and execs, the traced shell's own
    start and fish's helper threads left out."""
    started = 0
    for line in trace.read_text().splitlines():
        if "execve(" in line or (
            "CLONE_THREAD" not in line
            and any(f"{call}(" in line for call in ("fork", "vfork", "clone", "clone3"))
        ):
            started += 1
    return started - 1


def summary(samples: Sequence[float]) -> tuple[str, str]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.1f}", f"{p95:.1f}"


def main() -> None:
    if shutil.which("strace") is None:
        raise SystemExit("strace is needed to count processes (./dev bench installs it)")
    with tempfile.TemporaryDirectory(prefix="awsenv-bench-") as tmp:
        work = Path(tmp)
        home = work / "home"
        (home / ".aws").mkdir(parents=True)
        write_config(home / ".aws" / "config")
        env = {
            "HOME": str(home),
            "PATH": f"{BIN}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
        rows = []
        for shell in ("bash", "zsh", "fish"):
            init = write_init(work / f"init.{shell}", shell, env)
            trace = work / f"trace.{shell}"
            if shell == "bash":
                warm = {p: bash_times(init, p, env) for p in PREFIXES}
                edited = bash_after_edits(init, env)
                started = bash_processes(init, env, trace)
            elif shell == "zsh":
                tabs = [(f"awsenv use {p}", False) for p in PREFIXES for _ in range(ROUNDS)]
                tabs += [("awsenv use team-01", True)] * EDITS
                times = zsh_session(init, env, work, tabs, None)
                warm = {p: times[i * ROUNDS : (i + 1) * ROUNDS] for i, p in enumerate(PREFIXES)}
                edited = times[-EDITS:]
                started = processes_zsh(init, env, work, trace)
            else:
                warm = {p: [fish_ms(init, p, env, ROUNDS)] for p in PREFIXES}
                edited = []
                started = fish_processes(init, env, trace)
            for prefix, samples in warm.items():
                median, p95 = summary(samples)
                goal = "" if shell == "fish" else _goal(samples, started)
                rows.append(
                    (
                        shell,
                        f"use {prefix or '(empty)'}",
                        PREFIXES[prefix],
                        median,
                        p95,
                        started,
                        goal,
                    )
                )
            if edited:
                median, p95 = summary(edited)
                rows.append((shell, "use team-01, after an edit", 100, median, p95, started, ""))
    print(f"{PROFILES} profiles; median and p95 over {ROUNDS} completions; {os.cpu_count()} cores")
    print("(fish: the mean of a timed loop)")
    print(
        table(
            (
                "shell",
                "completing",
                "matches",
                "ms median",
                "ms p95",
                "processes",
                f"0 and < {GOAL_MS:.0f} ms",
            ),
            rows,
        )
    )


def processes_zsh(init: Path, env: dict[str, str], work: Path, trace: Path) -> int:
    """Processes zsh starts for its TABs: a session with TABs less one without."""
    tabs = [(f"awsenv use {p}", False) for p in PREFIXES for _ in range(3)]
    with_tabs = work / "trace.zsh.tabs"
    zsh_session(init, env, work, tabs, with_tabs)
    zsh_session(init, env, work, [], trace)
    return processes(with_tabs) - processes(trace)


def _goal(samples: Sequence[float], started: int) -> str:
    return "met" if started == 0 and statistics.median(samples) < GOAL_MS else "NOT met"


if __name__ == "__main__":
    main()
