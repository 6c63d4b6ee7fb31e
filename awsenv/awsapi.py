"""boto3 clients for awsenv's calls, and one-line errors from botocore's exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

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


# The error codes with which AWS services say "slow down".
THROTTLING = ("TooManyRequestsException", "ThrottlingException", "Throttling")
_BAD_KEYS = (
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
)


def client(service: str, region: str, credentials: Credentials | None = None) -> Any:
    """A client that signs with `credentials`, or an unsigned one (the SSO APIs need none).

    The session is bare: the profile named in AWS_PROFILE (maybe the one being repaired) must
    not be loaded, yet AWS_ENDPOINT_URL_* still apply as they do for the AWS CLI.
    """
    session = boto3.Session()
    session._session.set_config_variable("profile", None)
    config = Config(
        region_name=region,
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=30,
        **({} if credentials else {"signature_version": UNSIGNED}),
    )
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
        if code in _BAD_KEYS:
            raise CredentialsRejected(f"{what}: {code}: {_message(exc)}") from None
        if code == "AccessDeniedException":
            raise LoginDenied(f"{what}: access denied") from None
        raise ServiceError(f"{what}: {code or 'error'}: {_message(exc)}") from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsenvError(
            f"{what}: no AWS credentials here", hint="run: awsenv use PROFILE"
        ) from None
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectionClosedError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
    ) as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "its endpoint")
        raise ServiceError(f"{what}: cannot reach {endpoint}; is the network up?") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ServiceError(f"{what}: {exc}") from None


def _message(exc: botocore.exceptions.ClientError) -> str:
    text = str(exc.response.get("Error", {}).get("Message") or "")
    return text.splitlines()[0] if text else "no details"
