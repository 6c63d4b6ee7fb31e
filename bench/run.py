"""Run every benchmark in bench/ in turn; each prints its own table."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    chosen = set(sys.argv[1:])
    for script in sorted(here.glob("*.py")):
        if script.name in ("run.py", "common.py") or (chosen and script.stem not in chosen):
            continue
        print(f"== bench/{script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
