"""Ticket printer timings; prints JSON.

    python benchmarks/printer.py [--quick]

Measured (medians, milliseconds):

- ``layout_encode_ms``: ``write_ticket`` of a full ticket (with the one-time notice and a
  QR code) onto ``escpos.printer.Dummy``, GB18030 bytes out (target ≤ 5 ms).
  ``baseline_ascii_ms`` is python-escpos writing a plain ASCII ticket of similar length
  with its own ``set``/``text``/``qr``/``cut`` in the same process, and
  ``ratio_vs_baseline`` = layout / baseline (how much our Chinese layout costs over the
  library's plainest path).
- ``paper_estimate_ms``: the paper counter's estimate of one ticket's length.
- ``status_round_trip_ms``: one full status (``DLE EOT`` 1, 2, 4) through the in-process
  simulator over TCP (network backend) and over ``serial:socket://``.
- ``full_job_ms``: ``print_ticket`` through the simulator: status, send, the simulator's
  rendering (and PNG file, for ``_png``), status after.

This script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escpos.printer import Dummy  # noqa: E402

from devices.printer.commands import feed_mm  # noqa: E402
from devices.printer.layout import write_ticket  # noqa: E402
from devices.printer.network import NetworkPrinter  # noqa: E402
from devices.printer.samples import sample_notice, sample_ticket  # noqa: E402
from devices.printer.serial_printer import SerialPrinter  # noqa: E402
from devices.printer.simulator import PrinterSimulator  # noqa: E402

TICKET = sample_ticket(priority=True, notice=sample_notice())


def median_ms(func: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall time of ``func`` in milliseconds over ``repeat`` runs."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 4)


def layout_job() -> bytes:
    p = Dummy()
    write_ticket(p, TICKET, 80)
    return p.output


def baseline_job() -> bytes:
    """python-escpos's own path for an ASCII ticket of about the same length."""
    p = Dummy()
    p.set(align="center", bold=True)
    p.text("Demonstration City Government Service Centre\n")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text("A042\n")
    p.set(align="left", normal_textsize=True)
    for line in (
        "Business start-up bundle: registration, seal, invoices, social insurance",
        "Window group: Market access",
        "Location: 2F, zone B, windows 5-9",
        "People ahead: 3",
        "Estimated wait: about 15 minutes",
        "Issued: 2026-03-02 09:31",
        "Name: Zhang *",
        "1. [core] Company registration application form",
        "2. [core] Articles of association signed by all shareholders",
        "3. [may follow] Proof of premises (lease or title deed)",
        "Time limit: same day  Fee: free",
    ):
        p.text(line + "\n")
    p.qr(TICKET.qr_data, size=6, native=True)
    p.text("Please wait for your number to be called\n")
    p.cut(mode="PART")
    return p.output


def measure(quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    errors: list[str] = []
    n_layout = 200 if quick else 2000
    n_status = 30 if quick else 300
    n_jobs = 5 if quick else 40

    try:
        ours = median_ms(layout_job, n_layout)
        base = median_ms(baseline_job, n_layout)
        results["layout_encode_ms"] = ours
        results["layout_bytes"] = len(layout_job())
        results["baseline_ascii_ms"] = base
        results["baseline_bytes"] = len(baseline_job())
        results["ratio_vs_baseline"] = round(ours / base, 2) if base else None
        data = layout_job()
        results["paper_estimate_ms"] = median_ms(lambda: feed_mm(data), n_layout)
        results["ticket_paper_mm"] = feed_mm(data)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
        errors.append(f"layout: {type(exc).__name__}: {exc}")

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with PrinterSimulator(out_dir=None) as sim:
                host, port = sim.address
                with NetworkPrinter(host, port, print_speed_mm_s=None) as printer:
                    results["status_round_trip_ms"] = median_ms(printer.status, n_status)
                    results["full_job_ms"] = median_ms(
                        lambda: printer.print_ticket(TICKET), n_jobs, warmup=1
                    )
                with SerialPrinter(f"socket://{host}:{port}", print_speed_mm_s=None) as serial:
                    results["status_round_trip_serial_socket_ms"] = median_ms(
                        serial.status, n_status
                    )
            with PrinterSimulator(out_dir=Path(tmp) / "png") as sim:
                host, port = sim.address
                with NetworkPrinter(host, port, print_speed_mm_s=None) as printer:
                    results["full_job_png_ms"] = median_ms(
                        lambda: printer.print_ticket(TICKET), n_jobs, warmup=1
                    )
        except Exception as exc:  # noqa: BLE001
            errors.append(f"simulator: {type(exc).__name__}: {exc}")

    return {"results": results, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI)")
    args = parser.parse_args()
    measured = measure(args.quick)
    report = {
        "benchmark": "printer",
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "targets": {"layout_encode_ms": 5.0},
        **measured,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
