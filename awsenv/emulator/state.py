"""Everything the services have issued, optionally persisted to a JSON file."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
AUTH_CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"


@dataclass
class Client:
    client_id: str
    client_secret: str
    client_name: str
    scopes: list[str]
    grant_types: list[str]
    redirect_uris: list[str]
    issuer_url: str | None
    issued_at: float
    expires_at: float

    def allows(self, grant: str) -> bool:
        # A registration without grantTypes is the classic device-code client.
        return grant in (self.grant_types or [DEVICE_GRANT, REFRESH_GRANT])


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    status: str = "pending"  # pending | approved | denied | used
    last_poll: float = 0.0  # real time, for SlowDown


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    challenge: str
    start_url: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class Token:
    """An access or refresh token; `session_id` ties together one sign-in."""

    token: str
    session_id: str
    client_id: str
    start_url: str
    scopes: list[str]
    expires_at: float
    revoked: bool = False


@dataclass
class AwsKey:
    """An access key pair: an IAM user's (kind "user") or temporary credentials."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expires_at: float | None
    account_id: str
    arn: str
    user_id: str
    kind: str  # user | sso-role | assumed-role | session


_TABLES: dict[str, type[Any]] = {
    "clients": Client,
    "devices": Device,
    "codes": AuthCode,
    "access_tokens": Token,
    "refresh_tokens": Token,
    "keys": AwsKey,
}


@dataclass
class State:
    """Hold `lock` while reading or changing anything here."""

    path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    clients: dict[str, Client] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)  # by device code
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Token] = field(default_factory=dict)
    keys: dict[str, AwsKey] = field(default_factory=dict)  # by access key id

    def load(self) -> None:
        """Read `path` if it exists (a restarted emulator keeps its sessions)."""
        if self.path is None or not self.path.exists():
            return
        data = json.loads(self.path.read_text())
        with self.lock:
            for name, cls in _TABLES.items():
                table: dict[str, Any] = getattr(self, name)
                table.clear()
                for key, record in data.get(name, {}).items():
                    table[key] = cls(**record)

    def save(self) -> None:
        """Write `path` atomically, mode 0600: it holds live secrets."""
        if self.path is None:
            return
        with self.lock:  # held while writing, so an older snapshot never lands last
            data = {
                name: {k: asdict(v) for k, v in getattr(self, name).items()} for name in _TABLES
            }
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".emulator-state-")
            try:
                with os.fdopen(fd, "w") as f:
                    json.dump(data, f)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise

    def reset(self) -> None:
        """Forget every login and credential; IAM users stay (they are configuration)."""
        with self.lock:
            for name in _TABLES:
                if name != "keys":
                    getattr(self, name).clear()
            self.keys = {k: v for k, v in self.keys.items() if v.kind == "user"}

    def expire(self, what: str, now: float) -> int:
        """Make every live item of one kind expire now; returns how many."""
        with self.lock:
            items: list[Any]
            if what == "access_tokens":
                items = list(self.access_tokens.values())
            elif what == "refresh_tokens":
                items = list(self.refresh_tokens.values())
            elif what == "registrations":
                items = list(self.clients.values())
            elif what == "device_codes":
                items = list(self.devices.values())
            elif what == "role_credentials":
                items = [k for k in self.keys.values() if k.kind != "user"]
            else:
                raise ValueError(f"cannot expire {what!r}")
            live = [i for i in items if i.expires_at > now]
            for item in live:
                item.expires_at = now - 1
            return len(live)
