"""No secret from the caches reaches stderr on any error path (issue 14, item 4).

Each case damages a signed-in home in one way, then runs every command that reads the caches;
the output people see (stderr; doctor's report on stdout) must hold none of the access token,
refresh token, client secret or role keys. A `use` that succeeds prints its keys on stdout for
the shell: that output is not looked at.
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from conftest import Home

PROFILE = "Company-1-ReadOnly"
SESSION = "company-1-sso"
TOKEN = f"{hashlib.sha1(SESSION.encode()).hexdigest()}.json"
PAST = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
# What reads the caches: the token (use, export, list, doctor, logout), role keys (use, export).
COMMANDS = (
    ("use", PROFILE, "--shell", "bash"),
    ("export", PROFILE),
    ("list",),
    ("doctor", "--offline"),
    ("logout", "--all"),
)


def secrets_of(home: Home) -> dict[str, str]:
    """Every secret the caches of a signed-in home hold, by name."""
    token = json.loads((home.sso_cache / TOKEN).read_text())
    found = {name: token[name] for name in ("accessToken", "refreshToken", "clientSecret")}
    for path in home.cli_cache.glob("*.json"):
        creds = json.loads(path.read_text())["Credentials"]
        for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
            found[f"{path.name}:{name}"] = creds[name]
    return found


def edit_token(home: Home, **changes: object) -> None:
    path = home.sso_cache / TOKEN
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def drop_role_caches(home: Home) -> None:
    for path in home.cli_cache.glob("*.json"):
        path.unlink()


def expired_with(field: str, shape: Callable[[str], object]) -> Callable[[Home], None]:
    """The access token expired, so a refresh is due, and `field` made not a string."""

    def damage(home: Home) -> None:
        token = json.loads((home.sso_cache / TOKEN).read_text())
        edit_token(home, expiresAt=PAST, **{field: shape(token[field])})
        drop_role_caches(home)

    return damage


def access_token_as(shape: Callable[[str], object]) -> Callable[[Home], None]:
    def damage(home: Home) -> None:
        token = json.loads((home.sso_cache / TOKEN).read_text())
        edit_token(home, accessToken=shape(token["accessToken"]))
        drop_role_caches(home)

    return damage


def role_keys_as(shape: Callable[[str], object]) -> Callable[[Home], None]:
    def damage(home: Home) -> None:
        for path in home.cli_cache.glob("*.json"):
            data = json.loads(path.read_text())
            creds = data["Credentials"]
            creds.update({k: shape(creds[k]) for k in ("AccessKeyId", "SecretAccessKey")})
            path.write_text(json.dumps(data))

    return damage


def service_echoes_the_token(home: Home) -> None:
    """An AWS validation error quoting the request's value, as real services do."""
    token = json.loads((home.sso_cache / TOKEN).read_text())["accessToken"]
    message = (
        f"1 validation error detected: Value '{token}' at 'accessToken' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048"
    )
    home.emulator.inject("GetRoleCredentials", 400, "ValidationException", message, times=20)
    drop_role_caches(home)


def service_rejects_the_token(home: Home) -> None:
    home.emulator.inject("GetRoleCredentials", 401, "UnauthorizedException", "no", times=20)
    drop_role_caches(home)


def refresh_token_spent(home: Home) -> None:
    edit_token(home, expiresAt=PAST)
    home.emulator.expire("refresh_tokens")
    drop_role_caches(home)


def bad_region_in_token(home: Home) -> None:
    edit_token(home, region="not a region!")


CASES: dict[str, Callable[[Home], None]] = {
    "refresh token a list": expired_with("refreshToken", lambda s: [s]),
    "refresh token an object": expired_with("refreshToken", lambda s: {"t": s}),
    "client secret a list": expired_with("clientSecret", lambda s: [s]),
    "client id a list, secret beside it": expired_with("clientId", lambda s: [s, "x"]),
    "access token a list": access_token_as(lambda s: [s]),
    "access token with a newline": access_token_as(lambda s: s + "\n" + s),
    "role keys a list": role_keys_as(lambda s: [s]),
    "role keys with a NUL": role_keys_as(lambda s: s + "\x00"),
    "service echoes the token": service_echoes_the_token,
    "service rejects the token": service_rejects_the_token,
    "refresh token spent": refresh_token_spent,
    "bad region in the token file": bad_region_in_token,
}


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


@pytest.mark.parametrize("case", list(CASES))
def test_no_secret_reaches_stderr_on_any_error_path(home: Home, case: str) -> None:
    assert home.awsenv("use", PROFILE, "--shell", "bash").returncode == 0
    secrets = secrets_of(home)
    CASES[case](home)
    env = {"AWSENV_AUTO_LOGIN": "never"}
    for command in COMMANDS:
        result = home.awsenv(*command, env=env)
        seen = result.stderr + (result.stdout if command[0] == "doctor" else "")
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert not leaks(seen, secrets), (command, leaks(seen, secrets), seen)


def test_no_secret_reaches_stderr_when_the_network_is_down(home: Home) -> None:
    assert home.awsenv("use", PROFILE, "--shell", "bash").returncode == 0
    secrets = secrets_of(home)
    edit_token(home, expiresAt=PAST)
    drop_role_caches(home)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        env = {"AWS_ENDPOINT_URL_SSO_OIDC": url, "AWS_ENDPOINT_URL_SSO": url}
        for command in COMMANDS:
            result = home.awsenv(*command, env=env)
            assert not leaks(result.stderr, secrets), (command, result.stderr)
