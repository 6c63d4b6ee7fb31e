"""Helpers the benchmark scripts share: timing commands and printing tables."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent


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
