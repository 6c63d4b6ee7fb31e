"""Who the credentials are: STS GetCallerIdentity."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone

from awsenv.awsapi import KeysExpired, client, client_config, service_errors
from awsenv.credentials import Credentials
from awsenv.errors import AwsenvError
from awsenv.timefmt import parse_timestamp, rfc3339, utc_now


def caller_identity(credentials: Credentials | None, region: str | None) -> dict[str, str]:
    """The account, ARN and user id of `credentials`, or of what the environment provides."""
    if credentials is None:
        return _environment_identity(region)
    sts = client("sts", region or "us-east-1", credentials)
    with service_errors("GetCallerIdentity"):
        response = sts.get_caller_identity()
    return {"Account": response["Account"], "Arn": response["Arn"], "UserId": response["UserId"]}


def _environment_identity(region: str | None) -> dict[str, str]:
    import boto3

    in_shell = bool(os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"))
    stated = _parse(os.environ.get("AWS_CREDENTIAL_EXPIRATION"), parse_timestamp)
    if in_shell and stated is not None and stated <= utc_now():
        # botocore would give up on them with a bare RuntimeError ("still expired").
        raise _expired(stated)
    try:
        with service_errors("GetCallerIdentity"):
            config = client_config("sts", region or "us-east-1")
            sts = boto3.Session().client("sts", config=config)
            response = sts.get_caller_identity()
    except KeysExpired:
        if not in_shell:  # keys from a credentials file or the instance: not this shell's
            raise
        now = utc_now()
        recorded = _parse(os.environ.get("AWSENV_EXPIRATION"), _epoch)
        past = [moment for moment in (stated, recorded) if moment is not None and moment <= now]
        raise _expired(min(past, default=None)) from None
    return {"Account": response["Account"], "Arn": response["Arn"], "UserId": response["UserId"]}


def _expired(moment: datetime | None) -> AwsenvError:
    when = "have expired" if moment is None else f"expired at {rfc3339(moment)}"
    return AwsenvError(f"the keys in this shell {when}", hint="run: awsenv use PROFILE")


def _epoch(text: str) -> datetime:
    return datetime.fromtimestamp(int(text), timezone.utc)


def _parse(text: str | None, parse: Callable[[str], datetime]) -> datetime | None:
    """`text` as a moment in time; None when absent or not one (the service then decides)."""
    if not text:
        return None
    try:
        return parse(text)
    except (ValueError, OverflowError, OSError):
        return None
