"""Error text from botocore and AWS with the request's values taken out: they can be secrets.

botocore's parameter check quotes the offending value ("Invalid type for parameter
refreshToken, value: [...]"), so does the HTTP client ("Invalid header value b'...'"), and AWS
validation messages echo it ("Value '...' at 'accessToken' failed to satisfy constraint").
Every such error goes through here before it reaches the user. Imports nothing from
botocore: callers pass its exceptions in.
"""

from __future__ import annotations

import re

# The lines of botocore's validation report, each up to (never including) the value it quotes.
# A value with a newline in it spreads over lines of its own: only these known starts are kept.
_REPORT_LINE = re.compile(
    r"^(Invalid (?:type|value|length) for (?:document )?parameter \S+?), value: "
    r'|^(Missing required parameter in \S+: "[^"\n]*")'
    r'|^(Unknown parameter in \S+: "[^"\n]*")'
    r"|^(Invalid parameter \S+ must be json serializable)"
    r"|^(Invalid number of parameters set for tagged union structure \S+?)\.",
    re.MULTILINE,
)
# AWS's validation format; the value may be anything up to the quote before " at '".
_ECHOED_VALUE = re.compile(r"Value '.*?' at '", re.DOTALL)


def botocore_error(exc: BaseException) -> str:
    """One line for a botocore exception, with any request value it carries taken out."""
    kind = type(exc).__name__
    if kind == "ParamValidationError":
        return validation_report(str(getattr(exc, "kwargs", {}).get("report", "")))
    kwargs = getattr(exc, "kwargs", None)
    if kind == "HTTPClientError":
        # Anything that failed while sending, the request in its text (an invalid header
        # value quotes the header): only the kind of failure is shown.
        error = kwargs.get("error") if isinstance(kwargs, dict) else None
        return f"the HTTP request failed ({type(error).__name__ if error else 'no details'})"
    if isinstance(kwargs, dict) and "value" in kwargs:
        # ValidationError and its kin (UnknownKeyError, RangeError) quote a value too.
        return f"invalid value for parameter {kwargs.get('param', '?')} (value not shown)"
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # a ClientError: the service's words, which may echo
        error = response.get("Error", {})
        return f"{error.get('Code') or 'error'}: {service_message(str(error.get('Message') or ''))}"
    return first_line(str(exc))


def validation_report(report: str) -> str:
    """botocore's validation report as one line that names parameters, never their values."""
    found = ["".join(m.groups(default="")) for m in _REPORT_LINE.finditer(report)]
    shown = "; ".join(found) if found else "invalid request parameters"
    return f"{shown} (values not shown)"


def service_message(text: str) -> str:
    """A service's error message, first line, with values it echoes from the request removed."""
    return first_line(_ECHOED_VALUE.sub("Value (not shown) at '", text)) or "no details"


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""
