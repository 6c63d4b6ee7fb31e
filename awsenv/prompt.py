"""The prompt segment: profile, region and time left on the credentials, with their state.

The shell integration renders the segment itself before each prompt, with builtins only
(shell/awsenv.*, into AWSENV_PROMPT); this module is the reference those renderers are tested
against and what `awsenv prompt` prints for tmux status lines and starship `custom` modules.

Inputs are the variables `awsenv use` exports: AWSENV_PROFILE, AWS_REGION, AWSENV_EXPIRATION
(credentials), AWSENV_SSO_EXPIRATION (access token), AWSENV_SSO_REFRESH_UNTIL (until when the
token can be refreshed without a sign-in), and AWSENV_LOGIN_NEEDED, which the renewal hook sets
to the expiry it gave up on when only a sign-in could help.

States: `ok`; `soon` (valid, renewed before the next command); `renew` (expired, and the next
command renews them from the SSO session, or by assuming the role again); `login` (the SSO
session has ended: sign in).

The profile's mark (AWSENV_ENV: prod, staging... see awsenv.marks) shows as `{env}` in the
colour `{envcolor}`: by default bold white on red for prod and production, cyan for others.

Format (AWSENV_PROMPT_FORMAT or `--format`): `{profile}`, `{region}`, `{left}` (time left, or
the state once expired), `{state}`, `{env}`, `{color}`/`{envcolor}` for the state's and the
mark's colour, and `{reset}`. Text in `( … )` is shown only when a value inside it is not empty;
`\\` takes the next character literally. Colours: AWSENV_PROMPT_COLORS like
`ok=32:soon=33:renew=33:login=31:env=36:env.prod=1;97;41` (SGR codes; an empty code means none;
`env` for every mark, `env.NAME` for one); NO_COLOR turns them off.
"""

from __future__ import annotations

import re

from awsenv.errors import EXIT_USAGE, AwsenvError
from awsenv.timefmt import humanize
from awsenv.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `prompt`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

DEFAULT_FORMAT = "aws:{profile}( {region})( {color}{left}{reset})( {envcolor}{env}{reset})"
DEFAULT_COLORS = {"ok": "32", "soon": "33", "renew": "33", "login": "31"}
# Production stands out (bold white on red); other marks are cyan.
STANDOUT_MARKS = ("prod", "production")
STANDOUT_COLOR = "1;97;41"
MARK_COLOR = "36"
# Credentials with less than this left are renewed before the next command.
DEFAULT_RENEW_WINDOW = 300
STYLES = ("plain", "bash", "zsh", "fish")
SIDES = ("left", "right")

_VALUES = ("profile", "region", "left", "state", "env")
_STYLES = ("color", "envcolor", "reset")
_DIGITS = re.compile(r"[0-9]+")
_SGR = re.compile(r"[0-9;]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class PromptError(AwsenvError):
    exit_code = EXIT_USAGE


def _number(text: str | None) -> int | None:
    return int(text) if text and _DIGITS.fullmatch(text) else None


class Inputs(Value):
    __slots__ = (
        "env",
        "expiration",
        "login_needed",
        "profile",
        "region",
        "sso_expiration",
        "sso_refresh_until",
        "window",
    )

    def __init__(
        self,
        profile: str,
        region: str,
        expiration: int | None,
        sso_expiration: int | None,
        sso_refresh_until: int | None,
        login_needed: bool,
        window: int,
        env: str = "",
    ) -> None:
        self.profile: Final = profile
        self.region: Final = region
        self.expiration: Final = expiration
        self.sso_expiration: Final = sso_expiration
        self.sso_refresh_until: Final = sso_refresh_until
        self.login_needed: Final = login_needed
        self.window: Final = window
        self.env: Final = env

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Inputs:
        raw_expiration = environ.get("AWSENV_EXPIRATION")
        expiration = _number(raw_expiration)
        window = _number(environ.get("AWSENV_RENEW_WINDOW"))
        return cls(
            profile=environ.get("AWSENV_PROFILE", ""),
            region=environ.get("AWS_REGION", ""),
            expiration=expiration,
            sso_expiration=_number(environ.get("AWSENV_SSO_EXPIRATION")),
            sso_refresh_until=_number(environ.get("AWSENV_SSO_REFRESH_UNTIL")),
            login_needed=expiration is not None
            and environ.get("AWSENV_LOGIN_NEEDED") == raw_expiration,
            window=DEFAULT_RENEW_WINDOW if window is None else window,
            env=environ.get("AWSENV_ENV", ""),
        )


class Status(Value):
    __slots__ = ("left", "state")

    def __init__(self, state: str, left: str) -> None:
        self.state: Final = state
        self.left: Final = left


def status(inputs: Inputs, now: int) -> Status:
    """The state at `now` (epoch seconds) and what `{left}` shows."""
    left = 0
    state = "ok"
    refreshable = inputs.sso_refresh_until is not None and inputs.sso_refresh_until > now
    if inputs.expiration is not None:
        left = inputs.expiration - now
        if inputs.login_needed:
            state = "login"
        elif left > inputs.window:
            state = "ok"
        elif left > 0:
            state = "soon"
        elif inputs.sso_expiration is None or inputs.sso_expiration > now or refreshable:
            state = "renew"
        else:
            state = "login"
    elif inputs.sso_expiration is not None:
        # --profile-only: the SDK fetches keys itself while the SSO session lasts.
        left = inputs.sso_expiration - now
        if left <= 0:
            state = "renew" if refreshable else "login"
    if left > 0:
        return Status(state, humanize(left))
    return Status(state, "" if state == "ok" else state)


def _chosen(spec: str, key: str, default: str) -> str:
    """The last valid `key=CODE` of AWSENV_PROMPT_COLORS, else `default`."""
    chosen = None
    for entry in spec.split(":"):
        name, eq, value = entry.partition("=")
        if eq and name == key:
            chosen = value
    return chosen if chosen is not None and _SGR.fullmatch(chosen) else default


def _color_code(state: str, spec: str) -> str:
    return _chosen(spec, state, DEFAULT_COLORS[state])


def _env_code(env: str, spec: str) -> str:
    code = STANDOUT_COLOR if env.lower() in STANDOUT_MARKS else MARK_COLOR
    return _chosen(spec, f"env.{env}", _chosen(spec, "env", code))


def _sgr(code: str, style: str) -> str:
    sequence = f"\x1b[{code}m"
    if style == "bash":
        return f"\x01{sequence}\x02"
    if style == "zsh":
        return f"%{{{sequence}%}}"
    return sequence


def render(
    fmt: str,
    inputs: Inputs,
    now: int,
    *,
    style: str = "plain",
    colors: str = "",
    color: bool = True,
) -> str:
    """The segment for `inputs` at `now`, written for `style` (a shell's prompt, or plain)."""
    if not inputs.profile:
        return ""
    current = status(inputs, now)
    code = _color_code(current.state, colors)
    env_code = _env_code(inputs.env, colors) if inputs.env else ""
    sgr = env_sgr = reset = ""
    if color and code:
        sgr = _sgr(code, style)
    if color and env_code:
        env_sgr = _sgr(env_code, style)
    if color and (code or env_code):
        reset = _sgr("0", style)
    values = {
        "profile": inputs.profile,
        "region": inputs.region,
        "left": current.left,
        "state": current.state,
        "env": inputs.env,
    }
    styles = {"color": sgr, "envcolor": env_sgr, "reset": reset}

    def text(piece: str) -> str:
        return piece.replace("%", "%%") if style == "zsh" else piece

    out: list[str] = []
    group: list[str] | None = None
    shown = False
    i = 0
    while i < len(fmt):
        c = fmt[i]
        i += 1
        piece = text(c)
        if c == "\\" and i < len(fmt):
            piece = text(fmt[i])
            i += 1
        elif c == "(" and group is None:
            group, shown = [], False
            continue
        elif c == ")" and group is not None:
            if shown:
                out += group
            group = None
            continue
        elif c == "{":
            end = fmt.find("}", i)
            name = fmt[i:end] if end >= 0 else ""
            if name in _VALUES:
                value = values[name]
                shown = shown or bool(value)
                piece = text(_CONTROL.sub("?", value))
                i = end + 1
            elif name in _STYLES:
                piece = styles[name]
                i = end + 1
        (out if group is None else group).append(piece)
    if group is not None and shown:
        out += group
    return "".join(out)


def segment(
    environ: Mapping[str, str], now: int, *, fmt: str | None = None, style: str = "plain"
) -> str:
    """The segment the shells keep in AWSENV_PROMPT, from an environment."""
    return render(
        fmt or environ.get("AWSENV_PROMPT_FORMAT") or DEFAULT_FORMAT,
        Inputs.from_env(environ),
        now,
        style=style,
        colors=environ.get("AWSENV_PROMPT_COLORS", ""),
        color=not environ.get("NO_COLOR"),
    )


def install_line(shell: str, side: str) -> str:
    """The line `awsenv init SHELL --prompt SIDE` adds after the integration."""
    if side not in SIDES:
        raise PromptError(f"--prompt takes left or right, not {side!r}")
    if shell == "bash" and side == "right":
        raise PromptError("bash has no right-hand prompt; use --prompt left")
    return f"__awsenv_prompt_install {side}\n"
