"""`awsenv list` on a config of 2,000 profiles (SSO across 20 sessions, role chains, static
keys), signed in to every session. Goal (issue 5): median under 0.15 s."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from awsenv import tokens
from awsenv.files import write_json
from awsenv.timefmt import cache_format, utc_now
from common import BIN, table, time_command

PROFILES, SESSIONS, RUNS, GOAL = 2000, 20, 21, 0.15


def config_text() -> str:
    parts = ["# 2,000 profiles, as a large organisation's generated config\n"]
    for s in range(SESSIONS):
        parts.append(
            f"[sso-session org-{s:02d}]\n"
            f"sso_start_url = https://d-{s:010d}.awsapps.com/start\n"
            "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
        )
    for i in range(PROFILES):
        if i % 10 == 8:
            parts.append(
                f"[profile chain-{i:04d}]\nrole_arn = arn:aws:iam::{100000000000 + i}:role/Ops\n"
                "source_profile = static-0009\nregion = us-east-1\n"
            )
        elif i % 10 == 9:
            parts.append(f"[profile static-{i:04d}]\nregion = us-west-2\n")
        else:
            parts.append(
                f"[profile Account-{i:04d}-ReadOnly]\nsso_session = org-{i % SESSIONS:02d}\n"
                f"sso_account_id = {100000000000 + i}\nsso_role_name = ReadOnly\n"
                "region = eu-west-1\nawsenv_generated = true\n"
            )
    return "\n".join(parts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_text(config_text())
        (home / ".aws" / "credentials").write_text(
            "".join(
                f"[static-{i:04d}]\naws_access_key_id = AKIAEXAMPLE{i:04d}\n"
                "aws_secret_access_key = secret\n"
                for i in range(9, PROFILES, 10)
            )
        )
        env = {"HOME": str(home), "PATH": f"{BIN}:/usr/bin:/bin", "LANG": "C.UTF-8"}
        cache = home / ".aws" / "sso" / "cache"
        expiry = cache_format(utc_now() + timedelta(days=1))
        for s in range(SESSIONS):
            url = f"https://d-{s:010d}.awsapps.com/start"
            token = {
                "startUrl": url,
                "region": "eu-west-1",
                "accessToken": "t",
                "expiresAt": expiry,
            }
            write_json(cache / f"{tokens.token_cache_key(url, f'org-{s:02d}')}.json", token)
        argv = [str(BIN / "awsenv"), "list"]
        shown = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        if len(shown.stdout.splitlines()) != PROFILES + 1:
            raise SystemExit("awsenv list did not show every profile")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "awsenv list": argv,
            "awsenv list --json": [*argv, "--json"],
        }
        samples = {name: time_command(cmd, env, RUNS) for name, cmd in cases.items()}
    rows = [
        (
            name,
            f"{statistics.median(s) * 1000:.0f}",
            f"{min(s) * 1000:.0f}",
            f"{max(s) * 1000:.0f}",
        )
        for name, s in samples.items()
    ]
    print(f"{PROFILES} profiles, {SESSIONS} sso-sessions signed in; {RUNS} runs each")
    print(table(("command", "median ms", "min ms", "max ms"), rows))
    median = statistics.median(samples["awsenv list"])
    print(
        f"goal: median under {GOAL:.2f} s -> {median:.3f} s {'met' if median < GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
