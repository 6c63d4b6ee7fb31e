"""awsenv's own settings: environment variables over `$XDG_CONFIG_HOME/awsenv/config.toml`.

Read only when a decision needs one (a login, a prompt format, a profile's production mark).
Marks are needed on every `use`: without a config.toml that costs one stat, and the file
is parsed at most once per process.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from awsenv.errors import ConfigError
from awsenv.files import RefusedFile, read_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on every `use`
if TYPE_CHECKING:
    from typing import Any

AUTO_LOGIN_MODES = ("ask", "always", "never")
LOGIN_FLOWS = ("pkce", "device")
# What a person types to switch into a production profile (awsenv.guard).
GUARD_CONFIRMS = ("profile", "account", "yes")
# What entering a directory whose .awsenv names a production profile does.
DIR_GUARDS = ("ask", "show")


def settings_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "awsenv" / "config.toml"


def _file_settings() -> dict[str, Any]:
    path = settings_path()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return _load(path, info.st_mtime_ns, info.st_size)


@functools.cache
def _load(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    """The parsed file, once per process and version (the arguments after `path` key it)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        # read_text: a FIFO, /dev/zero or a directory at this path is refused, never waited on.
        text = read_text(path)
        if text is None:
            return {}
        loaded: dict[str, Any] = tomllib.loads(text)
        return loaded
    except RefusedFile as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def get(name: str, choices: tuple[str, ...], default: str) -> str:
    """Setting `name` from AWSENV_<NAME> or the settings file, checked against `choices`."""
    env_name = f"AWSENV_{name.upper()}"
    raw = os.environ.get(env_name)
    source = env_name
    if not raw:
        raw = _file_settings().get(name)
        source = f"{name} in {settings_path()}"
    if raw is None or raw == "":
        return default
    value = str(raw).strip().lower()
    if value not in choices:
        raise ConfigError(f"{source} is {raw!r}; expected one of: {', '.join(choices)}")
    return value


def auto_login() -> str:
    return get("auto_login", AUTO_LOGIN_MODES, "ask")


def login_flow() -> str:
    return get("login_flow", LOGIN_FLOWS, "pkce")


def guard_confirm() -> str:
    return get("guard_confirm", GUARD_CONFIRMS, "profile")


def dir_guard() -> str:
    return get("dir_guard", DIR_GUARDS, "ask")


def idle_drop_seconds() -> int:
    """`idle_drop_minutes`: after how long without a command a production profile's keys
    leave the shell (0: never). Fractions are allowed (0.5 is 30 s)."""
    raw = os.environ.get("AWSENV_IDLE_DROP_MINUTES")
    source = "AWSENV_IDLE_DROP_MINUTES"
    if not raw:
        raw = _file_settings().get("idle_drop_minutes")
        source = f"idle_drop_minutes in {settings_path()}"
    if raw is None or raw == "":
        return 0
    try:
        minutes = float(str(raw).strip()) if not isinstance(raw, bool) else -1.0
    except ValueError:
        minutes = -1.0
    if not 0 <= minutes <= 10_000_000:
        raise ConfigError(f"{source} is {raw!r}; expected a number of minutes (0: never)")
    return max(1, round(minutes * 60)) if minutes else 0


def table(name: str) -> dict[str, Any]:
    """A `[name]` table of the settings file ({} when absent)."""
    value = _file_settings().get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{name} in {settings_path()} must be a table ([{name}...])")
    return value


def names(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list of strings from the settings file."""
    value = _file_settings().get(name)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} in {settings_path()} must be a list of strings")
    return tuple(value)


def process_login() -> bool:
    """Whether `export --format process` may sign in (its --login), for credential_process."""
    return get("process_login", ("true", "false"), "false") == "true"
