"""`awsenv exec --server`: the container credential endpoint that renews keys for a command.

The SDKs inside are real (boto3, the AWS CLI v2) and find the endpoint by themselves through
AWS_CONTAINER_CREDENTIALS_FULL_URI; the emulator's STS refuses expired keys, so a call that
succeeds proves the keys it was signed with were live.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import AWSENV, Home

PROFILE = "Company-1-ReadOnly"
RUN_FOR = 20

# Runs inside `exec --server`: a boto3 loop in one thread, the AWS CLI v2 in another, for
# RUN_FOR seconds (or 3 rounds of the CLI); prints what each call did, as JSON.
DRIVER = """
import json, subprocess, sys, threading, time
import boto3

aws, run_for = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + run_for
results = {"boto3": [], "cli": []}

def going():
    # RUN_FOR seconds, and at least 3 rounds of the CLI however slow the machine.
    return time.monotonic() < end or len(results["cli"]) < 3

def boto3_loop():
    session = boto3.Session()
    sts = session.client("sts")
    while going():
        try:
            arn = sts.get_caller_identity()["Arn"]
            key = session.get_credentials().get_frozen_credentials().access_key
            results["boto3"].append({"ok": True, "arn": arn, "key": key})
        except Exception as exc:
            results["boto3"].append({"ok": False, "error": repr(exc)})
        time.sleep(0.2)

def cli_loop():
    while going():
        call = subprocess.run([aws, "sts", "get-caller-identity"], capture_output=True, text=True)
        keys = subprocess.run(
            [aws, "configure", "export-credentials", "--format", "process"],
            capture_output=True, text=True,
        )
        entry = {"ok": call.returncode == 0 and keys.returncode == 0,
                 "error": call.stderr + keys.stderr}
        if entry["ok"]:
            entry["arn"] = json.loads(call.stdout)["Arn"]
            entry["key"] = json.loads(keys.stdout)["AccessKeyId"]
        results["cli"].append(entry)

threads = [threading.Thread(target=boto3_loop), threading.Thread(target=cli_loop)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results))
"""

# Runs inside `exec --server`: what the endpoint answers to requests with and without the
# token, and the variables the command got.
PROBE = """
import json, os, urllib.error, urllib.request

url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

def ask(headers, method="GET", where=url):
    request = urllib.request.Request(where, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()

print(json.dumps({
    "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS", "AWSENV"))},
    "none": ask({}),
    "wrong": ask({"Authorization": token[:-1] + ("x" if token[-1] != "x" else "y")}),
    "post": ask({}, "POST"),
    "elsewhere": ask({"Authorization": token}, where=url.rsplit("/", 1)[0] + "/other"),
    "right": ask({"Authorization": token}),
}))
"""


def test_boto3_and_the_aws_cli_v2_never_see_expired_keys(
    home: Home, aws_v2: str, tmp_path: Path
) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    home.emulator.clear_calls()
    home.emulator.knobs.update({"role_credentials_ttl": 5})
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    started = time.monotonic()
    result = home.awsenv(
        "exec", "--server", PROFILE, "--", sys.executable, str(driver), aws_v2, str(RUN_FOR)
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    results = json.loads(result.stdout)
    for tool in ("boto3", "cli"):
        calls = results[tool]
        failed = [c["error"] for c in calls if not c["ok"]]
        assert failed == [], tool
        assert all(":assumed-role/AWSReservedSSO_ReadOnly_" in c["arn"] for c in calls)
    # 5-second keys over 20 seconds: boto3 (a call every 0.2 s) sees every other one; the AWS
    # CLI, a few seconds a call on a busy machine, fewer.
    assert len({c["key"] for c in results["boto3"]}) >= 4
    assert len({c["key"] for c in results["cli"]}) >= 2
    identity_calls = home.emulator.calls("GetCallerIdentity")
    assert [c.status for c in identity_calls] == [200] * len(identity_calls)
    # Renewed ahead of expiry (at half their life), not once per request.
    renewals = len(home.emulator.calls("GetRoleCredentials"))
    assert RUN_FOR / 5 <= renewals <= elapsed / 2.5 + 2
    assert home.emulator.calls("CreateToken") == []


def test_only_the_token_gets_keys_and_the_command_gets_no_keys(home: Home, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = home.awsenv(
        "exec",
        "--server",
        PROFILE,
        "--",
        sys.executable,
        str(probe),
        env={
            "AWS_PROFILE": "Default",
            "AWS_ACCESS_KEY_ID": "AKIAOLDKEYS",
            "AWS_SECRET_ACCESS_KEY": "old",
            "AWSENV_EXPIRATION": "1",
        },
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    env = seen["env"]
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWSENV_EXPIRATION"):
        assert name not in env
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert env["AWSENV_PROFILE"] == PROFILE
    assert env["AWS_REGION"] == "ap-southeast-2"

    status, body = seen["right"]
    assert status == 200
    keys = json.loads(body)
    assert set(keys) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"}
    assert keys["AccountId"] == "222233334444"
    assert keys["Expiration"].endswith("Z")
    for case in ("none", "wrong", "post"):
        status, body = seen[case]
        assert 400 <= status < 500, case
        assert keys["AccessKeyId"] not in body and keys["Token"] not in body
    assert seen["none"][0] == 401 and seen["wrong"][0] == 403
    assert seen["elsewhere"][0] == 404


def test_the_exit_status_passes_through_and_the_endpoint_stops(home: Home) -> None:
    result = home.awsenv(
        "exec",
        "--server",
        PROFILE,
        "--",
        "sh",
        "-c",
        'echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; exit 7',
    )
    assert result.returncode == 7, result.stderr
    url = result.stdout.strip()
    try:
        urllib.request.urlopen(url, timeout=5)
        raise AssertionError("the endpoint still answers after the command ended")
    except urllib.error.URLError as exc:
        assert isinstance(exc.reason, ConnectionRefusedError)

    missing = home.awsenv("exec", "--server", PROFILE, "--", "no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr == "awsenv: no-such-command-here: command not found\n"


TRAPPED = 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'


def test_signals_reach_the_command_and_its_death_is_awsenvs(home: Home) -> None:
    assert home.awsenv("login", PROFILE).returncode == 0
    # SIGTERM sent to awsenv alone reaches the command, which says so and exits 42.
    process = subprocess.Popen(
        [
            AWSENV,
            "exec",
            "--server",
            PROFILE,
            "--",
            "sh",
            "-c",
            TRAPPED,
        ],
        env=home.environ(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 42
    assert process.stdout.read() == "got-term\n"

    # A command killed by a signal: awsenv ends by the same signal.
    killed = home.awsenv("exec", "--server", PROFILE, "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == -signal.SIGTERM


def test_signals_are_forwarded_when_awsenv_starts_with_them_blocked(home: Home) -> None:
    """A mask inherited blocked (a test runner's thread, some supervisors) held SIGTERM pending
    in awsenv forever: not forwarded, not fatal, and the command blocked it too."""
    assert home.awsenv("login", PROFILE).returncode == 0
    process = subprocess.Popen(
        [AWSENV, "exec", "--server", PROFILE, "--", "sh", "-c", TRAPPED],
        env=home.environ(),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}),
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=20) == 42
    finally:
        process.kill()
    assert process.stdout.read() == "got-term\n"


def test_ctrl_c_leaves_awsenv_serving_while_the_command_winds_down(home: Home) -> None:
    """SIGINT from a terminal reaches the whole group: the command handles it, and still gets
    keys while it stops."""
    assert home.awsenv("login", PROFILE).returncode == 0
    script = (
        "import signal, time, boto3\n"
        "got = []\n"
        "signal.signal(signal.SIGINT, lambda *a: got.append(1))\n"
        "print('ready', flush=True)\n"
        "while not got:\n"
        "    time.sleep(0.05)\n"
        "print(boto3.client('sts').get_caller_identity()['Account'], flush=True)\n"
    )
    process = subprocess.Popen(
        [AWSENV, "exec", "--server", PROFILE, "--", sys.executable, "-c", script],
        env=home.environ(),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0
    assert process.stdout.read() == "222233334444\n"


def test_profiles_the_endpoint_cannot_serve_are_refused(home: Home) -> None:
    key, secret = home.emulator.add_user("arn:aws:iam::111122223333:user/ci")
    (home.path / ".aws" / "credentials").write_text(
        f"[ci]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    )
    static = home.awsenv("exec", "--server", "ci", "--", "true")
    assert static.returncode == 2
    assert "long-term keys" in static.stderr and "Traceback" not in static.stderr

    # The SDKs would take the default profile's keys before asking the endpoint.
    with home.config.open("a") as f:
        f.write("\n[default]\nsso_session = company-1-sso\nsso_account_id = 222233334444\n")
    shadowed = home.awsenv("exec", "--server", PROFILE, "--", "true")
    assert shadowed.returncode == 3
    assert "default profile has credentials of its own" in shadowed.stderr
    assert home.emulator.calls("GetRoleCredentials") == []

    both = home.awsenv("exec", "--server", "--profile-only", PROFILE, "--", "true")
    assert both.returncode == 2


def test_listen_takes_one_ipv4_address_and_never_all(home: Home) -> None:
    script = (
        "import os, boto3\n"
        "print(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'].rsplit(':', 1)[0])\n"
        "print(boto3.client('sts').get_caller_identity()['Account'])\n"
    )
    argv = ["--", sys.executable, "-c", script]
    # Any loopback address is one the SDKs accept for plain HTTP.
    result = home.awsenv("exec", "--server", "--listen", "127.0.0.2", PROFILE, *argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "http://127.0.0.2\n222233334444\n"
    for bad in ("0.0.0.0", "localhost", "::1", "192.0.2.1"):
        refused = home.awsenv("exec", "--server", "--listen", bad, PROFILE, "--", "true")
        assert refused.returncode == 2, bad
        assert refused.stderr.startswith(f"awsenv: --listen {bad}: "), refused.stderr
    alone = home.awsenv("exec", "--listen", "127.0.0.2", PROFILE, "--", "true")
    assert (alone.returncode, alone.stderr) == (2, "awsenv: --listen goes with --server\n")


# Runs inside `exec --server`: one STS call per line read, its outcome printed.
CALLER = """
import sys, boto3
sts = boto3.client("sts")
for line in sys.stdin:
    try:
        print("ok", sts.get_caller_identity()["Account"], flush=True)
    except Exception as exc:
        print("failed", type(exc).__name__, flush=True)
"""


def test_a_lapsed_session_is_said_once_and_a_sign_in_elsewhere_revives_the_keys(
    home: Home,
) -> None:
    """Renewals follow the auto-login rule of `use` (here: never sign in), say once why they
    fail, and find the session that `awsenv login` creates meanwhile."""
    assert home.awsenv("login", PROFILE).returncode == 0
    home.emulator.knobs.update({"role_credentials_ttl": 5})
    process = subprocess.Popen(
        [AWSENV, "exec", "--server", PROFILE, "--", sys.executable, "-c", CALLER],
        env=home.environ({"AWSENV_AUTO_LOGIN": "never"}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin and process.stdout and process.stderr

    def call() -> str:
        assert process.stdin and process.stdout
        process.stdin.write("call\n")
        process.stdin.flush()
        return process.stdout.readline()

    assert call() == "ok 222233334444\n"
    home.emulator.expire("access_tokens")
    home.emulator.expire("refresh_tokens")
    said = process.stderr.readline()
    assert said.startswith(f"awsenv: exec --server: cannot renew {PROFILE}'s keys (")
    assert f"run: awsenv login {PROFILE}" in said
    time.sleep(6)
    assert call() == "failed CredentialRetrievalError\n"

    assert home.awsenv("login", PROFILE).returncode == 0
    assert (
        process.stderr.readline() == f"awsenv: exec --server: {PROFILE}'s keys are renewed again\n"
    )
    assert call() == "ok 222233334444\n"
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    assert process.stderr.read() == ""
    # Only the two `awsenv login` signed in.
    creates = home.emulator.calls("CreateToken")
    assert [c.params["grantType"] for c in creates].count("authorization_code") == 2
