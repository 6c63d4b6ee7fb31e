"""The cost of the directory hook: 1,000 cd's across a tree, per shell.

Each shell times its own loop (bash and zsh with $EPOCHREALTIME, fish with its `time`), once
with the integration loaded and once without, so the difference is what the hook adds to a
cd. The cd's go to the leaves of a binary tree in a temporary directory, 8 levels below / (the
issue's figure) and, to show how the cost grows, 12. bash runs the check from its prompt hook,
which a script has not: the loop calls the hook after each cd, as bash would before the next
prompt, and without the check it is the same hook with that part taken out (its other part,
the prompt segment's, is bench/prompt.py's). zsh and fish run interactively (-i), as their
hooks only run there. Each figure is the
best of RUNS runs: other load only ever adds time. Goals: under 50 µs per cd in bash and zsh
(issue 4), under 100 µs in fish (issue 10).

The "shareable" rows put the tree under a `.awsenv` naming an account and role (issue 12),
allowed, resolved and applied once before the clock starts (a profile signed in at the local
emulator): every timed cd then finds the same file, the case of working inside a repository.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import tempfile
from pathlib import Path

from awsenv import dirs
from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator.server import Emulator
from common import BIN, bash_prompt_hook_without, emulator_env, table, write_init

CDS = 1000
DEPTHS = (8, 12)  # of the directories cd'ed into, below /
GOAL_DEPTH = 8
RUNS = 15
GOAL_US = 50.0
FISH_GOAL_US = 100.0  # issue 10

# {init} loads the integration (bash's in both cases); {hook} is the call bash's prompt makes.
SCRIPTS = {
    "bash": (
        "{init}mapfile -t places < {places}\n"
        'cd "${{places[0]}}"{hook}\n'
        "start=$EPOCHREALTIME\n"
        'for d in "${{places[@]}}"; do cd "$d"{hook}; done\n'
        "end=$EPOCHREALTIME\n"
        'echo "elapsed_us=$(( ${{end/./}} - ${{start/./}} ))"\n'
        'echo "applied=${{AWS_PROFILE-}}"\n'
    ),
    "zsh": (
        'zmodload zsh/datetime\n{init}places=("${{(@f)$(<{places})}}")\n'
        'cd "${{places[1]}}"\n'
        "start=$EPOCHREALTIME\n"
        'for d in "${{places[@]}}"; do cd "$d"; done\n'
        "end=$EPOCHREALTIME\n"
        'echo "elapsed_us=$(( (end - start) * 1000000 ))"\n'
        'echo "applied=${{AWS_PROFILE-}}"\n'
    ),
    "fish": (
        "{init}set places (string split \\n < {places})\n"
        "cd $places[1]\n"
        "time begin\n"
        "    for d in $places\n"
        "        cd $d\n"
        "    end\n"
        "end\n"
        'echo "applied=$AWS_PROFILE"\n'
    ),
}
ARGV = {
    "bash": ["bash", "--norc", "--noprofile", "-c"],
    "zsh": ["zsh", "--no-rcs", "-i", "-c"],
    "fish": ["fish", "--no-config", "-i", "-c"],
}
FISH_TIME = re.compile(r"Executed in\s+([\d.]+)\s+(micros|millis|secs)")
FISH_UNITS = {"micros": 1.0, "millis": 1e3, "secs": 1e6}


def make_tree(base: Path, depth: int) -> list[Path]:
    """A binary tree whose leaves are `depth` levels below /; the cd's visit them in a fixed
    random order."""
    leaves = [base / f"depth{depth}"]
    while len(leaves[0].parts) - 1 < depth:
        leaves = [parent / f"d{side}" for parent in leaves for side in "ab"]
    for leaf in leaves:
        leaf.mkdir(parents=True)
    rng = random.Random(4)
    return [rng.choice(leaves) for _ in range(CDS)]


def elapsed_us(shell: str, script: str, env: dict[str, str], applied: str = "") -> float:
    result = subprocess.run(
        [*ARGV[shell], script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    if f"applied={applied}\n" not in result.stdout:
        raise RuntimeError(f"{shell}: expected profile {applied!r}: {result.stdout!r}")
    if shell == "fish":
        match = FISH_TIME.search(result.stderr)
        if match is None:
            raise RuntimeError(f"fish did not report its time: {result.stderr!r}")
        return float(match.group(1)) * FISH_UNITS[match.group(2)]
    return float(result.stdout.split("elapsed_us=")[1].split()[0])


SHARED_PROFILE = "Company-1-ReadOnly"
SHARED_FILE = "account = 222233334444\nrole = ReadOnly\n"


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="awsenv-bench-", dir="/tmp") as tmp,
        Emulator() as emulator,
    ):
        base = Path(tmp)
        home = base / "home"
        (home / ".aws").mkdir(parents=True)
        (home / ".aws" / "config").write_text(EXAMPLE_CONFIG)
        env = {
            **emulator_env(home, emulator.env()),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
        # Signed in, with the role's keys cached: entering the shareable tree takes no browser.
        subprocess.run(
            [BIN / "awsenv", "use", SHARED_PROFILE, "--shell", "bash"],
            env=env,
            capture_output=True,
            check=True,
        )
        shared = base / "shared"
        shared.mkdir()
        (shared / ".awsenv").write_text(SHARED_FILE)
        dirs.allow(str(shared / ".awsenv"), env)
        listings = {}
        for where, root in (("none", base), ("shareable", shared)):
            for depth in DEPTHS:
                places = make_tree(root, depth)
                found = dirs.nearest(str(places[0]))
                if found != (None if where == "none" else str(shared / ".awsenv")):
                    raise SystemExit(
                        f"a .awsenv above {base} would make this a different benchmark"
                    )
                listings[where, depth] = base / f"places-{where}{depth}"
                listings[where, depth].write_text("".join(f"{p}\n" for p in places))
        rows = []
        for shell in ("bash", "zsh", "fish"):
            init = write_init(base / f"init.{shell}", shell, env)
            for (where, depth), listing in listings.items():
                scripts = {}
                for hooked in (False, True):
                    load = f"source {init}\n" if hooked else ""
                    if shell == "bash" and not hooked:
                        load = f"source {init}\n{bash_prompt_hook_without('directory')}"
                    scripts[hooked] = SCRIPTS[shell].format(
                        init=load,
                        places=listing,
                        hook="; __awsenv_prompt_hook" if shell == "bash" else "",
                    )
                expect = {False: "", True: SHARED_PROFILE if where == "shareable" else ""}
                # The two take turns, so that a change in the machine's load falls on both.
                samples: dict[bool, list[float]] = {False: [], True: []}
                for _ in range(RUNS):
                    for hooked, script in scripts.items():
                        samples[hooked].append(elapsed_us(shell, script, env, expect[hooked]))
                cases = {hooked: min(runs) / CDS for hooked, runs in samples.items()}
                cost = cases[True] - cases[False]
                goal = ""
                if depth == GOAL_DEPTH:
                    limit = FISH_GOAL_US if shell == "fish" else GOAL_US
                    goal = "met" if cost < limit else "NOT met"
                rows.append(
                    (
                        shell,
                        where,
                        depth,
                        f"{cases[False]:.1f}",
                        f"{cases[True]:.1f}",
                        f"{cost:.1f}",
                        goal,
                    )
                )
    print(f"{CDS} cd's, best of {RUNS} runs, {os.cpu_count()} cores")
    print(
        table(
            (
                "shell",
                ".awsenv above",
                "depth",
                "µs/cd without the check",
                "µs/cd with it",
                "check µs/cd",
                f"< {GOAL_US:.0f} µs (fish {FISH_GOAL_US:.0f}) at depth {GOAL_DEPTH}",
            ),
            rows,
        )
    )


if __name__ == "__main__":
    main()
