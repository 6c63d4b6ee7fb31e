"""The emulator's behaviour switches, settable from Python and over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class InjectedError:
    status: int
    type: str
    message: str


def _check_error_entry(entry: object) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise ValueError("an injected error must be an object")
    status, type_ = entry.get("status"), entry.get("type")
    message, times = entry.get("message", ""), entry.get("times", 1)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        raise ValueError("injected error needs an integer status 400-599")
    if not isinstance(type_, str) or not type_:
        raise ValueError("injected error needs a type (the error code)")
    if not isinstance(message, str):
        raise ValueError("injected error message must be a string")
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("injected error times must be a positive integer")
    return {"status": status, "type": type_, "message": message, "times": times}


@dataclass
class Knobs:
    """All durations are seconds; expiries use the emulator clock (real time + clock_offset)."""

    access_token_ttl: int = 8 * HOUR
    issue_refresh_tokens: bool = True
    refresh_token_ttl: int = 90 * DAY
    # Using a refresh token invalidates it; off = old refresh tokens keep working.
    single_use_refresh_tokens: bool = True
    registration_ttl: int = 90 * DAY
    role_credentials_ttl: int = HOUR
    device_code_ttl: int = 600
    device_interval: int = 1
    # On: polling CreateToken faster than device_interval gets SlowDownException.
    device_poll_strict: bool = False
    clock_offset: float = 0.0
    # The user refuses consent (authorize page and device page).
    deny: bool = False
    latency: float = 0.0
    # The one-time code a virtual MFA device shows right now.
    mfa_code: str = "123456"
    # Operation name -> queue of {"status", "type", "message", "times"}.
    errors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Operation name -> how many of its next calls get no answer: the connection stays open,
    # silent, until the client gives up (a read timeout) or the emulator is reset.
    hangs: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
            out["errors"] = {op: [dict(e) for e in q] for op, q in self.errors.items()}
            out["hangs"] = dict(self.hangs)
        return out

    def update(self, changes: Mapping[str, object]) -> None:
        """Set the given knobs, leave the rest. All-or-nothing on bad input."""
        # Types come from the defaults: Python code may have stored an int in a float knob.
        defaults = Knobs()
        names = {f.name for f in fields(self)} - {"_lock"}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in names:
                raise ValueError(f"unknown knob {name!r}")
            checked[name] = _check_value(name, getattr(defaults, name), value)
        with self._lock:
            for name, value in checked.items():
                setattr(self, name, value)

    def reset(self) -> None:
        """Back to defaults, in place (callers hold on to this object)."""
        fresh = Knobs()
        with self._lock:
            for f in fields(self):
                if f.name != "_lock":
                    setattr(self, f.name, getattr(fresh, f.name))

    def inject(
        self, operation: str, status: int, type: str, message: str = "", times: int = 1
    ) -> None:
        """Queue an error for the next `times` calls of `operation`."""
        entry = _check_error_entry(
            {"status": status, "type": type, "message": message, "times": times}
        )
        with self._lock:
            self.errors.setdefault(operation, []).append(entry)

    def hang(self, operation: str, times: int = 1) -> None:
        """Leave the next `times` calls of `operation` unanswered."""
        if times < 1:
            raise ValueError("hang times must be a positive integer")
        with self._lock:
            self.hangs[operation] = times

    def take_hang(self, operation: str) -> bool:
        """Consume one of the calls of `operation` that get no answer; False when none is due."""
        with self._lock:
            left = self.hangs.get(operation, 0)
            if left <= 0:
                return False
            if left == 1:
                del self.hangs[operation]
            else:
                self.hangs[operation] = left - 1
            return True

    def take_error(self, operation: str) -> InjectedError | None:
        """Consume one use of the first queued error for `operation`."""
        with self._lock:
            queue = self.errors.get(operation)
            if not queue:
                return None
            head = queue[0]
            head["times"] = head.get("times", 1) - 1
            if head["times"] <= 0:
                queue.pop(0)
            if not queue:
                del self.errors[operation]
            return InjectedError(head["status"], head["type"], head.get("message", ""))


def _check_value(name: str, default: object, value: object) -> object:
    if name == "errors":
        if not isinstance(value, Mapping):
            raise ValueError("errors must map operation names to lists")
        out: dict[str, list[dict[str, Any]]] = {}
        for op, queue in value.items():
            if not isinstance(op, str) or not isinstance(queue, list):
                raise ValueError("errors must map operation names to lists")
            if queue:
                out[op] = [_check_error_entry(e) for e in queue]
        return out
    if name == "hangs":
        if not isinstance(value, Mapping) or not all(
            isinstance(op, str) and isinstance(n, int) and not isinstance(n, bool) and n > 0
            for op, n in value.items()
        ):
            raise ValueError("hangs must map operation names to positive integers")
        return dict(value)
    # bool is an int subclass: check it first so True never becomes a TTL.
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
        return value
    if isinstance(default, float):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"{name} must be a number")
        if name != "clock_offset" and value < 0:
            raise ValueError(f"{name} must not be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value
