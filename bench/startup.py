"""What awsenv adds to the start of a new interactive shell: `bash -i -c exit`, `zsh -i -c exit`
and `fish -i -c exit` with (a) an empty rc file, (b) the plain line (`eval "$(awsenv init
SHELL)"`, fish `awsenv init fish | source`) and (c) the recommended line that
`awsenv init SHELL --cached` prints, once its saved file exists; and a bare `python -c pass`.

Each case has its own throwaway HOME holding only that rc file. The cases take turns, so that a
change in the machine's load falls on all of them, and each figure is the median of RUNS runs.
Goals (issue 10): (c) - (a) under 10 ms in every shell; (b) - (a) under 1.5x `python -c pass`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BIN, table

RUNS = 21
SHELLS = ("bash", "zsh", "fish")
CASES = ("empty", "plain", "cached")
GOAL_CACHED_MS = 10.0
GOAL_PLAIN_X = 1.5
PLAIN = {
    "bash": 'eval "$(awsenv init bash)"\n',
    "zsh": 'eval "$(awsenv init zsh)"\n',
    "fish": "awsenv init fish | source\n",
}


def rc_file(home: Path, shell: str) -> Path:
    return {
        "bash": home / ".bashrc",
        "zsh": home / ".zshrc",
        "fish": home / ".config" / "fish" / "config.fish",
    }[shell]


def environ(home: Path) -> dict[str, str]:
    # Normalised, as PATHs are: zsh's command table skips directories spelt with `..`.
    return {
        "HOME": str(home),
        "PATH": f"{os.path.normpath(BIN)}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TERM": "xterm",
        "ZDOTDIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


def make_home(base: Path, shell: str, case: str) -> dict[str, str]:
    home = base / f"{shell}-{case}"
    env = environ(home)
    # Keeps fish from indexing man pages in the background on its first start.
    (home / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True)
    rc = rc_file(home, shell)
    rc.parent.mkdir(parents=True, exist_ok=True)
    text = ""
    if case == "plain":
        text = PLAIN[shell]
    elif case == "cached":
        text = subprocess.run(
            [str(BIN / "awsenv"), "init", shell, "--cached"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rc.write_text(text)
    return env


def once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        start_new_session=True,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="awsenv-bench-") as tmp:
        base = Path(tmp)
        runs: dict[tuple[str, str], tuple[list[str], dict[str, str]]] = {
            ("python", "-c pass"): ([sys.executable, "-c", "pass"], environ(base)),
        }
        for shell in SHELLS:
            for case in CASES:
                runs[(shell, case)] = ([shell, "-i", "-c", "exit"], make_home(base, shell, case))
        for argv, env in runs.values():
            once(argv, env)  # warm-up: fish sets up its directories, (c) saves its file
            once(argv, env)
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
        for _ in range(RUNS):
            for key, (argv, env) in runs.items():
                samples[key].append(once(argv, env))
    ms = {key: statistics.median(values) * 1000 for key, values in samples.items()}
    python = ms[("python", "-c pass")]
    rows = []
    for shell in SHELLS:
        empty, plain, cached = (ms[(shell, case)] for case in CASES)
        plain_goal = plain - empty < GOAL_PLAIN_X * python
        cached_goal = cached - empty < GOAL_CACHED_MS
        rows.append(
            (
                shell,
                f"{empty:.1f}",
                f"{plain:.1f}",
                f"{cached:.1f}",
                f"{plain - empty:.1f} ({(plain - empty) / python:.2f}x python)",
                f"{cached - empty:.1f}",
                f"{'met' if plain_goal else 'NOT met'} / {'met' if cached_goal else 'NOT met'}",
            )
        )
    print(f"`SHELL -i -c exit`, median of {RUNS} runs, ms, {os.cpu_count()} cores")
    print(
        table(
            (
                "shell",
                "(a) empty rc",
                "(b) plain eval",
                "(c) --cached line",
                "(b) - (a)",
                "(c) - (a)",
                f"goals: (b)-(a) < {GOAL_PLAIN_X}x python / (c)-(a) < {GOAL_CACHED_MS:.0f} ms",
            ),
            rows,
        )
    )
    print(f"python -c pass: {python:.1f} ms")


if __name__ == "__main__":
    main()
