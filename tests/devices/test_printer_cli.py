"""``python -m devices.printer status|print-sample`` in a subprocess, against the simulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.printer.simulator import PrinterSimulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PrinterSimulator]:
    with PrinterSimulator(out_dir=tmp_path / "printed", paper_width_mm=58) as simulator:
        yield simulator


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devices.printer", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def network(sim: PrinterSimulator) -> str:
    host, port = sim.address
    return f"network:{host}:{port}"


def test_status_ok(sim: PrinterSimulator) -> None:
    result = cli("status", "--connection", network(sim))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert sim.jobs == []  # asking status prints nothing


@pytest.mark.parametrize(
    ("state", "code", "word"),
    [("near_end", 0, "near_end"), ("paper_out", 1, "paper_out"), ("silent", 1, "unknown")],
)
def test_status_states(sim: PrinterSimulator, state: str, code: int, word: str) -> None:
    sim.set_state(state)
    result = cli("status", "--connection", network(sim), "--timeout", "0.2")
    assert result.returncode == code, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(word)


def test_status_over_serial_socket_url(sim: PrinterSimulator) -> None:
    host, port = sim.address
    result = cli("status", "--connection", f"serial:socket://{host}:{port}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_print_sample(sim: PrinterSimulator) -> None:
    result = cli("print-sample", "--connection", network(sim), "--width", "58")
    assert result.returncode == 0, result.stderr
    assert "before: ok" in result.stdout and "after: ok" in result.stdout
    (record,) = sim.wait_for_jobs(1)
    assert "A001" in record.text.splitlines()
    assert record.png_path is not None and record.png_path.exists()


def test_print_sample_refused_when_paper_out(sim: PrinterSimulator) -> None:
    sim.set_state("paper_out")
    result = cli("print-sample", "--connection", network(sim))
    assert result.returncode == 1
    assert "before: paper_out" in result.stdout and "not printed" in result.stdout
    assert sim.jobs == []


def test_unreachable_printer_is_offline_not_a_crash(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = cli("status", "--connection", f"network:127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stdout.startswith("offline")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("connection", ["network:", "lpt:1", "usb:12"])
def test_bad_connection_string(connection: str) -> None:
    result = cli("status", "--connection", connection)
    assert result.returncode == 2
    assert "bad printer connection" in result.stderr
    assert "Traceback" not in result.stderr


def test_usb_without_device_says_what_is_missing() -> None:
    result = cli("status", "--connection", "usb:0416:5011")
    assert result.returncode == 1
    assert result.stdout.startswith("offline")
    assert "USB printer 0416:5011" in result.stdout or "libusb" in result.stdout
