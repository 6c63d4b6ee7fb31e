"""Helpers the benchmark scripts share: timing commands and printing tables."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent
BASH_INTEGRATION = Path(__file__).resolve().parent.parent / "shell" / "awsenv.bash"


def time_command(argv: Sequence[str], env: Mapping[str, str], runs: int) -> list[float]:
    """Wall-clock seconds of `runs` runs of `argv` (one unmeasured warm-up first)."""
    subprocess.run(argv, env=env, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def emulator_env(home: Path, endpoints: Mapping[str, str]) -> dict[str, str]:
    """A bare environment in `home` that signs in to the emulator at `endpoints` unasked."""
    return {
        "HOME": str(home),
        "PATH": f"{BIN}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWSENV_AUTO_LOGIN": "always",
        "BROWSER": f"{sys.executable} -m awsenv.emulator.browser %s",
        **endpoints,
    }


def write_init(path: Path, shell: str, env: Mapping[str, str]) -> Path:
    """Save what `awsenv init SHELL` prints, for a benchmark shell to source."""
    result = subprocess.run(
        [str(BIN / "awsenv"), "init", shell], env=env, capture_output=True, text=True, check=True
    )
    path.write_text(result.stdout)
    return path


def bash_prompt_hook_without(part: str) -> str:
    """bash's prompt hook, as shell/awsenv.bash defines it, with one of its two jobs taken out:
    "directory" (the check after a cd) or "segment" (the prompt segment's). One hook does both,
    so each benchmark compares the hook with and without the part it measures."""
    source = BASH_INTEGRATION.read_text()
    start = source.index("__awsenv_prompt_hook() {\n")
    lines = source[start : source.index("\n}\n", start) + 3].splitlines(keepends=True)
    if part == "directory":
        kept = [line for line in lines if "__awsenv_dir_check" not in line]
    else:
        first = next(i for i, line in enumerate(lines) if "__awsenv_prompt_next" in line)
        last = next(i for i in range(first, len(lines)) if lines[i].strip() == "fi")
        # The idle deadline of a production profile (issue 12) goes with the segment's part.
        kept = [line for line in lines[:first] + lines[last + 1 :] if "__awsenv_idle" not in line]
    if len(kept) == len(lines):
        raise RuntimeError(f"the bash prompt hook has no {part} part to take out")
    return "".join(kept)


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
