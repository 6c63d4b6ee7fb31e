"""The caches awsenv shares with botocore and the AWS CLI, in both directions, to the byte."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import subprocess
import sys

from conftest import BIN, Home

SESSION = "company-1-sso"
START_URL = "https://d-9876543210.awsapps.com/start"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# A botocore session set up the way the AWS CLI v2 sets it up: SSO role credentials cached in
# ~/.aws/cli/cache through botocore's own JSONFileCache.
BOTOCORE_LIKE_CLI_V2 = """
import json, os, sys
import botocore.session
from botocore.utils import JSONFileCache
session = botocore.session.Session(profile=sys.argv[1])
provider = session.get_component("credential_provider").get_provider("sso")
provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
sts = session.create_client("sts", region_name="us-east-1")
print(json.dumps({"arn": sts.get_caller_identity()["Arn"],
                  "key": session.get_credentials().access_key}))
"""


def python(home: Home, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=home.environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_token_and_registration_files_are_the_aws_clis(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    token_file = home.sso_cache / f"{hashlib.sha1(SESSION.encode()).hexdigest()}.json"
    raw = token_file.read_text()
    token = json.loads(raw)
    assert list(token) == [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ]
    assert raw == json.dumps(token)  # botocore's JSONFileCache: json.dumps defaults, no newline
    assert token["startUrl"] == START_URL and token["region"] == "ap-southeast-2"
    assert STAMP.match(token["expiresAt"]) and STAMP.match(token["registrationExpiresAt"])

    key_args = {
        "tool": "botocore",
        "startUrl": START_URL,
        "region": "ap-southeast-2",
        "scopes": ["sso:account:access"],
        "session_name": SESSION,
    }
    key = hashlib.sha1(json.dumps(key_args, sort_keys=True).encode()).hexdigest()
    registration = json.loads((home.sso_cache / f"{key}.json").read_text())
    assert list(registration) == ["clientId", "clientSecret", "expiresAt", "scopes", "grantTypes"]
    assert registration["grantTypes"] == ["authorization_code", "refresh_token"]
    assert registration["clientId"] == token["clientId"]

    for path in (home.sso_cache, token_file):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_botocore_and_the_aws_cli_use_an_awsenv_login(home: Home) -> None:
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    home.emulator.clear_calls()
    boto = python(home, BOTOCORE_LIKE_CLI_V2, "Company-1-Administrator")
    assert boto.returncode == 0, boto.stderr
    assert "AWSReservedSSO_Administrator_" in json.loads(boto.stdout)["arn"]
    cli = subprocess.run(
        [
            str(BIN / "aws"),
            "sts",
            "get-caller-identity",
            "--profile",
            "Company-1-ReadOnly",
            "--output",
            "json",
        ],
        env=home.environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert "AWSReservedSSO_ReadOnly_" in json.loads(cli.stdout)["Arn"]
    assert [c.operation for c in home.emulator.calls("CreateToken")] == []


def test_awsenv_uses_a_token_botocore_refreshed(home: Home) -> None:
    home.emulator.knobs.access_token_ttl = 600  # inside botocore's 15-minute refresh window
    assert home.awsenv("login", "Company-1-ReadOnly").returncode == 0
    home.emulator.knobs.access_token_ttl = 8 * 3600
    token_file = home.sso_cache / f"{hashlib.sha1(SESSION.encode()).hexdigest()}.json"
    before = json.loads(token_file.read_text())
    boto = python(home, BOTOCORE_LIKE_CLI_V2, "Company-1-ReadOnly")
    assert boto.returncode == 0, boto.stderr
    after = json.loads(token_file.read_text())
    assert after["accessToken"] != before["accessToken"]  # botocore refreshed and rewrote it
    home.emulator.clear_calls()
    used = home.awsenv("use", "Company-1-Administrator", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    assert [c.operation for c in home.emulator.calls()] == ["GetRoleCredentials"]


def test_role_credential_cache_is_shared_both_ways(home: Home) -> None:
    used = home.awsenv("use", "Company-1-ReadOnly", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    exported = re.search(r"AWS_ACCESS_KEY_ID='([^']+)'", used.stdout)
    assert exported is not None
    home.emulator.clear_calls()
    boto = python(home, BOTOCORE_LIKE_CLI_V2, "Company-1-ReadOnly")
    assert boto.returncode == 0, boto.stderr
    assert json.loads(boto.stdout)["key"] == exported.group(1)
    assert home.emulator.calls("GetRoleCredentials") == []

    boto = python(home, BOTOCORE_LIKE_CLI_V2, "Company-1-Administrator")
    assert boto.returncode == 0, boto.stderr
    home.emulator.clear_calls()
    used = home.awsenv("use", "Company-1-Administrator", "--shell", "bash")
    assert f"AWS_ACCESS_KEY_ID='{json.loads(boto.stdout)['key']}'" in used.stdout
    assert home.emulator.calls() == []
