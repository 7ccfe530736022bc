"""Staff and test CLI for ticket printers.

    python -m devices.printer status --connection network:192.168.1.50:9100
    python -m devices.printer print-sample --connection serial:/dev/ttyUSB0 [--width 58|80]

``status`` prints the decoded status on one line and exits 0 when the printer can print,
1 when it cannot or does not answer (unknown), 2 for a malformed connection string.
``print-sample`` prints a ticket with invented data (``--notice`` adds a one-time notice)
and reports the status before and after; exit 0 when the job was sent and no problem was
reported, 1 when the printer refused or failed, 2 for a malformed connection string.
Connection strings: see ``devices.printer.connection`` (network:HOST[:PORT],
serial:DEVICE[:BAUD], serial:socket://HOST:PORT, usb:VID:PID, simulator, virtual).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any

from devices.errors import DeviceError, DeviceUnavailable, PrinterError
from devices.printer.base import Printer, create_printer
from devices.printer.connection import parse_connection
from devices.printer.samples import staff_sample_ticket

log = logging.getLogger(__name__)


def _printer(args: argparse.Namespace) -> Printer:
    backend, kwargs = parse_connection(args.connection)
    kwargs["paper_width_mm"] = args.width
    if backend in ("network", "serial", "usb", "simulator"):
        kwargs["status_timeout_s"] = args.timeout
    if backend in ("simulator", "virtual"):
        kwargs["out_dir"] = args.out
    return create_printer(backend, **kwargs)


def cmd_status(args: argparse.Namespace) -> int:
    printer = _printer(args)
    try:
        printer.open()
    except DeviceUnavailable as exc:
        print(f"offline - {exc}")
        return 1
    try:
        status = printer.status()
    finally:
        printer.close()
    print(status.summary())
    return 0 if status.can_print and status.answered else 1


def cmd_print_sample(args: argparse.Namespace) -> int:
    printer = _printer(args)
    try:
        printer.open()
    except DeviceUnavailable as exc:
        print(f"before: offline - {exc}")
        return 1
    try:
        print(f"before: {printer.status().summary()}", flush=True)
        ticket = staff_sample_ticket(dt.datetime.now().replace(microsecond=0), args.notice)
        try:
            job = printer.print_ticket(ticket)
        except PrinterError as exc:
            status: Any = exc.status
            print(f"not printed: {exc}")
            if status is not None:
                print(f"after: {status.summary()}")
            return 1
        after = job.status if job.status is not None else printer.status()
        print(f"sent: {job.name}, {len(job.data)} bytes")
        print(f"after: {after.summary()}")
        if not after.answered:
            print("note: the printer did not confirm; check the paper by eye")
        if job.png_path is not None:
            print(f"rendered: {job.png_path}")
        return 0
    finally:
        printer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devices.printer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("status", "print the printer's status on one line"),
        ("print-sample", "print a sample ticket with invented data"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--connection", required=True, help="e.g. network:127.0.0.1:9100")
        p.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper (mm)")
        p.add_argument("--timeout", type=float, default=0.5, help="per status question (s)")
        p.add_argument("--out", type=Path, help="simulator/virtual: folder for renderings")
        p.add_argument("-v", "--verbose", action="store_true")
        if name == "print-sample":
            p.add_argument("--notice", action="store_true", help="add a one-time notice")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "status":
            return cmd_status(args)
        return cmd_print_sample(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DeviceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
