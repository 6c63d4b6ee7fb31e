"""A stand-in browser that plays the consenting user: ``python -m awsenv.emulator.browser URL``.

It fetches URL and follows redirects, so the PKCE authorize page's redirect lands on the
app's loopback callback and the device page approves its user code. One line per step on
stderr, nothing on stdout; exit 0 when every step answered below 400. Tests point $BROWSER at
it (``<python> -m awsenv.emulator.browser %s``); webbrowser then runs it and waits, so the app
must already be serving its loopback listener when it opens the browser.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_PARAMS = ("code",)  # the authorization code travels in the callback URL
_TIMEOUT = 30


def _shown(url: str) -> str:
    """`url` with secret query values replaced, fit for a log line."""
    parts = urlsplit(url)
    query = [
        (k, "<redacted>" if k in _SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))


def _log(message: str) -> None:
    print(f"browser: {message}", file=sys.stderr, flush=True)


class _LoggingRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _log(f"{code} redirect to {_shown(newurl)}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def visit(url: str) -> int:
    """Fetch `url` as a user's browser would; returns the exit status."""
    # No proxies: every URL this browser sees is on the loopback interface.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoggingRedirects())
    _log(f"GET {_shown(url)}")
    try:
        with opener.open(url, timeout=_TIMEOUT) as resp:
            _log(f"{resp.status} from {_shown(resp.url)}")
    except urllib.error.HTTPError as exc:
        _log(f"{exc.code} from {_shown(exc.url)}")
        return 1
    except (urllib.error.URLError, OSError) as exc:
        _log(f"failed: {exc}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m awsenv.emulator.browser URL", file=sys.stderr)
        return 2
    return visit(args[0])


if __name__ == "__main__":
    sys.exit(main())
