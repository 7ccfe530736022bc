"""The lifecycle every device backend shares, and lazy backend selection by name.

Like python-can's buses: one abstract base per device kind, many backends, chosen by a
name in the settings and imported only when chosen, so a missing optional library fails at
start-up with a clear message instead of at import time.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from devices.errors import DeviceError, DeviceUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


class Listeners(Generic[T]):
    """The one listener fan-out of every device: thread-safe, and a failing listener is
    logged without keeping the others (or the device's thread) from hearing the news."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._lock = threading.Lock()
        self._listeners: list[Callable[[T], None]] = []

    def add(self, listener: Callable[[T], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Callable[[T], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def clear(self) -> None:
        with self._lock:
            self._listeners.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._listeners)

    def emit(self, value: T) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(value)
            except Exception:
                log.exception("%s listener failed", self.what)


class Device:
    """Uniform lifecycle: ``open()``, ``close()`` (safe to call twice), context manager.

    Capability every device has: error events (``subscribe_errors``): failures the device
    hits on its own (a reader's thread, a printer's status), typed ``DeviceError``s with a
    code and words for the citizen. Each kind's base class declares its own capabilities
    (a card reader's ``probe`` and ``present``, a printer's ``reset_roll``)."""

    kind = "device"

    def __init__(self) -> None:
        self._opened = False
        self.errors: Listeners[DeviceError] = Listeners(f"{self.kind} error")
        self.last_error: DeviceError | None = None

    def subscribe_errors(self, on_error: Callable[[DeviceError], None]) -> None:
        """Also report failures (typed errors with ``code``, ``message_zh``/``message_en``)."""
        self.errors.add(on_error)

    def report(self, error: DeviceError) -> None:
        """A backend tells the error listeners about a failure."""
        self.last_error = error
        self.errors.emit(error)

    @property
    def is_open(self) -> bool:
        return self._opened

    def open(self) -> None:
        self._open()
        self._opened = True

    def close(self) -> None:
        if not self._opened:
            return
        self._opened = False
        self._close()

    def _open(self) -> None:  # pragma: no cover - trivial default
        pass

    def _close(self) -> None:  # pragma: no cover - trivial default
        pass

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_backend(registry: dict[str, str], name: str, kind: str) -> Any:
    """Import and return the class registered as ``name`` ("module:Class").

    Raises DeviceUnavailable naming the allowed backends or the missing library.
    """
    try:
        target = registry[name]
    except KeyError:
        allowed = ", ".join(sorted(registry))
        raise DeviceUnavailable(f"unknown {kind} backend {name!r}; allowed: {allowed}") from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DeviceUnavailable(
            f"{kind} backend {name!r} needs a library that is not installed: {exc.name}"
        ) from exc
    return getattr(module, class_name)
