"""Who the credentials are: STS GetCallerIdentity."""

from __future__ import annotations

from awsenv.awsapi import client, client_config, service_errors
from awsenv.credentials import Credentials


def caller_identity(credentials: Credentials | None, region: str | None) -> dict[str, str]:
    """The account, ARN and user id of `credentials`, or of what the environment provides."""
    if credentials is None:
        import boto3

        with service_errors("GetCallerIdentity"):
            config = client_config("sts", region or "us-east-1")
            sts = boto3.Session().client("sts", config=config)
            response = sts.get_caller_identity()
    else:
        sts = client("sts", region or "us-east-1", credentials)
        with service_errors("GetCallerIdentity"):
            response = sts.get_caller_identity()
    return {"Account": response["Account"], "Arn": response["Arn"], "UserId": response["UserId"]}
