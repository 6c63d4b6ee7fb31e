"""The AWS console signed in with a profile's role credentials, through the federation endpoint.

getSigninToken trades temporary credentials for a sign-in token; the login URL carries that
token and the console page to open. The token lets anyone holding the URL in for 15 minutes, so
it is opened in the browser, or printed on stdout only when asked for (--url-only).
AWSENV_FEDERATION_ENDPOINT points the calls elsewhere (the emulator in tests and the demo).
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError, ServiceError

ENDPOINT_VAR = "AWSENV_FEDERATION_ENDPOINT"
ISSUER = "awsenv"
_SIGNIN = {
    "aws": "https://signin.aws.amazon.com/federation",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/federation",
    "aws-cn": "https://signin.amazonaws.cn/federation",
}
_CONSOLE = {
    "aws": "https://console.aws.amazon.com",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
    "aws-cn": "https://console.amazonaws.cn",
}
_TIMEOUT = 15


def partition(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def destination(region: str, service: str | None) -> str:
    """The console page to land on: a service's home, or the console home, in `region`."""
    path = quote(service.strip("/"), safe="/") if service else "console"
    return f"{_CONSOLE[partition(region)]}/{path}/home?region={quote(region, safe='')}"


def endpoint(region: str) -> str:
    return os.environ.get(ENDPOINT_VAR) or _SIGNIN[partition(region)]


def signin_token(creds: Credentials, region: str) -> str:
    """Trade temporary credentials for a sign-in token (valid 15 minutes)."""
    if not creds.session_token:
        raise AwsenvError(
            "the console needs temporary credentials, and these are long-term keys",
            hint="use an SSO profile or one with role_arn",
        )
    session = json.dumps(
        {
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        }
    )
    url = f"{endpoint(region)}?{urlencode({'Action': 'getSigninToken', 'Session': session})}"
    what = "the federation endpoint (getSigninToken)"
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT, context=_tls()) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ServiceError(f"{what} refused the credentials (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(f"{what} cannot be reached: {reason}") from None
    try:
        token = json.loads(body)["SigninToken"]
    except (ValueError, KeyError, TypeError):
        raise ServiceError(f"{what} answered without a SigninToken") from None
    if not isinstance(token, str) or not token:
        raise ServiceError(f"{what} answered without a SigninToken")
    return token


def login_url(creds: Credentials, region: str, service: str | None = None) -> str:
    """The URL that signs the browser in and opens the console page."""
    params = {
        "Action": "login",
        "Issuer": ISSUER,
        "Destination": destination(region, service),
        "SigninToken": signin_token(creds, region),
    }
    return f"{endpoint(region)}?{urlencode(params)}"


def open_in_browser(url: str) -> None:
    import webbrowser

    if not webbrowser.open(url):
        raise AwsenvError("no browser could be opened", hint="print the URL with --url-only")


def _tls() -> ssl.SSLContext | None:
    """The CA bundle the AWS tools use (AWS_CA_BUNDLE), else the system's."""
    bundle = os.environ.get("AWS_CA_BUNDLE")
    return ssl.create_default_context(cafile=bundle) if bundle else None
