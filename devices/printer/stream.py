"""What every printer reached through a byte stream does the same way (TCP, serial, USB).

A subclass supplies four transport methods (``_connect``, ``_disconnect``, ``_write``,
``_read``); this class owns the rules, so they hold for every backend:

1. **Status before each job** (``DLE EOT`` 1, 2, 4 and 3 on error; see
   ``devices.printer.status``). A printer that says it cannot print (paper out, cover open,
   offline, error, unreachable) gets nothing: ``PrinterError(message, status)`` is raised
   before a byte of the job is sent, so the caller shows the number and offers a reprint.
2. **No answer is "unknown", never fine.** ``what_to_do_on_unknown="print"`` (default)
   sends the job anyway and the returned ``PrintJob.status`` says "unknown" (nobody knows
   whether the ticket came out); ``"refuse"`` raises PrinterError instead.
3. **Status after the job**, once the printer has had time to print it (its length divided
   by ``print_speed_mm_s``): a job that ran out of paper midway raises PrinterError with
   that status, so the caller offers a reprint.
4. **Paper near end** → the job succeeds and its status says "near_end" (alert staff).
5. **Paper counter** for printers that never answer: every job's paper length is estimated
   (``devices.printer.commands.feed_mm``) and added to the roll's used length. When the
   printer is silent and less than ``roll_warn_mm`` is left of ``roll_length_mm``, the
   status is "near_end" (flag "roll_estimate_low"); ``reset_roll()`` after a new roll.
   With ``roll_state_path`` the counter survives restarts (a small JSON file).

Units: lengths in mm, times in seconds, speed in mm/s. A lost connection is re-opened on
the next status question or job; ``open()`` raises DeviceUnavailable when the printer
cannot be reached at all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from pathlib import Path
from typing import Literal

from devices.errors import DeviceUnavailable, PrinterError
from devices.printer.base import Printer, PrinterStatus, PrintJob, Writer, new_dummy
from devices.printer.commands import feed_mm
from devices.printer.status import NO_ANSWER, ROLL_LOW, UNREACHABLE, query_status

log = logging.getLogger(__name__)

OnUnknown = Literal["print", "refuse"]

#: Longest wait (s) for a job to come out before the status after it is asked.
MAX_SETTLE_S = 10.0


class StreamPrinter(Printer):
    """Base of the network, serial and USB backends (see the module docstring).

    Keyword arguments (all backends):
        paper_width_mm: 58 or 80.
        status_timeout_s: wait per ``DLE EOT`` question (s), default 0.5.
        ask_status: False for a printer known to ignore ``DLE EOT`` (status is then
            always "unknown" and only the paper counter warns).
        what_to_do_on_unknown: "print" (default) or "refuse".
        roll_length_mm: paper on a full roll (mm), default 50 000 (80 mm × 50 m rolls).
        roll_warn_mm: warn when less than this is left (mm), default 5 000 (~35 tickets).
        roll_state_path: JSON file keeping the used length across restarts, or None.
        print_speed_mm_s: how fast the printer feeds paper (mm/s), to know when a job has
            come out; None for no wait (simulators print instantly). Default 150.
        write_timeout_s: longest time (s) to hand a job to the transport, default 10.
        native_qr: False for printers without ``GS ( k``: QR codes go as raster images.
        out_dir: accepted so every backend takes the kiosk's common settings; unused (a
            real printer's output is paper).
    """

    counts_roll = True

    @property
    def description(self) -> str:
        """The connection in words, for messages ("network printer 10.0.0.5:9100")."""
        return "printer"

    def __init__(
        self,
        paper_width_mm: int = 80,
        *,
        status_timeout_s: float = 0.5,
        ask_status: bool = True,
        what_to_do_on_unknown: OnUnknown = "print",
        roll_length_mm: float = 50_000,
        roll_warn_mm: float = 5_000,
        roll_state_path: str | Path | None = None,
        print_speed_mm_s: float | None = 150.0,
        write_timeout_s: float = 10.0,
        native_qr: bool = True,
        out_dir: str | Path | None = None,
        connect_on_open: bool = True,
    ) -> None:
        super().__init__(paper_width_mm)
        if what_to_do_on_unknown not in ("print", "refuse"):
            raise ValueError("what_to_do_on_unknown must be 'print' or 'refuse'")
        if status_timeout_s <= 0:
            raise ValueError("status_timeout_s must be positive (seconds)")
        if roll_length_mm <= 0 or roll_warn_mm < 0:
            raise ValueError("roll_length_mm must be positive and roll_warn_mm not negative")
        if print_speed_mm_s is not None and print_speed_mm_s <= 0:
            raise ValueError("print_speed_mm_s must be positive (mm/s) or None")
        self.status_timeout_s = status_timeout_s
        self.ask_status = ask_status
        self.what_to_do_on_unknown: OnUnknown = what_to_do_on_unknown
        self.roll_length_mm = float(roll_length_mm)
        self.roll_warn_mm = float(roll_warn_mm)
        self.roll_state_path = Path(roll_state_path) if roll_state_path is not None else None
        self.print_speed_mm_s = print_speed_mm_s
        self.write_timeout_s = write_timeout_s
        self.native_qr = native_qr
        self.out_dir = Path(out_dir) if out_dir is not None else None
        # False: a printer switched off at start-up does not stop the kiosk; it reports
        # "offline" and is connected on the next status question or job.
        self.connect_on_open = connect_on_open
        self.roll_used_mm = 0.0
        self._connected = False
        self._lock = threading.RLock()
        self._closing = threading.Event()

    # ----------------------------------------------------------------- transport hooks

    def _connect(self) -> None:
        """Open the connection. Raise OSError (retried later) or DeviceUnavailable."""
        raise NotImplementedError

    def _disconnect(self) -> None:
        """Close the connection; must not raise."""
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        """Send all of ``data`` within ``write_timeout_s``; raise OSError on failure."""
        raise NotImplementedError

    def _read(self, timeout_s: float) -> bytes:
        """Bytes that arrive within ``timeout_s`` seconds (0: only those waiting), b"" if
        none; raise OSError when the connection is lost."""
        raise NotImplementedError

    def _can_read_status(self) -> bool:
        """False when the connection has no way back from the printer (USB without IN)."""
        return True

    # ----------------------------------------------------------------- lifecycle

    def _open(self) -> None:
        self._closing.clear()
        self._load_roll()
        try:
            with self._lock:
                self._connect()
                self._connected = True
        except OSError as exc:
            if self.connect_on_open:
                raise DeviceUnavailable(f"cannot open {self.description}: {exc}") from exc
            log.warning("%s not reachable at start-up (%s); will retry", self.description, exc)
            return
        log.info("%s opened (%d mm paper)", self.description, self.paper_width_mm)

    def _close(self) -> None:
        self._closing.set()  # ends a job's wait for the paper at once
        with self._lock:
            self._drop_connection()
        log.info("%s closed", self.description)

    def _drop_connection(self) -> None:
        if self._connected:
            self._connected = False
            self._disconnect()

    def _ensure_connected(self) -> None:
        if not self.is_open:
            raise DeviceUnavailable(f"{self.description} is not open")
        if not self._connected:
            try:
                self._connect()
            except DeviceUnavailable as exc:
                raise ConnectionError(str(exc)) from exc
            self._connected = True
            log.info("%s reconnected", self.description)

    # ----------------------------------------------------------------- status

    def status(self) -> PrinterStatus:
        """Ask the printer now (bounded by the status timeouts). Never raises for a lost
        connection: that is status "offline" with the flag "unreachable"."""
        with self._lock:
            return self._status()

    def _status(self) -> PrinterStatus:
        try:
            self._ensure_connected()
            if self.ask_status and self._can_read_status():
                status = query_status(self._write, self._read, self.status_timeout_s)
            else:
                status = PrinterStatus(
                    "unknown", "this printer does not report its status", frozenset({NO_ANSWER})
                )
        except OSError as exc:
            self._drop_connection()
            status = PrinterStatus(
                "offline", f"cannot reach the printer: {exc}", frozenset({UNREACHABLE})
            )
        return self._with_roll(status)

    def _with_roll(self, status: PrinterStatus) -> PrinterStatus:
        """Add the roll estimate; a silent printer with a low estimate becomes near_end."""
        remaining = max(0.0, self.roll_length_mm - self.roll_used_mm)
        flags = set(status.flags)
        state, detail = status.state, status.detail
        if remaining < self.roll_warn_mm:
            flags.add(ROLL_LOW)
            if state == "unknown":
                state = "near_end"
                detail = f"{detail}; paper counter: about {remaining / 1000:.1f} m left"
        return dataclasses.replace(
            status, state=state, detail=detail, flags=frozenset(flags), roll_remaining_mm=remaining
        )

    # ----------------------------------------------------------------- jobs

    def run_job(self, name: str, write: Writer) -> PrintJob:
        """Check, send, check again (see the module docstring). Raises PrinterError."""
        with self._lock:
            before = self._status()
            if before.answered and not before.can_print:
                raise PrinterError(f"{self.description} cannot print: {before.summary()}", before)
            if not before.answered:
                if self.what_to_do_on_unknown == "refuse":
                    raise PrinterError(
                        f"{self.description} did not answer its status; not printing "
                        "(what_to_do_on_unknown=refuse)",
                        before,
                    )
                log.warning("%s did not answer its status; printing %s anyway", self, name)
            dummy = new_dummy()
            write(dummy)
            data = dummy.output
            length_mm = feed_mm(data)
            try:
                self._write(data)
            except OSError as exc:
                self._drop_connection()
                self._add_paper(length_mm)  # some of it may have printed: count it
                lost = PrinterStatus("offline", f"sending failed: {exc}", frozenset({UNREACHABLE}))
                raise PrinterError(
                    f"{self.description}: job {name} was not sent completely ({exc})",
                    self._with_roll(lost),
                ) from exc
            self._add_paper(length_mm)
            self._wait_for_paper(length_mm)
            after = self._status()
            job = PrintJob(name=name, data=data, status=after, status_before=before)
            if after.answered and not after.can_print:
                raise PrinterError(
                    f"{self.description}: job {name} may be incomplete: {after.summary()}",
                    after,
                )
        if not after.answered:
            log.warning("job %s sent (%d bytes); printer did not confirm", name, len(data))
        else:
            log.info(
                "printed job %s (%d bytes, %.0f mm): %s", name, len(data), length_mm, after.state
            )
        return job

    def _wait_for_paper(self, length_mm: float) -> None:
        """Give the printer the time it needs to feed ``length_mm`` before asking again."""
        if self.print_speed_mm_s is None:
            return
        self._closing.wait(min(MAX_SETTLE_S, length_mm / self.print_speed_mm_s))

    # ----------------------------------------------------------------- paper counter

    @property
    def roll_remaining_mm(self) -> float:
        """Estimated paper left on the roll (mm)."""
        return max(0.0, self.roll_length_mm - self.roll_used_mm)

    def reset_roll(self) -> None:
        """Staff put in a new roll: start counting from zero."""
        with self._lock:
            self.roll_used_mm = 0.0
            self._save_roll()
        log.info("%s: paper roll reset (%.0f mm)", self.description, self.roll_length_mm)

    def _add_paper(self, length_mm: float) -> None:
        self.roll_used_mm += length_mm
        self._save_roll()

    def _load_roll(self) -> None:
        path = self.roll_state_path
        if path is None or not path.exists():
            return
        try:
            self.roll_used_mm = float(json.loads(path.read_text("utf-8"))["used_mm"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable paper counter %s: %s", path, exc)

    def _save_roll(self) -> None:
        path = self.roll_state_path
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps({"used_mm": round(self.roll_used_mm, 1)}), "utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # the counter is advice; never fail a ticket over it
            log.warning("cannot save paper counter %s: %s", path, exc)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    def __str__(self) -> str:
        return self.description
