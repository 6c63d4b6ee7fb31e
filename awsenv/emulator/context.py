"""What every service handler is given: state, knobs, directory, clock, call log."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from .directory import Directory
from .knobs import Knobs
from .state import State


@dataclass(frozen=True)
class Call:
    """One service call. `params` never holds tokens, secrets, codes or verifiers."""

    seq: int
    operation: str
    params: dict[str, Any]
    status: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "operation": self.operation,
            "params": self.params,
            "status": self.status,
            "error": self.error,
        }


class CallLog:
    """Thread-safe record of service calls, optionally echoed one line each."""

    def __init__(self, echo: TextIO | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._echo = echo

    def add(self, operation: str, params: dict[str, Any], status: int, error: str | None) -> None:
        with self._lock:
            call = Call(len(self._calls) + 1, operation, params, status, error)
            self._calls.append(call)
        if self._echo is not None:
            shown = "".join(f" {k}={v}" for k, v in params.items())
            print(
                f"emulator: {operation}{shown} -> {status} {error or ''}".rstrip(),
                file=self._echo,
                flush=True,
            )

    def list(self, operation: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if operation is None or c.operation == operation]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


class Gates:
    """Calls held back until released: a test makes one client's call wait while another
    client acts, to stage a race the same way every time."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._armed: dict[str, int] = {}
        self._waiting: dict[str, int] = {}
        self._released: set[str] = set()

    def hold(self, operation: str, times: int = 1) -> None:
        """Hold the next `times` calls of `operation` until `release`."""
        with self._lock:
            self._armed[operation] = self._armed.get(operation, 0) + times
            self._released.discard(operation)

    def enter(self, operation: str, timeout: float = 60.0) -> None:
        """Called before serving `operation`: waits while it is held (at most `timeout`)."""
        with self._lock:
            if not self._armed.get(operation):
                return
            self._armed[operation] -= 1
            self._waiting[operation] = self._waiting.get(operation, 0) + 1
            self._lock.notify_all()
            self._lock.wait_for(lambda: operation in self._released, timeout)
            self._waiting[operation] -= 1

    def wait_held(self, operation: str, timeout: float) -> bool:
        """Whether a call of `operation` is being held, waiting up to `timeout` for one."""
        with self._lock:
            return self._lock.wait_for(lambda: self._waiting.get(operation, 0) > 0, timeout)

    def release(self, operation: str | None = None) -> None:
        """Let the held calls of `operation` (of every operation: None) go on."""
        with self._lock:
            names = [operation] if operation else [*self._armed, *self._waiting]
            for name in names:
                self._armed.pop(name, None)
                self._released.add(name)
            self._lock.notify_all()


@dataclass
class Context:
    state: State
    knobs: Knobs
    directory: Directory
    calls: CallLog = field(default_factory=CallLog)
    base_url: str = ""
    # Set to let go of the calls the `hangs` knob holds (on reset and on stop).
    _release: threading.Event = field(default_factory=threading.Event)
    gates: Gates = field(default_factory=Gates)

    def now(self) -> float:
        """The emulator clock: every expiry is computed from it."""
        return time.time() + self.knobs.clock_offset

    def reset(self) -> None:
        """Forget logins and credentials, restore default knobs, clear the call log."""
        self.gates.release()
        self.state.reset()
        self.knobs.reset()
        self.calls.clear()
        self.release_hung()

    def hold(self, limit: float) -> None:
        """Keep a call unanswered until released, or for `limit` seconds at most."""
        self._release.wait(limit)

    def release_hung(self) -> None:
        """Let go of every call held now; later ones are held again."""
        released, self._release = self._release, threading.Event()
        released.set()
