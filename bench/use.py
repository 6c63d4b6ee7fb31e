"""`awsenv use P` with cached credentials against awsume (`awsumepy P`, static profile) and a
bare Python start. Goal (issue 2): awsenv's median at most 0.4x awsume's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from awsenv.demo import EXAMPLE_CONFIG
from awsenv.emulator.server import Emulator
from common import BIN, emulator_env, median_ms, table, time_command

RUNS = 20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator() as emulator:
        home = Path(tmp)
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_text(
            EXAMPLE_CONFIG + "\n[profile static]\nregion = us-east-1\n"
        )
        (home / ".aws" / "credentials").write_text(
            "[static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"
        )
        env = emulator_env(home, emulator.env())
        # Sign in and fill the role credential cache: the common, cached `use` is measured.
        subprocess.run(
            [BIN / "awsenv", "use", "Company-1-ReadOnly", "--shell", "bash"],
            env=env,
            capture_output=True,
            check=True,
        )
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            (
                "awsenv use Company-1-ReadOnly (cached SSO)",
                [str(BIN / "awsenv"), "use", "Company-1-ReadOnly", "--shell", "bash"],
            ),
            ("awsenv use static", [str(BIN / "awsenv"), "use", "static", "--shell", "bash"]),
            ("awsumepy static", [str(BIN / "awsumepy"), "static"]),
        ]
        medians = {name: median_ms(time_command(argv, env, RUNS)) for name, argv in cases}
    awsume = medians["awsumepy static"]
    rows = [(name, f"{ms:.1f}", f"{ms / awsume:.2f}x") for name, ms in medians.items()]
    print(f"median of {RUNS} runs each, {os.cpu_count()} cores")
    print(table(("command", "median ms", "vs awsume"), rows))
    ratio = medians["awsenv use Company-1-ReadOnly (cached SSO)"] / awsume
    print(f"goal: awsenv <= 0.4x awsume -> {ratio:.2f}x {'met' if ratio <= 0.4 else 'NOT met'}")


if __name__ == "__main__":
    main()
