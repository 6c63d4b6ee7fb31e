"""`awsenv sso populate` of 500 accounts x 2 roles against the emulator answering every call
after 50 ms, serial (--concurrency 1) against the default. Goal (issue 5): the default takes
under a tenth of the serial time."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import BIN, emulator_env, table

ACCOUNTS, ROLES, LATENCY = 500, 2, 0.05
START_URL = "https://d-bench00001.awsapps.com/start"
CONFIG = f"""\
[sso-session bench]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""
RUNS = 3


def _post(url: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10):
        pass


def _populate(home: Path, env: dict[str, str], concurrency: int) -> float:
    """Seconds for one populate into a fresh copy of the config."""
    (home / ".aws" / "config").write_text(CONFIG)
    argv = [str(BIN / "awsenv"), "sso", "populate", "--concurrency", str(concurrency)]
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    text = (home / ".aws" / "config").read_text()
    if text.count("awsenv_generated = true") != ACCOUNTS * ROLES:
        raise SystemExit("populate wrote the wrong number of profiles")
    return elapsed


def main() -> None:
    # The emulator runs in its own process, as the service would: its threads do not share
    # this interpreter (or the one being measured).
    server = subprocess.Popen(
        [sys.executable, "-m", "awsenv.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        _post(
            f"{url}/_emulator/orgs",
            {"start_url": START_URL, "generate": {"accounts": ACCOUNTS, "roles": ROLES}},
        )
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            (home / ".aws").mkdir()
            (home / ".aws" / "config").write_text(CONFIG)
            endpoints = {
                f"AWS_ENDPOINT_URL_{service}": url for service in ("SSO_OIDC", "SSO", "STS")
            }
            env = emulator_env(home, endpoints)
            subprocess.run(
                [str(BIN / "awsenv"), "login", "--sso-session", "bench"],
                env=env,
                capture_output=True,
                check=True,
            )
            _post(f"{url}/_emulator/knobs", {"latency": LATENCY})
            serial = _populate(home, env, 1)
            default = statistics.median(_populate(home, env, 32) for _ in range(RUNS))
    finally:
        server.terminate()
        server.wait(timeout=10)
    calls = -(-ACCOUNTS // 100) + ACCOUNTS  # ListAccounts pages of 100, ListAccountRoles
    rows = [
        ("serial (--concurrency 1)", calls, f"{serial:.2f}", "1.00x"),
        (
            f"default (--concurrency 32, median of {RUNS})",
            calls,
            f"{default:.2f}",
            f"{default / serial:.3f}x",
        ),
    ]
    print(f"{ACCOUNTS} accounts x {ROLES} roles, {LATENCY * 1000:.0f} ms per call")
    print(table(("populate", "portal calls", "seconds", "vs serial"), rows))
    ratio = default / serial
    print(f"goal: under 0.1x serial -> {ratio:.3f}x {'met' if ratio < 0.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
