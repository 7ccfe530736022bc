"""The virtual printer: jobs in memory and as PNG/text, refusals, thread safety."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from escpos.printer import Dummy
from PIL import Image

from devices.errors import PrinterError
from devices.printer.base import PrinterStatus, create_printer
from devices.printer.layout import NoticeMaterial, NoticePrint, TicketPrint, write_ticket
from devices.printer.virtual import VirtualPrinter

TICKET = TicketPrint(
    hall_name="示范市政务服务中心",
    number="A042",
    service_name="企业开办一件事",
    window_group="市场准入",
    location="二楼 B区 5–9号窗口",
    people_ahead=3,
    estimated_wait_min=15,
    issued_at=dt.datetime(2026, 3, 2, 9, 31),
    qr_data="https://hall.example/t/7f3a9c21",
)
NOTICE = NoticePrint(
    hall_name="示范市政务服务中心",
    title="个体工商户登记",
    materials=(NoticeMaterial("经营者身份证明", True), NoticeMaterial("经营场所证明", False)),
    time_limit="即办",
    fee="免费",
    where="市场准入 二楼 B区",
    issued_at=dt.datetime(2026, 3, 2, 9, 31),
)


@pytest.fixture
def printer(tmp_path: Path):
    with VirtualPrinter(out_dir=tmp_path / "printed") as p:
        yield p


def test_ticket_job_keeps_bytes_and_renders_png_and_text(printer: VirtualPrinter) -> None:
    job = printer.print_ticket(TICKET)
    expected = Dummy()
    write_ticket(expected, TICKET, 80)
    assert job.data == expected.output
    assert job.name == "ticket-A042"
    assert printer.jobs == [job]
    assert job.png_path is not None and job.png_path.name == "0001-ticket-A042.png"
    with Image.open(job.png_path) as img:
        assert img.width == 576
    text = job.png_path.with_name("0001-ticket-A042.txt").read_text(encoding="utf-8")
    assert "A042" in text.splitlines()
    assert "前面还有 3 人" in text


def test_jobs_are_numbered(printer: VirtualPrinter) -> None:
    printer.print_ticket(TICKET)
    job = printer.print_notice(NOTICE)
    assert job.png_path is not None and job.png_path.name == "0002-notice.png"
    names = sorted(p.name for p in printer.out_dir.iterdir())  # type: ignore[union-attr]
    assert names == [
        "0001-ticket-A042.png",
        "0001-ticket-A042.txt",
        "0002-notice.png",
        "0002-notice.txt",
    ]


def test_odd_job_names_make_safe_file_names(printer: VirtualPrinter) -> None:
    job = printer.run_job("../x y/票.1", lambda p: p._raw(b"hi\n"))
    assert job.png_path is not None
    assert job.png_path.parent == printer.out_dir
    assert job.png_path.name == "0001-x_y_.1.png"


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline", "error", "unknown"])
def test_refuses_when_it_cannot_print_and_records_nothing(tmp_path: Path, state: str) -> None:
    out = tmp_path / "printed"
    written = []
    with VirtualPrinter(out_dir=out, state=state) as printer:
        with pytest.raises(PrinterError) as info:
            printer.run_job("ticket-A001", written.append)
        assert info.value.status == PrinterStatus(state)  # type: ignore[arg-type]
        assert printer.jobs == []
        assert written == []  # the layout was not even run
        assert list(out.iterdir()) == []


def test_paper_out_then_refilled(printer: VirtualPrinter) -> None:
    printer.set_state("paper_out")
    assert not printer.status().can_print
    with pytest.raises(PrinterError):
        printer.print_ticket(TICKET)
    printer.set_state("near_end")
    assert printer.status() == PrinterStatus("near_end")
    job = printer.print_ticket(TICKET)
    assert job.png_path is not None and job.png_path.name.startswith("0001-")
    assert len(printer.jobs) == 1


def test_unknown_state_is_rejected() -> None:
    with pytest.raises(ValueError):
        VirtualPrinter(state="jammed")
    printer = VirtualPrinter()
    with pytest.raises(ValueError):
        printer.set_state("fine")


def test_without_out_dir_only_memory() -> None:
    printer = VirtualPrinter(paper_width_mm=58)
    job = printer.print_ticket(TICKET)
    assert job.png_path is None
    assert b"A042" in job.data


def test_58mm_rendering_width(tmp_path: Path) -> None:
    with VirtualPrinter(out_dir=tmp_path, paper_width_mm=58) as printer:
        job = printer.print_ticket(TICKET)
    assert job.png_path is not None
    with Image.open(job.png_path) as img:
        assert img.width == 384


def test_bad_paper_width() -> None:
    with pytest.raises(ValueError):
        VirtualPrinter(paper_width_mm=76)


def test_created_by_backend_name(tmp_path: Path) -> None:
    printer = create_printer("virtual", out_dir=tmp_path, paper_width_mm=58)
    assert isinstance(printer, VirtualPrinter)
    assert printer.paper_width_mm == 58


def test_concurrent_jobs_are_all_kept_with_unique_numbers(printer: VirtualPrinter) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for n in range(3):
                printer.run_job(f"t{index}-{n}", lambda p: p._raw(b"x\n"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(printer.jobs) == 12
    numbers = sorted(job.png_path.name[:4] for job in printer.jobs if job.png_path)
    assert numbers == [f"{n:04d}" for n in range(1, 13)]


def test_numbering_continues_after_a_restart(tmp_path: Path) -> None:
    with VirtualPrinter(out_dir=tmp_path) as first:
        first.print_ticket(TICKET)
    with VirtualPrinter(out_dir=tmp_path) as second:
        job = second.print_ticket(TICKET)
    assert job.png_path is not None and job.png_path.name == "0002-ticket-A042.png"
    assert len(list(tmp_path.glob("*.png"))) == 2
