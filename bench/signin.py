"""Parallel awsenv processes and the sign-in locks (issue 11), before and after.

1. 20 cached `awsenv use` started at once, per-process wall time: this tree (locks in place)
   against main before the locks (363760d). Goal: under 5 ms more each when nothing needs
   renewing. With that, what taking one uncontended lock costs, measured in-process.
2. The storms: 20 processes at once with no SSO session, or with only the access token
   expired, and the emulator's count of the calls they made, before and after.

"Before" runs a `git archive` of BEFORE in a temporary directory (PYTHONPATH), so both sides
start the same way (`python -m awsenv`); without git it is left out.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator.server import Emulator
from common import emulator_env, table

BEFORE = "363760d"
REPO = Path(__file__).resolve().parent.parent
PARALLEL = 20
ROUNDS = 5
ROLES = ("Company-1-ReadOnly", "Company-1-Administrator")
AWSENV = (sys.executable, "-m", "awsenv")


def _checkout(revision: str, into: Path) -> Path | None:
    """The awsenv package as it was at `revision`, or None without git."""
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "awsenv"], capture_output=True
    )
    if archive.returncode != 0:
        return None
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _home(root: Path, emulator: Emulator) -> dict[str, str]:
    if root.exists():
        shutil.rmtree(root)
    (root / ".aws").mkdir(parents=True)
    (root / ".aws" / "config").write_text(EXAMPLE_CONFIG)
    return {
        **emulator_env(root, emulator.env()),
        "XDG_STATE_HOME": str(root / ".local" / "state"),
        "XDG_CONFIG_HOME": str(root / ".config"),
    }


def _parallel(argvs: Sequence[Sequence[str]], env: Mapping[str, str]) -> list[tuple[int, float]]:
    """Start every command at once; (exit status, seconds) of each."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            argv,
            env=env,
            cwd=env["HOME"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for argv in argvs
    ]
    pending = dict(enumerate(procs))
    ended: dict[int, tuple[int, float]] = {}
    while pending:
        for i, proc in list(pending.items()):
            code = proc.poll()
            if code is not None:
                ended[i] = (code, time.perf_counter() - started)
                del pending[i]
        time.sleep(0.002)
    return [ended[i] for i in range(len(procs))]


def _env_for(tree: Path, env: Mapping[str, str]) -> dict[str, str]:
    """`env` running awsenv from `tree`; run in HOME, as `-m` puts the working directory first."""
    return {**env, "PYTHONPATH": str(tree)}


def cached_use(trees: Mapping[str, Path], emulator: Emulator, work: Path) -> None:
    argv = [*AWSENV, "use", ROLES[0], "--shell", "bash"]
    envs = {}
    for name, tree in trees.items():
        envs[name] = _env_for(tree, _home(work / f"cached-{name}", emulator))
        # Signs in and fills the caches.
        subprocess.run(
            argv, env=envs[name], cwd=envs[name]["HOME"], capture_output=True, check=True
        )
    per_round: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(ROUNDS):
        for name, env in envs.items():  # the versions take turns: load changes hit both
            results = _parallel([argv] * PARALLEL, env)
            assert all(code == 0 for code, _ in results), name
            per_round[name].append(statistics.median(seconds for _, seconds in results))
    rows = [(name, statistics.median(rounds) * 1000) for name, rounds in per_round.items()]
    base = rows[-1][1]
    print(f"{PARALLEL} cached `awsenv use` at once, median per process over {ROUNDS} rounds")
    print(
        table(
            ("version", "median ms", "vs before"),
            [(n, f"{ms:.1f}", f"{ms - base:+.1f} ms") for n, ms in rows],
        )
    )
    print(f"goal: the locks add < 5 ms -> {rows[0][1] - base:+.1f} ms")
    print(f"one uncontended lock taken and released, in-process: {_lock_cost(work) * 1000:.3f} ms")


def _lock_cost(work: Path) -> float:
    """Seconds to take and release an uncontended lock, in-process, averaged."""
    from awsenv import locks

    os.environ["XDG_STATE_HOME"] = str(work / "lock-cost")
    count = 1000
    start = time.perf_counter()
    for _ in range(count):
        with locks.exclusive("bench", wait=1.0, waiting=lambda: None):
            pass
    return (time.perf_counter() - start) / count


def _expire_access_token(root: Path, emulator: Emulator) -> None:
    emulator.expire("access_tokens")
    for path in (root / ".aws" / "sso" / "cache").glob("*.json"):
        data = json.loads(path.read_text())
        if "accessToken" in data:
            past = datetime.now(timezone.utc) - timedelta(minutes=1)
            data["expiresAt"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
            path.write_text(json.dumps(data))
    shutil.rmtree(root / ".aws" / "cli" / "cache", ignore_errors=True)


Command = Callable[[str], list[str]]
COMMANDS: dict[str, Command] = {
    "use": lambda p: ["use", p, "--shell", "bash"],
    "exec": lambda p: ["exec", p, "--", "true"],
    "export --format process": lambda p: ["export", p, "--format", "process"],
    "export --format process --login": lambda p: ["export", p, "--format", "process", "--login"],
}
# (case, command, access token only expired, single-use refresh tokens)
STORMS = [
    ("no session", "use", False, True),
    ("no session", "exec", False, True),
    ("no session", "export --format process --login", False, True),
    ("access token expired", "use", True, True),
    ("access token expired", "export --format process", True, True),
    ("access token expired, reusable refresh", "use", True, False),
]


def storms(trees: Mapping[str, Path], emulator: Emulator, work: Path) -> None:
    rows = []
    for case, command, expired, single_use in STORMS:
        for name, tree in trees.items():
            emulator.reset()
            emulator.knobs.single_use_refresh_tokens = single_use
            root = work / f"storm-{name}"
            env = _env_for(tree, _home(root, emulator))
            if expired:
                login = [*AWSENV, "login", ROLES[0]]
                subprocess.run(login, env=env, cwd=root, capture_output=True, check=True)
                _expire_access_token(root, emulator)
                env["AWSENV_AUTO_LOGIN"] = "never"
                emulator.clear_calls()
            argvs = [[*AWSENV, *COMMANDS[command](ROLES[i % 2])] for i in range(PARALLEL)]
            results = _parallel(argvs, env)
            creates = emulator.calls("CreateToken")
            refreshes = [c for c in creates if c.params.get("grantType") == "refresh_token"]
            rows.append(
                (
                    f"{case}: {PARALLEL} x {command}",
                    name,
                    len([c for c in creates if c not in refreshes and c.status == 200]),
                    len(emulator.calls("RegisterClient")),
                    len(refreshes),
                    len([c for c in creates if c.error == "InvalidGrantException"]),
                    len(emulator.calls("GetRoleCredentials")),
                    len([code for code, _ in results if code != 0]),
                )
            )
    print(f"emulator calls of {PARALLEL} processes at once over two roles of one session")
    header = (
        "storm",
        "version",
        "sign-ins",
        "RegisterClient",
        "refreshes",
        "Invalid grant",
        "GetRoleCredentials",
        "failed",
    )
    print(table(header, rows))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emulator:
        work = Path(tmp)
        trees = {"after": REPO}
        before = _checkout(BEFORE, work / "before")
        if before is not None:
            trees[f"before ({BEFORE})"] = before
        else:
            print(f"(no git: the {BEFORE} columns are left out)")
        cached_use(trees, emulator, work)
        print()
        storms(trees, emulator, work)


if __name__ == "__main__":
    main()
