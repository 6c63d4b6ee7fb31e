"""Check an incoming SigV4 signature by recomputing it with botocore's own signer."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .protocol import Request

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)"
    r"/(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;_-]+),"
    r"\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str | None) -> Authorization | None:
    match = _AUTH_RE.match((value or "").strip())
    if match is None:
        return None
    return Authorization(
        match["akid"],
        match["date"],
        match["region"],
        match["service"],
        tuple(match["headers"].split(";")),
        match["sig"],
    )


def signature_matches(req: Request, auth: Authorization, secret_key: str) -> bool:
    """Recompute the signature over exactly the headers the client said it signed."""
    timestamp = req.header("x-amz-date") or ""
    headers = {name: req.header(name) for name in auth.signed_headers}
    if (
        "host" not in headers
        or any(v is None for v in headers.values())
        or timestamp[:8] != auth.date
    ):
        return False
    aws_req = AWSRequest(
        method=req.method,
        url=f"http://{headers['host']}{req.target}",
        headers=headers,
        data=req.body,
    )
    aws_req.context["timestamp"] = timestamp
    signer = SigV4Auth(Credentials(auth.access_key_id, secret_key), auth.service, auth.region)
    canonical = signer.canonical_request(aws_req)
    expected = str(signer.signature(signer.string_to_sign(aws_req, canonical), aws_req))
    return hmac.compare_digest(expected, auth.signature)
