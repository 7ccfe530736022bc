"""How the running kiosk meets the system: stop signals, systemd's watchdog.

**Signals.** Qt's event loop runs in C++, so a Python signal handler would only run when
some Python code happens to run — Ctrl+C did nothing. ``StopSignals`` registers SIGINT and
SIGTERM with ``signal.set_wakeup_fd``: the C-level handler writes the signal's number to a
socket pair at once, and a small thread reading the other end asks the GUI thread (through
a queued Qt signal) to stop cleanly. The thread, not the GUI, also owns the two limits:

- a second SIGINT/SIGTERM forces the exit at once (worker processes killed first);
- a clean stop that has not finished after ``hard_limit_s`` (the GUI may be frozen) is
  forced the same way.

**Watchdog.** ``Watchdog`` sends ``READY=1`` once the home screen is shown and then
``WATCHDOG=1`` from a QTimer on the GUI thread: a frozen GUI stops the pings and systemd
(``WatchdogSec`` in the unit) restarts the kiosk.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kiosk.service import kill_descendants, sd_notify, watchdog_interval_s

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def force_exit(code: int, why: str) -> None:
    """Kill every worker process below this one, then end this process without cleanup."""
    killed = kill_descendants()
    log.warning("forced exit (%s); killed worker processes %s", why, killed)
    print(f"kiosk: forced exit ({why}); where each thread was:", file=sys.stderr, flush=True)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)  # to the journal
    logging.shutdown()
    os._exit(code)


class _Bridge(QObject):
    stop = Signal(int)


class StopSignals:
    """SIGINT/SIGTERM → ``on_stop(signum)`` on the GUI thread; a second one forces the exit.

    Create it on the main (GUI) thread; ``close()`` restores the previous handlers.
    """

    def __init__(self, on_stop: Callable[[int], None], hard_limit_s: float = 4.5) -> None:
        self.hard_limit_s = hard_limit_s
        self.received: list[int] = []
        self._bridge = _Bridge()
        self._bridge.stop.connect(self._deliver)  # queued: the reader thread emits
        self._on_stop = on_stop
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        self._previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        for s in STOP_SIGNALS:
            # Python's handler itself does nothing: the wake-up byte is what counts
            signal.signal(s, lambda *_: None)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._deadline: threading.Timer | None = None
        self._thread = threading.Thread(target=self._run, name="stop-signals", daemon=True)
        self._thread.start()

    @Slot(int)
    def _deliver(self, signum: int) -> None:
        self._on_stop(signum)

    def _run(self) -> None:
        while True:
            try:
                data = self._read.recv(64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum not in STOP_SIGNALS:
                    continue
                self.received.append(signum)
                name = signal.Signals(signum).name
                if len(self.received) == 1:
                    log.info("%s received: stopping", name)
                    sd_notify("STOPPING=1")
                    self._deadline = threading.Timer(
                        self.hard_limit_s,
                        force_exit,
                        (1, f"clean stop took over {self.hard_limit_s:.1f} s"),
                    )
                    self._deadline.daemon = True
                    self._deadline.start()
                    self._bridge.stop.emit(signum)
                else:
                    force_exit(128 + signum, f"second signal {name}")

    def close(self) -> None:
        """Restore the handlers; called once the clean stop is done (safe twice)."""
        if self._deadline is not None:
            self._deadline.cancel()
        if self._write.fileno() < 0:
            return
        signal.set_wakeup_fd(self._previous_fd)
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._write.close()
        try:
            self._read.shutdown(socket.SHUT_RDWR)  # wakes the reader thread: it ends
        except OSError:
            pass
        self._thread.join(timeout=1)
        self._read.close()


class Watchdog(QObject):
    """``READY=1`` once, then ``WATCHDOG=1`` every ``interval_s`` from the GUI thread."""

    def __init__(self, interval_s: float | None = None) -> None:
        super().__init__()
        self.interval_s = watchdog_interval_s() if interval_s is None else interval_s
        self.pings = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.ping)
        if self.interval_s:
            self._timer.setInterval(max(50, int(self.interval_s * 1000)))

    def ready(self) -> None:
        """The home screen is shown: tell systemd, and start pinging if it watches."""
        sd_notify(f"READY=1\nSTATUS=home screen shown\nMAINPID={os.getpid()}")
        if self.interval_s:
            self.ping()
            self._timer.start()

    @Slot()
    def ping(self) -> None:
        if sd_notify("WATCHDOG=1"):
            self.pings += 1

    def stop(self) -> None:
        self._timer.stop()
