"""The rules every byte-stream printer shares, on an in-memory transport (no sockets):
connection failures, a job cut off mid-send, printers that are never asked, the wait for
the paper, and the paper counter file."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from devices.errors import DeviceUnavailable, PrinterError
from devices.printer.samples import sample_ticket
from devices.printer.status import answer_bytes
from devices.printer.stream import StreamPrinter


class MemoryPrinter(StreamPrinter):
    """A printer model behind a fake connection, answering DLE EOT like the simulator."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("status_timeout_s", 0.05)
        options.setdefault("print_speed_mm_s", None)
        super().__init__(**options)
        self.state = "ok"
        self.reachable = True
        self.fail_writes_over = 10**9  # bytes: a longer write breaks the connection
        self.connects = 0
        self.received = bytearray()
        self.pending = bytearray()

    def _connect(self) -> None:
        if not self.reachable:
            raise ConnectionRefusedError("connection refused")
        self.connects += 1

    def _disconnect(self) -> None:
        self.pending.clear()

    def _write(self, data: bytes) -> None:
        if not self.reachable or len(data) > self.fail_writes_over:
            raise BrokenPipeError("broken pipe")
        self.received += data
        if data[:2] == b"\x10\x04" and self.state != "silent":
            self.pending.append(answer_bytes(self.state)[data[2]])

    def _read(self, timeout_s: float) -> bytes:
        data = bytes(self.pending)
        self.pending.clear()
        return data


def test_unreachable_at_open_is_device_unavailable() -> None:
    printer = MemoryPrinter()
    printer.reachable = False
    with pytest.raises(DeviceUnavailable) as info:
        printer.open()
    assert "connection refused" in str(info.value)


def test_job_cut_off_while_sending_is_offline_and_reconnects() -> None:
    with MemoryPrinter() as printer:
        printer.fail_writes_over = 100
        with pytest.raises(PrinterError) as info:
            printer.print_ticket(sample_ticket())
        status = info.value.status
        assert status.state == "offline" and "unreachable" in status.flags  # type: ignore[union-attr]
        printer.fail_writes_over = 10**9
        job = printer.print_ticket(sample_ticket())  # the reprint reconnects by itself
        assert job.status is not None and job.status.state == "ok"
        assert printer.connects == 2


def test_printer_never_asked_when_ask_status_is_false() -> None:
    with MemoryPrinter(ask_status=False) as printer:
        assert printer.status().state == "unknown"
        job = printer.print_ticket(sample_ticket())
        assert bytes(printer.received) == job.data  # no DLE EOT at all


def test_waits_for_the_paper_before_asking_again() -> None:
    """At 1000 mm/s a 127 mm ticket takes ~0.13 s to come out; the status after waits."""
    with MemoryPrinter(print_speed_mm_s=1000.0) as printer:
        start = time.monotonic()
        printer.print_ticket(sample_ticket())
        assert time.monotonic() - start >= 0.12


def test_close_ends_the_wait_for_the_paper() -> None:
    printer = MemoryPrinter(print_speed_mm_s=10.0)  # ~10 s per ticket (capped at 10 s)
    printer.open()
    done = threading.Event()
    errors: list[BaseException] = []

    def job() -> None:
        try:
            printer.print_ticket(sample_ticket())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=job)
    worker.start()
    deadline = time.monotonic() + 5
    while not printer.received.endswith(b"\x1dV\x01") and time.monotonic() < deadline:
        time.sleep(0.01)  # poll (bounded) until the job bytes were sent
    start = time.monotonic()
    printer.close()
    assert done.wait(5)
    worker.join(5)
    assert time.monotonic() - start < 3
    assert not worker.is_alive()


def test_roll_counter_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "roll.json"
    with MemoryPrinter(roll_state_path=path) as printer:
        printer.print_ticket(sample_ticket())
        assert printer.roll_used_mm == pytest.approx(1014 / 8)
    assert json.loads(path.read_text())["used_mm"] == pytest.approx(126.8, abs=0.1)
    with MemoryPrinter(roll_state_path=path) as printer:
        assert printer.roll_used_mm == pytest.approx(126.8, abs=0.1)
        printer.reset_roll()
        assert printer.roll_remaining_mm == 50_000
    assert json.loads(path.read_text())["used_mm"] == 0


def test_unreadable_roll_counter_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "roll.json"
    path.write_text("not json")
    with MemoryPrinter(roll_state_path=path) as printer:
        assert printer.roll_used_mm == 0
        printer.print_ticket(sample_ticket())
    assert json.loads(path.read_text())["used_mm"] > 0
