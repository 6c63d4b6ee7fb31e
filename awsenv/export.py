"""Credentials in the formats of `aws configure export-credentials`, byte for byte.

env, env-no-export, fish, powershell and windows-cmd print one variable a line, the values
unquoted exactly as the AWS CLI prints them; process is the credential_process JSON any SDK
reads. json is awsenv's own: the same variables as one JSON object, for scripts.

The AWS CLI quotes nothing because keys, tokens and timestamps hold no shell syntax. awsenv
checks that rather than trusting it: a value from a credential_process holding anything else is
refused, so these lines are always safe to eval.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal, get_args

from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError

Format = Literal["env", "env-no-export", "fish", "powershell", "windows-cmd", "process", "json"]
FORMATS: tuple[str, ...] = get_args(Format)
# Base64 (keys, tokens), ISO 8601 (expiry): nothing any of the shells reads as syntax.
_PLAIN = re.compile(r"[A-Za-z0-9+/=:._-]*\Z")
_LINE: dict[str, Callable[[str, str], str]] = {
    "env": lambda name, value: f"export {name}={value}",
    "env-no-export": lambda name, value: f"{name}={value}",
    "fish": lambda name, value: f'set -gx {name} "{value}"',
    "powershell": lambda name, value: f'$Env:{name}="{value}"',
    "windows-cmd": lambda name, value: f"set {name}={value}",
}


def variables(creds: Credentials) -> dict[str, str]:
    """The variables in the AWS CLI's order; no token or expiry lines when there are none."""
    found = {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
    }
    if creds.session_token is not None:
        found["AWS_SESSION_TOKEN"] = creds.session_token
    if creds.expiration is not None:
        # The AWS CLI prints botocore's datetime with isoformat(): `+00:00`, seconds only.
        found["AWS_CREDENTIAL_EXPIRATION"] = creds.expiration.isoformat()
    return found


def render(creds: Credentials, fmt: str) -> str:
    found = variables(creds)
    if fmt == "process":
        document: dict[str, object] = {
            "Version": 1,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
        }
        if "AWS_SESSION_TOKEN" in found:
            document["SessionToken"] = found["AWS_SESSION_TOKEN"]
        if "AWS_CREDENTIAL_EXPIRATION" in found:
            document["Expiration"] = found["AWS_CREDENTIAL_EXPIRATION"]
        return json.dumps(document, indent=2, separators=(",", ": ")) + "\n"
    if fmt == "json":
        return json.dumps(found, indent=2) + "\n"
    line = _LINE[fmt]
    for name, value in found.items():
        if not _PLAIN.match(value):
            raise AwsenvError(
                f"refusing to print {name} for {fmt}: it holds characters a shell would read "
                "as syntax (credentials never do; check the profile's credential_process)"
            )
    return "".join(line(name, value) + "\n" for name, value in found.items())
