"""Prompt cost: 1,000 prompts with awsenv's hooks against the same shell with empty hooks.

bash and zsh run interactively (`-i`, commands on stdin): each `:` is a full prompt cycle
(PROMPT_COMMAND or precmd, the prompt, then the preexec hook before the command), timed inside
the shell with EPOCHREALTIME. fish fires prompt events only on a terminal, so there the events are
emitted in a loop, timed by fish's `time`. A profile is active with credentials an hour from
expiry, so the segment is cached and rebuilt once a minute; the "rebuilt every prompt" column
forces a rebuild each time, the cost paid once a minute. Processes are counted with strace over
the same 1,000 prompts. Each figure is the best of RUNS runs: other load only ever adds time.

An empty hook keeps the hook points and empties what they do for the segment and renewal: in
bash the prompt hook keeps its other job, the directory check (issue 4's, measured by
bench/cd.py), and the DEBUG trap runs `:`; zsh and fish keep empty hook functions. bash is
also measured against a shell with no DEBUG trap at all, to show what the trap's own dispatch
costs.
Goals: under 20 µs a prompt in bash and zsh (issue 3), under 100 µs in fish (issue 10), and 0
processes.

Each shell is measured twice: with an unmarked profile, and with one marked prod whose keys drop
after 15 idle minutes (issue 12): its segment shows the mark, and each prompt sets the idle
deadline. The empty hooks leave that out too (bash's idle line goes with the segment part).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import BIN, bash_prompt_hook_without, median_ms, table, time_command

PROMPTS = 1000
RUNS = 21
VARIANTS = ("empty", "hook", "rebuild")
GOAL_US = 20.0
FISH_GOAL_US = 100.0  # issue 10


def state_env() -> dict[str, str]:
    now = int(time.time())
    return {
        "AWSENV_PROFILE": "Company-1-ReadOnly",
        "AWS_REGION": "ap-southeast-2",
        "AWSENV_EXPIRATION": str(now + 3600),
        "AWSENV_SSO_EXPIRATION": str(now + 8 * 3600),
        "AWSENV_SSO_REFRESH_UNTIL": str(now + 90 * 86400),
    }


# A production profile: the mark in the segment, the idle deadline set at each prompt.
MARKED = {"AWSENV_ENV": "prod", "AWSENV_IDLE_DROP": "900"}
STATES = {"profile": {}, "prod, idle drop": MARKED}


def base_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        **state_env(),
    }


# Per shell: how to start it, load awsenv, replace its hooks by empty ones, force a rebuild of
# the segment at every prompt, and read a clock (seconds with a fraction).
SHELLS = {
    "bash": {
        "argv": ["bash", "--norc", "--noprofile", "-i"],
        "load": "eval \"$(awsenv init bash)\"; PS1='${AWSENV_PROMPT} $ '",
        "empty": bash_prompt_hook_without("segment") + "trap : DEBUG",
        "no trap": "trap - DEBUG",
        "rebuild": 'PROMPT_COMMAND="__awsenv_prompt_next=0;$PROMPT_COMMAND"',
        "clock": "$EPOCHREALTIME",
    },
    "zsh": {
        "argv": ["zsh", "--no-rcs", "-i"],
        "load": 'eval "$(awsenv init zsh --prompt left)"',
        "empty": "__awsenv_prompt_hook() { return 0 }; __awsenv_preexec() { return 0 }; "
        "__awsenv_idle_preexec() { return 0 }",
        "rebuild": "precmd_functions=(__awsenv_bench_rebuild $precmd_functions); "
        "__awsenv_bench_rebuild() { __awsenv_prompt_key= }",
        "clock": "$EPOCHREALTIME",
    },
}


def interactive_script(shell: str, variant: str) -> str:
    spec = SHELLS[shell]
    lines = [spec["load"]]
    if variant in ("empty", "no trap"):
        lines.append(spec["empty"])
    if variant == "no trap":
        lines.append(spec["no trap"])
    elif variant == "rebuild":
        lines.append(spec["rebuild"])
    lines.append(f"__bench_start={spec['clock']}")
    lines.append("echo AWSENV-START")
    lines += [":"] * PROMPTS
    lines.append("echo AWSENV-END")
    lines.append(f'echo "AWSENV-TIME $__bench_start {spec["clock"]}"')
    lines.append("exit")
    return "\n".join(lines) + "\n"


def run_interactive(shell: str, variant: str, env: dict[str, str]) -> float:
    """Microseconds a prompt, in one run."""
    result = subprocess.run(
        SHELLS[shell]["argv"],
        input=interactive_script(shell, variant),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    match = re.search(r"AWSENV-TIME ([\d.]+) ([\d.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"{shell} {variant}: no timing\n{result.stdout}\n{result.stderr}")
    return (float(match.group(2)) - float(match.group(1))) * 1e6 / PROMPTS


def fish_script(variant: str) -> str:
    lines = ["awsenv init fish | source", "set -l loops (seq " + str(PROMPTS) + ")"]
    if variant == "empty":
        lines.append(
            "functions -e __awsenv_prompt_hook __awsenv_preexec __awsenv_idle_arm "
            "__awsenv_idle_preexec; "
            "function __awsenv_prompt_hook --on-event fish_prompt; end; "
            "function __awsenv_preexec --on-event fish_preexec; end"
        )
    prompt = "emit fish_prompt"
    if variant == "rebuild":
        prompt = "set -g __awsenv_prompt_due 0; emit fish_prompt"
    lines.append("echo AWSENV-START")
    lines.append(f"time for i in $loops; {prompt}; emit fish_preexec ':'; end")
    lines.append("echo AWSENV-END")
    return "\n".join(lines) + "\n"


_UNITS = {"micros": 1.0, "millis": 1e3, "secs": 1e6}


def run_fish(variant: str, env: dict[str, str]) -> float:
    """Microseconds a prompt, in one run."""
    result = subprocess.run(
        ["fish", "--no-config", "-c", fish_script(variant)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    match = re.search(r"Executed in\s+([\d.]+) (micros|millis|secs)", result.stderr)
    if match is None:
        raise RuntimeError(f"fish {variant}: no timing\n{result.stderr}")
    return float(match.group(1)) * _UNITS[match.group(2)] / PROMPTS


def best_of_runs(shell: str, env: dict[str, str]) -> dict[str, float]:
    """The best run of each variant, the variants taking turns so that a change in the
    machine's load falls on all of them."""
    variants = (*VARIANTS, "no trap") if shell == "bash" else VARIANTS
    samples: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(RUNS):
        for variant in variants:
            if shell == "fish":
                samples[variant].append(run_fish(variant, env))
            else:
                samples[variant].append(run_interactive(shell, variant, env))
    return {variant: min(runs) for variant, runs in samples.items()}


def call_cost(shell: str) -> float:
    """Microseconds an empty function call takes here: how fast this machine runs the shell."""
    loop = "f() { return 0; }; s=$EPOCHREALTIME; for ((i = 0; i < 10000; i++)); do f; done"
    setup = "zmodload zsh/datetime; " if shell == "zsh" else ""
    result = subprocess.run(
        [shell, "-c", f'{setup}{loop}; echo "$s $EPOCHREALTIME"'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    start, end = (float(v) for v in result.stdout.split())
    return (end - start) * 1e6 / 10000


def count_processes(argv: list[str], script: str | None, env: dict[str, str], tmp: Path) -> int:
    """Processes created between the AWSENV-START and AWSENV-END markers."""
    trace = tmp / "trace"
    subprocess.run(
        [
            "strace",
            "-f",
            "-o",
            str(trace),
            "-e",
            "trace=execve,clone,clone3,fork,vfork,write",
            *argv,
        ],
        input=script,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    lines = trace.read_text(errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if "AWSENV-START" in line and "write(" in line)
    end = next(i for i, line in enumerate(lines) if "AWSENV-END" in line and "write(" in line)
    return sum(
        1
        for line in lines[start + 1 : end]
        if re.search(r"\b(execve|fork|vfork|clone3?)\(", line) and "CLONE_THREAD" not in line
    )


def main() -> None:
    missing = [tool for tool in ("bash", "zsh", "fish", "strace") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"bench/prompt.py needs {', '.join(missing)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        plain = base_env(tmp)
        for shell in ("bash", "zsh", "fish"):
            for state, extra in STATES.items():
                env = {**plain, **extra}
                best = best_of_runs(shell, env)
                if shell == "fish":
                    runs = [
                        (["fish", "--no-config", "-c", fish_script(v)], None) for v in VARIANTS[:2]
                    ]
                else:
                    runs = [
                        (SHELLS[shell]["argv"], interactive_script(shell, v)) for v in VARIANTS[:2]
                    ]
                procs = [count_processes(argv, script, env, tmp) for argv, script in runs]
                rows.append((shell, state, best, *procs))
        argv = [str(BIN / "awsenv"), "prompt"]
        took = median_ms(time_command(argv, {**os.environ, **plain}, 5))
    print(f"prompt cost over {PROMPTS} prompts, µs a prompt, best of {RUNS} runs")
    header = (
        "shell",
        "profile",
        "empty hook",
        "awsenv hook",
        "difference",
        "rebuilt every prompt (diff.)",
        "processes (empty / awsenv)",
        "goal",
    )
    lines = []
    for shell, state, best, empty_procs, hook_procs in rows:
        difference = best["hook"] - best["empty"]
        met = difference < (FISH_GOAL_US if shell == "fish" else GOAL_US) and hook_procs == 0
        goal = "met" if met else "NOT met"
        lines.append(
            (
                shell,
                state,
                f"{best['empty']:.1f}",
                f"{best['hook']:.1f}",
                f"{difference:.1f}",
                f"{best['rebuild'] - best['empty']:.1f}",
                f"{empty_procs} / {hook_procs}",
                goal,
            )
        )
    print(table(header, lines))
    bash = rows[0][2]
    print(
        f"bash against an empty hook and no DEBUG trap at all: {bash['no trap']:.1f} µs, "
        f"difference {bash['hook'] - bash['no trap']:.1f} µs"
    )
    calls = ", ".join(f"{call_cost(shell):.1f} µs in {shell}" for shell in ("bash", "zsh"))
    print(f"this machine: an empty function call takes {calls}")
    print(f"`awsenv prompt` (tmux, starship custom module): {took:.0f} ms a call")


if __name__ == "__main__":
    main()
