"""Real bytes through the printer simulator: network and serial backends, status before and
after each job, refusals, recovery, silent printers, the paper counter, the simulator's
control channel and CLI. The printed PNG is checked the way a citizen's phone and eyes
would: OpenCV decodes the QR code, Tesseract reads the number."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from devices.errors import DeviceUnavailable, PrinterError
from devices.printer.base import create_printer
from devices.printer.layout import TicketPrint
from devices.printer.network import NetworkPrinter
from devices.printer.samples import sample_notice, sample_ticket
from devices.printer.serial_printer import SerialPrinter
from devices.printer.simulator import PARTIAL_MARK, PrinterSimulator, SimulatorPrinter

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 0.2  # per status question; the simulator answers in well under a millisecond


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "printed"


@pytest.fixture
def sim(out_dir: Path) -> Iterator[PrinterSimulator]:
    with PrinterSimulator(out_dir=out_dir) as simulator:
        yield simulator


def network_printer(sim: PrinterSimulator, **options: object) -> NetworkPrinter:
    host, port = sim.address
    options.setdefault("status_timeout_s", TIMEOUT_S)
    options.setdefault("print_speed_mm_s", None)  # the simulator prints instantly
    return NetworkPrinter(host, port, **options)  # type: ignore[arg-type]


@pytest.fixture
def printer(sim: PrinterSimulator) -> Iterator[NetworkPrinter]:
    with network_printer(sim) as p:
        yield p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- reading paper


def decode_qr(png: Path) -> str:
    image = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    data, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return data


def ocr_number(png: Path) -> str:
    """Tesseract on the band of very large text (the queue number), letters/digits only."""
    pytesseract = pytest.importorskip("pytesseract")
    try:
        pytesseract.get_tesseract_version()
    except pytesseract.TesseractNotFoundError:
        pytest.skip("tesseract is not installed")
    with Image.open(png) as img:
        grey = img.convert("L")
    ink_rows = (np.asarray(grey) < 128).any(axis=1)
    bands: list[tuple[int, int]] = []
    start = None
    for y, inked in enumerate([*ink_rows, False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            bands.append((start, y))
            start = None
    # the first band taller than any normal or double-height line is the number
    top, bottom = next(b for b in bands if b[1] - b[0] > 60)
    crop = grey.crop((0, max(0, top - 12), grey.width, bottom + 12))
    crop = crop.resize((crop.width // 3, crop.height // 3), Image.Resampling.LANCZOS)
    config = "--psm 7 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
    return pytesseract.image_to_string(crop, lang="eng", config=config).strip()


# --------------------------------------------------------------------------- printing


@pytest.mark.parametrize(("width", "number"), [(80, "A042"), (58, "B107")])
def test_ticket_prints_and_reads_back(out_dir: Path, width: int, number: str) -> None:
    ticket: TicketPrint = sample_ticket(number=number, qr_data=f"https://hall.example/t/{number}")
    with PrinterSimulator(out_dir=out_dir, paper_width_mm=width) as sim:
        with network_printer(sim, paper_width_mm=width) as printer:
            assert printer.status().state == "ok"
            job = printer.print_ticket(ticket)
        (record,) = sim.wait_for_jobs(1)
    assert job.status is not None and job.status.state == "ok"
    assert job.status_before is not None and job.status_before.state == "ok"
    assert record.data == job.data  # every job byte arrived; status questions are not in it
    assert not record.partial and record.cuts == 1
    assert record.png_path == out_dir / "0001.png"
    assert record.text_path is not None and number in record.text_path.read_text("utf-8")
    assert record.qr_payloads == (ticket.qr_data,)
    assert decode_qr(record.png_path) == ticket.qr_data
    assert ocr_number(record.png_path) == number


def test_qr_as_image_for_printers_without_native_qr(sim: PrinterSimulator) -> None:
    with network_printer(sim, paper_width_mm=80, native_qr=False) as printer:
        job = printer.print_ticket(sample_ticket())
    assert b"\x1d(k" not in job.data and b"\x1dv0" in job.data
    (record,) = sim.wait_for_jobs(1)
    assert record.qr_payloads == ()  # no native QR command was sent
    assert record.png_path is not None
    assert decode_qr(record.png_path) == sample_ticket().qr_data


def test_notice_and_ticket_are_separate_jobs(sim: PrinterSimulator, printer: NetworkPrinter):
    printer.print_notice(sample_notice())
    printer.print_ticket(sample_ticket())
    jobs = sim.wait_for_jobs(2)
    assert [j.number for j in jobs] == [1, 2]
    assert "一次性告知单" in jobs[0].text
    assert "A042" in jobs[1].text.splitlines()


def test_paper_out_refuses_without_sending(
    sim: PrinterSimulator, printer: NetworkPrinter, out_dir: Path
) -> None:
    sim.set_state("paper_out")
    written: list[object] = []
    with pytest.raises(PrinterError) as info:
        printer.run_job("ticket-A042", written.append)
    assert info.value.status.state == "paper_out"  # type: ignore[union-attr]
    assert written == []  # the layout was not even run
    assert sim.jobs == []
    assert sim.discarded_bytes == 0  # not a byte of the job reached the printer
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("state", "expected"),
    [("cover_open", "cover_open"), ("offline", "offline"), ("cutter_error", "error")],
)
def test_other_problems_refuse_too(
    sim: PrinterSimulator, printer: NetworkPrinter, state: str, expected: str
) -> None:
    sim.set_state(state)
    with pytest.raises(PrinterError) as info:
        printer.print_ticket(sample_ticket())
    status = info.value.status
    assert status.state == expected  # type: ignore[union-attr]
    assert status.cutter_error == (state == "cutter_error")  # type: ignore[union-attr]
    assert sim.jobs == [] and sim.discarded_bytes == 0


def test_recovery_prints_the_same_ticket(sim: PrinterSimulator, printer: NetworkPrinter) -> None:
    sim.set_state("paper_out")
    with pytest.raises(PrinterError):
        printer.print_ticket(sample_ticket())
    sim.set_state("ok")  # staff loaded paper
    job = printer.print_ticket(sample_ticket())
    assert job.status is not None and job.status.state == "ok"
    (record,) = sim.wait_for_jobs(1)
    assert record.number == 1 and "A042" in record.text.splitlines()


def test_near_end_prints_and_says_so(sim: PrinterSimulator, printer: NetworkPrinter) -> None:
    sim.set_state("near_end")
    job = printer.print_ticket(sample_ticket())
    assert job.status is not None
    assert job.status.state == "near_end" and job.status.can_print
    assert len(sim.wait_for_jobs(1)) == 1


def test_paper_running_out_midway_is_reported(
    sim: PrinterSimulator, printer: NetworkPrinter
) -> None:
    sim.set_fail_after_bytes(200)
    with pytest.raises(PrinterError) as info:
        printer.print_ticket(sample_ticket())
    assert info.value.status.state == "paper_out"  # type: ignore[union-attr]
    (partial,) = sim.wait_for_jobs(1)
    assert partial.partial and len(partial.data) == 200
    assert partial.text.endswith(PARTIAL_MARK)
    sim.set_state("ok")  # new roll
    job = printer.print_ticket(sample_ticket())  # the reprint
    assert job.status is not None and job.status.state == "ok"
    jobs = sim.wait_for_jobs(2)
    assert not jobs[1].partial and jobs[1].data == job.data


def test_silent_printer_is_unknown_and_printed_anyway(
    sim: PrinterSimulator, printer: NetworkPrinter
) -> None:
    sim.set_state("silent")
    status = printer.status()
    assert status.state == "unknown" and not status.answered and not status.can_print
    job = printer.print_ticket(sample_ticket())  # default what_to_do_on_unknown="print"
    assert job.status is not None and job.status.state == "unknown"
    assert job.status_before is not None and job.status_before.state == "unknown"
    (record,) = sim.wait_for_jobs(1)
    assert record.data == job.data


def test_silent_printer_with_refuse_setting(sim: PrinterSimulator) -> None:
    sim.set_state("silent")
    with network_printer(sim, what_to_do_on_unknown="refuse") as printer:
        with pytest.raises(PrinterError) as info:
            printer.print_ticket(sample_ticket())
    assert info.value.status.state == "unknown"  # type: ignore[union-attr]
    assert sim.jobs == [] and sim.discarded_bytes == 0


def test_roll_counter_warns_for_a_silent_printer(sim: PrinterSimulator, tmp_path: Path) -> None:
    sim.set_state("silent")
    state_file = tmp_path / "roll.json"
    options = {"roll_length_mm": 300, "roll_warn_mm": 200, "roll_state_path": state_file}
    with network_printer(sim, **options) as printer:
        assert printer.status().state == "unknown"
        job = printer.print_ticket(sample_ticket())  # about 127 mm of paper
        assert job.status is not None
        assert job.status.state == "near_end"
        assert "roll_estimate_low" in job.status.flags and not job.status.answered
        assert job.status.roll_remaining_mm == pytest.approx(300 - 1014 / 8)
        assert printer.status().state == "near_end"
    with network_printer(sim, **options) as printer:  # a restart keeps the count
        assert printer.status().state == "near_end"
        printer.reset_roll()  # staff put in a new roll
        status = printer.status()
        assert status.state == "unknown" and status.roll_remaining_mm == 300


def test_roll_counter_does_not_override_a_printer_that_answers(sim: PrinterSimulator) -> None:
    with network_printer(sim, roll_length_mm=100, roll_warn_mm=50) as printer:
        job = printer.print_ticket(sample_ticket())
    assert job.status is not None
    assert job.status.state == "ok"  # its own sensor is the truth
    assert "roll_estimate_low" in job.status.flags  # but staff can still be told


def test_serial_backend_over_socket_url(sim: PrinterSimulator) -> None:
    host, port = sim.address
    printer = create_printer(
        "serial",
        url=f"socket://{host}:{port}",
        paper_width_mm=58,
        status_timeout_s=TIMEOUT_S,
        print_speed_mm_s=None,
    )
    assert isinstance(printer, SerialPrinter)
    with printer:
        assert printer.status().state == "ok"
        job = printer.print_ticket(sample_ticket())
        sim.set_state("cover_open")
        assert printer.status().state == "cover_open"
    (record,) = sim.wait_for_jobs(1)
    assert record.data == job.data


def test_lost_connection_is_offline_then_reconnects(out_dir: Path) -> None:
    port = free_port()
    with PrinterSimulator(("127.0.0.1", port), out_dir) as sim:
        printer = network_printer(sim)
        printer.open()
    try:
        status = printer.status()  # the simulator is gone
        assert status.state == "offline" and "unreachable" in status.flags
        with pytest.raises(PrinterError) as info:
            printer.print_ticket(sample_ticket())
        assert info.value.status.state == "offline"  # type: ignore[union-attr]
        with PrinterSimulator(("127.0.0.1", port), out_dir) as again:  # power back on
            assert printer.status().state == "ok"
            printer.print_ticket(sample_ticket())
            assert len(again.wait_for_jobs(1)) == 1
    finally:
        printer.close()
        printer.close()  # safe twice


def test_open_fails_clearly_when_nothing_listens() -> None:
    printer = NetworkPrinter("127.0.0.1", free_port(), connect_timeout_s=1)
    with pytest.raises(DeviceUnavailable) as info:
        printer.open()
    assert "network printer 127.0.0.1" in str(info.value)
    assert not printer.is_open


def test_status_needs_an_open_printer(sim: PrinterSimulator) -> None:
    with pytest.raises(DeviceUnavailable):
        network_printer(sim).status()


# --------------------------------------------------------------------------- simulator backend


def test_simulator_backend(out_dir: Path) -> None:
    printer = create_printer("simulator", out_dir=out_dir, paper_width_mm=80, status_timeout_s=0.2)
    assert isinstance(printer, SimulatorPrinter)
    with printer:
        assert printer.status().state == "ok"
        printer.print_ticket(sample_ticket())
        printer.set_state("paper_out")
        with pytest.raises(PrinterError):
            printer.print_ticket(sample_ticket())
        printer.set_state("unknown")  # same as "silent"
        assert printer.status().state == "unknown"
        assert [j.png_path for j in printer.jobs] == [out_dir / "0001.png"]
        assert printer.out_dir == out_dir
    assert not printer.simulator.running
    printer.close()


def test_simulator_numbering_continues_after_restart(out_dir: Path) -> None:
    for expected in (1, 2):
        with PrinterSimulator(out_dir=out_dir) as sim, network_printer(sim) as printer:
            printer.print_ticket(sample_ticket())
            assert sim.wait_for_jobs(1)[0].number == expected
    assert sorted(p.name for p in out_dir.glob("*.png")) == ["0001.png", "0002.png"]


def test_job_without_cut_ends_when_the_connection_closes(sim: PrinterSimulator) -> None:
    with socket.create_connection(sim.address, timeout=2) as conn:
        conn.sendall(b"\x1b@hello\n")
    (record,) = sim.wait_for_jobs(1)
    assert record.text == "hello" and record.cuts == 0


def test_simulator_start_and_stop_are_safe_twice(out_dir: Path) -> None:
    sim = PrinterSimulator(out_dir=out_dir)
    sim.start()
    sim.start()
    assert sim.running
    sim.stop()
    sim.stop()
    assert not sim.running
    with pytest.raises(ValueError):
        sim.set_state("jammed")


# --------------------------------------------------------------------------- control channel


def control_session(address: tuple[str, int], *lines: str) -> list[str]:
    with socket.create_connection(address, timeout=5) as conn:
        reader = conn.makefile("r", encoding="utf-8")
        replies = []
        for line in lines:
            conn.sendall(line.encode() + b"\n")
            replies.append(reader.readline().rstrip("\n"))
        reader.close()
    return replies


def test_control_channel(out_dir: Path) -> None:
    with PrinterSimulator(out_dir=out_dir, control=("127.0.0.1", 0)) as sim:
        assert sim.control_address is not None
        with network_printer(sim) as printer:
            printer.print_ticket(sample_ticket())
            replies = control_session(
                sim.control_address,
                "state",
                "state paper_out",
                "jobs",
                "state jammed",
                "fail_after_bytes 50",
                "fail_after_bytes off",
                "dance",
                "help",
            )
            assert printer.status().state == "paper_out"
        assert replies[:3] == ["state ok", "ok state paper_out", "jobs 1: 0001"]
        assert replies[3].startswith("error") and "jammed" in replies[3]
        assert replies[4:6] == ["ok fail_after_bytes 50", "ok fail_after_bytes off"]
        assert replies[6].startswith("error unknown command")
        assert "state" in replies[7] and "quit" in replies[7]
        assert control_session(sim.control_address, "quit") == ["bye"]
        assert sim.wait(5)  # quit stops the simulator


def test_simulator_command_line(tmp_path: Path) -> None:
    out = tmp_path / "cli-out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devices.printer.simulator",
            "--listen",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
            "--out",
            str(out),
            "--state",
            "near_end",
            "--width",
            "58",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # "printer simulator listening on H:P, control H:P; …"
        assert "listening on" in banner, proc.stderr.read() if proc.stderr else banner
        words = banner.replace(",", " ").replace(";", " ").split()
        host, port = words[words.index("on") + 1].rsplit(":", 1)
        chost, cport = words[words.index("control") + 1].rsplit(":", 1)
        with NetworkPrinter(
            host, int(port), 58, status_timeout_s=1.0, print_speed_mm_s=None
        ) as printer:
            job = printer.print_ticket(sample_ticket())
        assert job.status is not None and job.status.state == "near_end"
        assert control_session((chost, int(cport)), "jobs", "quit") == ["jobs 1: 0001", "bye"]
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert (out / "0001.png").exists()
    assert "A042" in (out / "0001.txt").read_text("utf-8").splitlines()
