"""awsenv's own settings: environment variables over `$XDG_CONFIG_HOME/awsenv/config.toml`.

Read only when a decision needs one (a login, a prompt format), never on the cached `use` path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from awsenv.errors import ConfigError

AUTO_LOGIN_MODES = ("ask", "always", "never")
LOGIN_FLOWS = ("pkce", "device")


def settings_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "awsenv" / "config.toml"


def _file_settings() -> dict[str, Any]:
    path = settings_path()
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            loaded: dict[str, Any] = tomllib.load(f)
            return loaded
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
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


def process_login() -> bool:
    """Whether `export --format process` may sign in (its --login), for credential_process."""
    return get("process_login", ("true", "false"), "false") == "true"
