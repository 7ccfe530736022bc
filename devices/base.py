"""The lifecycle every device backend shares, and lazy backend selection by name.

Like python-can's buses: one abstract base per device kind, many backends, chosen by a
name in the settings and imported only when chosen, so a missing optional library fails at
start-up with a clear message instead of at import time.
"""

from __future__ import annotations

import importlib
from typing import Any, Self

from devices.errors import DeviceUnavailable


class Device:
    """Uniform lifecycle: ``open()``, ``close()`` (safe to call twice), context manager."""

    kind = "device"

    def __init__(self) -> None:
        self._opened = False

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
