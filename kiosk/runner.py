"""Where blocking work runs, and how its result comes back.

The flow never blocks: it hands HTTP calls and print jobs to a ``Runner``. ``submit`` runs
``work`` somewhere and delivers its result (or the exception it raised) to ``done`` on the
owner's thread; ``post`` runs a function on the owner's thread (for device events coming from
a reader's thread). The Qt UI provides a runner that delivers on the GUI thread; tests and
benchmarks use ``ImmediateRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Runner(Protocol):
    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None: ...

    def post(self, fn: Callable[[], None]) -> None: ...


class ImmediateRunner:
    """Runs work at once in the caller's thread. ``done`` gets the result or the exception."""

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        try:
            result: Any = work()
        except Exception as exc:  # delivered, not raised: the flow decides what to tell
            result = exc
        done(result)

    def post(self, fn: Callable[[], None]) -> None:
        fn()
