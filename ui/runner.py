"""Runs the core's blocking work on a thread pool and delivers results on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Deliver(QObject):
    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run)  # queued across threads: runs on the GUI thread

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()


class _Job(QRunnable):
    def __init__(
        self, work: Callable[[], Any], done: Callable[[Any], None], deliver: _Deliver
    ) -> None:
        super().__init__()
        self.work, self.done, self.deliver = work, done, deliver

    def run(self) -> None:
        try:
            result: Any = self.work()
        except Exception as exc:  # the flow turns it into a message for the citizen
            result = exc
        done = self.done
        self.deliver.call.emit(lambda: done(result))


class QtRunner:
    def __init__(self, max_threads: int = 4) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._deliver = _Deliver()
        self.pending = 0

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.pending += 1

        def finished(result: Any) -> None:
            self.pending -= 1
            done(result)

        self.pool.start(_Job(work, finished, self._deliver))

    def post(self, fn: Callable[[], None]) -> None:
        self._deliver.call.emit(fn)

    def shutdown(self) -> None:
        self.pool.waitForDone(10_000)
