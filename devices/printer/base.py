"""Abstract ticket printer.

A print job is a function that writes onto a python-escpos printer object (see
``devices.printer.layout``); each backend supplies that object and sends the bytes. The
status is asked before and after every job; "unknown" (no answer) is never treated as fine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from devices.base import Device, load_backend

PaperState = Literal["ok", "near_end", "out", "unknown"]
PrinterStateName = Literal[
    "ok", "near_end", "paper_out", "cover_open", "offline", "error", "unknown"
]

BACKENDS = {
    "virtual": "devices.printer.virtual:VirtualPrinter",
}


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterStateName
    detail: str = ""

    @property
    def can_print(self) -> bool:
        return self.state in ("ok", "near_end")


@dataclass(frozen=True)
class PrintJob:
    """A finished job: its name, the exact ESC/POS bytes sent, and a rendering if any."""

    name: str
    data: bytes
    png_path: Path | None = None


Writer = Callable[[Any], None]  # writes onto an escpos.escpos.Escpos object


class Printer(Device):
    kind = "printer"

    def __init__(self, paper_width_mm: int = 80) -> None:
        super().__init__()
        if paper_width_mm not in (58, 80):
            raise ValueError("paper_width_mm must be 58 or 80")
        self.paper_width_mm = paper_width_mm

    def status(self) -> PrinterStatus:
        raise NotImplementedError

    def run_job(self, name: str, write: Writer) -> PrintJob:
        """Write one job onto this backend's escpos object and send it. Raises PrinterError."""
        raise NotImplementedError

    def print_ticket(self, ticket: Any) -> PrintJob:
        from devices.printer.layout import write_ticket

        return self.run_job(
            f"ticket-{ticket.number}", lambda p: write_ticket(p, ticket, self.paper_width_mm)
        )

    def print_notice(self, notice: Any) -> PrintJob:
        from devices.printer.layout import write_notice

        return self.run_job("notice", lambda p: write_notice(p, notice, self.paper_width_mm))


def create_printer(backend: str, **options: object) -> Printer:
    cls = load_backend(BACKENDS, backend, "printer")
    printer: Printer = cls(**options)
    return printer
