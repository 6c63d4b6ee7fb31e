"""HTTP request/response values and the error format each service speaks."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


class Protocol(Enum):
    OIDC = "oidc"  # rest-json, OAuth-style error bodies
    PORTAL = "portal"  # rest-json, {"message"} error bodies
    STS = "sts"  # query protocol, XML
    PAGE = "page"  # HTML pages a browser sees
    CONTROL = "control"  # the emulator's own JSON API


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    target: str  # path and query exactly as sent (SigV4 signs it)
    request_id: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ServiceError(400, "InvalidRequestException", "Malformed JSON body") from None
        if not isinstance(data, dict):
            raise ServiceError(400, "InvalidRequestException", "Body must be a JSON object")
        return data

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Mapping[str, Any], status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode())


def xml_response(root: str, children: Mapping[str, Any], status: int = 200) -> Response:
    body = f'<{root} xmlns="{STS_NAMESPACE}">{_xml_children(children)}</{root}>'
    return Response(status, body.encode(), "text/xml")


def _xml_children(children: Mapping[str, Any]) -> str:
    parts = []
    for tag, value in children.items():
        inner = _xml_children(value) if isinstance(value, Mapping) else escape(str(value))
        parts.append(f"<{tag}>{inner}</{tag}>")
    return "".join(parts)


def page(status: int, title: str, text: str) -> Response:
    body = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return Response(status, body.encode(), "text/html; charset=utf-8")


def redirect(location: str, params: Mapping[str, str]) -> Response:
    sep = "&" if "?" in location else "?"
    return Response(302, b"", "text/plain", {"Location": f"{location}{sep}{urlencode(params)}"})


def _oauth_error_name(code: str) -> str:
    # AuthorizationPendingException -> authorization_pending (RFC 6749/8628 names).
    stem = code.removesuffix("Exception")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


def error_response(protocol: Protocol, err: ServiceError, request_id: str) -> Response:
    """Render `err` the way the real service would, so botocore parses it."""
    if protocol is Protocol.OIDC:
        body = {"error": _oauth_error_name(err.code), "error_description": err.message}
        resp = json_response(body, err.status)
    elif protocol is Protocol.PORTAL:
        resp = json_response({"message": err.message}, err.status)
    elif protocol is Protocol.STS:
        fault = "Sender" if err.status < 500 else "Receiver"
        return xml_response(
            "ErrorResponse",
            {
                "Error": {"Type": fault, "Code": err.code, "Message": err.message},
                "RequestId": request_id,
            },
            err.status,
        )
    elif protocol is Protocol.PAGE:
        return page(err.status, err.code, err.message)
    else:
        resp = json_response({"error": err.code, "message": err.message}, err.status)
    resp.headers["x-amzn-ErrorType"] = err.code
    return resp
