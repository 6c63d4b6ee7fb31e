"""boto3 clients for awsenv's calls, and one-line errors from botocore's exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from awsenv import redact
from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError, LoginDenied, ServiceError


class TokenRejected(AwsenvError):
    """The portal answered UnauthorizedException: the access token is dead."""


class InvalidGrant(AwsenvError):
    """CreateToken answered InvalidGrantException ("Invalid grant provided")."""


class InvalidClient(AwsenvError):
    """The cached client registration is no longer accepted."""


class CredentialsRejected(AwsenvError):
    """STS refused the keys: expired, unknown or badly signed."""


class KeysExpired(CredentialsRejected):
    """STS refused the keys as expired (ExpiredToken)."""


# The error codes with which AWS services say "slow down".
THROTTLING = ("TooManyRequestsException", "ThrottlingException", "Throttling")
_EXPIRED_KEYS = ("ExpiredToken", "ExpiredTokenException")
_BAD_KEYS = (
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
)


# How long awsenv waits on AWS: (seconds to connect, seconds for an answer, tries). SSO and STS
# answer in well under a second; botocore's defaults (60 s each, more tries) kept `use` waiting
# minutes. Sign-in calls carry one-time codes and single-use refresh tokens: once the service
# may have taken one, asking again cannot succeed, so a longer wait and one retry only.
# Role keys (and STS) are idempotent and throttled under load: shorter waits, three tries.
# The most a call can take is tries x (connect + answer) plus backoff: about 30 s either way.
# The portal's account and role listing ("sso-listing") retries throttling itself, with a
# backoff its threads share (sso.Backoff), as botocore's retry quota runs dry under many
# throttled calls at once: botocore tries once, so that one try may wait longer.
PATIENCE = {
    "sso-oidc": (3, 10, 2),
    "sso": (3, 5, 3),
    "sso-listing": (3, 30, 1),
    "sts": (3, 5, 3),
}


def client_config(calls: str, region: str | None, **options: Any) -> Config:
    """The timeouts and retries of PATIENCE for `calls` (a service, or "sso-listing"), with
    `options` (Config's)."""
    connect, read, tries = PATIENCE[calls]
    return Config(
        region_name=region,
        retries={"mode": "standard", "total_max_attempts": tries},
        connect_timeout=connect,
        read_timeout=read,
        **options,
    )


def client(
    service: str,
    region: str,
    credentials: Credentials | None = None,
    *,
    calls: str | None = None,
    **options: Any,
) -> Any:
    """A client that signs with `credentials`, or an unsigned one (the SSO APIs need none),
    patient as PATIENCE says for `calls` (default: the service's), with Config `options`.

    The session is bare: the profile named in AWS_PROFILE (maybe the one being repaired) must
    not be loaded, yet AWS_ENDPOINT_URL_* still apply as they do for the AWS CLI.
    """
    session = boto3.Session()
    session._session.set_config_variable("profile", None)
    if credentials is None:
        options["signature_version"] = UNSIGNED
    config = client_config(calls or service, region, **options)
    if credentials is None:
        return session.client(service, config=config)
    return session.client(
        service,
        config=config,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


@contextmanager
def service_errors(what: str) -> Iterator[None]:
    """Turn botocore's exceptions into one-line awsenv errors (never with secrets in them)."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "UnauthorizedException":
            raise TokenRejected(
                f"{what}: the SSO session has expired or is otherwise invalid"
            ) from None
        if code == "InvalidGrantException":
            raise InvalidGrant(f"{what}: Invalid grant provided") from None
        if code in ("InvalidClientException", "UnauthorizedClientException"):
            raise InvalidClient(f"{what}: the client registration is no longer valid") from None
        if code in (*THROTTLING, "SlowDownException"):
            raise ServiceError(
                f"{what}: throttled by the service, still after retries; try again shortly"
            ) from None
        if code in _EXPIRED_KEYS:
            raise KeysExpired(f"{what}: {redact.botocore_error(exc)}") from None
        if code in _BAD_KEYS:
            raise CredentialsRejected(f"{what}: {redact.botocore_error(exc)}") from None
        if code == "AccessDeniedException":
            raise LoginDenied(f"{what}: access denied") from None
        raise ServiceError(f"{what}: {redact.botocore_error(exc)}") from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsenvError(
            f"{what}: no AWS credentials here", hint="run: awsenv use PROFILE"
        ) from None
    except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as exc:
        raise ServiceError(
            f"{what}: {_endpoint(exc)} did not answer in time, nor when asked again; "
            "the service or the network is slow: try again shortly"
        ) from None
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectionClosedError,
    ) as exc:
        raise ServiceError(
            f"{what}: cannot reach {_endpoint(exc)}{_cause(exc)}; is the network up?"
        ) from None
    except botocore.exceptions.ParamValidationError as exc:
        # A value from a cache file botocore would not send: name it, never quote it.
        raise AwsenvError(f"{what}: {redact.botocore_error(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ServiceError(f"{what}: {redact.botocore_error(exc)}") from None


def _endpoint(exc: botocore.exceptions.BotoCoreError) -> str:
    return str(getattr(exc, "kwargs", {}).get("endpoint_url") or "its endpoint")


# "[Errno 111] Connection refused", "[Errno -2] Name or service not known", ...
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"\])]+)")


def _cause(exc: botocore.exceptions.BotoCoreError) -> str:
    """Why the connection failed, as the OS said it (refused, unreachable, unknown name)."""
    found = _ERRNO.search(str(getattr(exc, "kwargs", {}).get("error", "")))
    return f" ({found.group(1).strip().lower()})" if found else ""
