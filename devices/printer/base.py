"""Abstract ticket printer.

A print job is a function that writes onto a python-escpos printer object (see
``devices.printer.layout``); each backend supplies that object and sends the bytes. The
status is asked before and after every job; "unknown" (no answer) is never treated as fine.

Backends (``BACKENDS``, imported only when chosen): ``virtual`` (memory/PNG, no wire),
``network`` (raw TCP, port 9100), ``serial`` (``serial.serial_for_url``), ``usb``
(pyusb through python-escpos), ``simulator`` (an in-process ESC/POS simulator reached over
TCP). ``create_printer_from_connection("network:10.0.0.5:9100")`` picks one from a
connection string (see ``devices.printer.connection``).
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
    "network": "devices.printer.network:NetworkPrinter",
    "serial": "devices.printer.serial_printer:SerialPrinter",
    "usb": "devices.printer.usb_printer:UsbPrinter",
    "simulator": "devices.printer.simulator:SimulatorPrinter",
}


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said (or did not say) about itself.

    ``state`` is the one thing the kiosk acts on; ``flags`` are the individual conditions
    behind it (names in ``devices.printer.status``: "cover_open", "paper_end_stop",
    "cutter_error", "no_answer", "roll_estimate_low", …) for staff and logs.
    ``roll_remaining_mm`` is the estimated paper left on the roll (mm) when the backend
    counts printed length, else None. ``raw`` holds the ``(n, answer byte or None)`` pairs
    of the ``DLE EOT n`` queries behind this status.
    """

    state: PrinterStateName
    detail: str = ""
    flags: frozenset[str] = frozenset()
    roll_remaining_mm: float | None = None
    raw: tuple[tuple[int, int | None], ...] = ()

    @property
    def can_print(self) -> bool:
        return self.state in ("ok", "near_end")

    @property
    def answered(self) -> bool:
        """False when the printer did not answer (the state is then a guess or "unknown")."""
        return self.state != "unknown" and "no_answer" not in self.flags

    @property
    def cutter_error(self) -> bool:
        return "cutter_error" in self.flags

    @property
    def cover_open(self) -> bool:
        return "cover_open" in self.flags

    @property
    def paper_out(self) -> bool:
        return "paper_out" in self.flags or self.state == "paper_out"

    @property
    def paper_near_end(self) -> bool:
        return self.state == "near_end" or "near_end" in self.flags

    def summary(self) -> str:
        """One line for staff: state, detail, flags and, when low, the roll estimate."""
        parts = [self.state]
        if self.detail:
            parts.append(f"- {self.detail}")
        if self.flags:
            parts.append(f"[{', '.join(sorted(self.flags))}]")
        if self.roll_remaining_mm is not None and "roll_estimate_low" in self.flags:
            parts.append(f"(roll ~{self.roll_remaining_mm / 1000:.1f} m left)")
        return " ".join(parts)


@dataclass(frozen=True)
class PrintJob:
    """A finished job: its name, the exact ESC/POS bytes sent, and a rendering if any.

    ``status`` is the printer's status after the job (``state == "near_end"``: alert staff;
    ``"unknown"``: the job was sent but nobody knows whether it printed), and
    ``status_before`` the one asked before sending; both None for backends that do not ask.
    """

    name: str
    data: bytes
    png_path: Path | None = None
    status: PrinterStatus | None = None
    status_before: PrinterStatus | None = None


Writer = Callable[[Any], None]  # writes onto an escpos.escpos.Escpos object


class Printer(Device):
    """Capabilities: ``status()``, ``run_job`` (and the ticket/notice jobs built on it),
    failures as typed errors (``subscribe_errors``, from ``Device``), and a paper-roll
    counter where the backend keeps one (``counts_roll``, ``reset_roll``)."""

    kind = "printer"
    #: False for printers without native QR (``GS ( k``): the QR code is sent as an image.
    native_qr: bool = True
    #: True where the backend counts the paper used (a new roll: ``reset_roll``).
    counts_roll: bool = False

    def __init__(self, paper_width_mm: int = 80) -> None:
        super().__init__()
        if paper_width_mm not in (58, 80):
            raise ValueError("paper_width_mm must be 58 or 80")
        self.paper_width_mm = paper_width_mm

    def status(self) -> PrinterStatus:
        raise NotImplementedError

    def reset_roll(self) -> None:
        """A new paper roll is in: the counter starts again (no counter: nothing to do)."""

    def run_job(self, name: str, write: Writer) -> PrintJob:
        """Write one job onto this backend's escpos object and send it. Raises PrinterError."""
        raise NotImplementedError

    def print_ticket(self, ticket: Any) -> PrintJob:
        from devices.printer.layout import write_ticket

        return self.run_job(
            f"ticket-{ticket.number}",
            lambda p: write_ticket(p, ticket, self.paper_width_mm, native_qr=self.native_qr),
        )

    def print_notice(self, notice: Any) -> PrintJob:
        from devices.printer.layout import write_notice

        return self.run_job("notice", lambda p: write_notice(p, notice, self.paper_width_mm))


def new_dummy() -> Any:
    """A python-escpos ``Dummy`` that collects the bytes of one job.

    Imported on first use: importing ``escpos.printer`` loads python-escpos's printer
    capability database (about 0.4 s here), which must not delay the kiosk's first screen.
    """
    from escpos.printer import Dummy

    return Dummy()


def create_printer(backend: str, **options: object) -> Printer:
    """Build (not open) the printer registered as ``backend`` with ``options`` as kwargs."""
    cls = load_backend(BACKENDS, backend, "printer")
    printer: Printer = cls(**options)
    return printer


def create_printer_from_connection(connection: str, **options: object) -> Printer:
    """Build (not open) a printer from a connection string such as ``network:host:9100``.

    ``options`` (``paper_width_mm``, ``status_timeout_s``, …) are added to the keyword
    arguments parsed from ``connection``; they win on conflict. Raises ValueError for a
    malformed string and DeviceUnavailable for an unknown backend.
    """
    from devices.printer.connection import parse_connection

    backend, kwargs = parse_connection(connection)
    kwargs.update(options)
    return create_printer(backend, **kwargs)
