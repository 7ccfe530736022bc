"""Reading the ticket's QR from a picture (kiosk.qr), and the outbox's dispatch by kind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import qrcode
from escpos.printer import Dummy
from PIL import Image

from devices.printer.layout import write_ticket
from devices.printer.render import render
from devices.printer.samples import sample_ticket
from kiosk.outbox import Dispatcher, Message, Outbox
from kiosk.qr import QrError, ticket_id_from_image

TICKET_ID = "0b7e6a52-3f7c-4c5e-9a55-2f1d9f0c8e11"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_printed_ticket_gives_its_id(paper_mm: int) -> None:
    printer = Dummy()
    write_ticket(printer, sample_ticket(qr_data=f"HALLTICKET:{TICKET_ID}"), paper_mm)
    image = render(printer.output, paper_mm).image
    assert ticket_id_from_image(_png(image)) == TICKET_ID
    # as a document camera sees it: smaller, on a grey desk, saved as JPEG
    desk = Image.new("RGB", (1280, 960), (90, 90, 90))
    small = image.convert("RGB").resize((image.width * 2 // 3, image.height * 2 // 3))
    desk.paste(small, (200, 80))
    buffer = io.BytesIO()
    desk.save(buffer, "JPEG", quality=85)
    assert ticket_id_from_image(buffer.getvalue()) == TICKET_ID


def test_what_is_not_a_ticket_is_named() -> None:
    with pytest.raises(QrError) as no_qr:
        ticket_id_from_image(_png(Image.new("L", (640, 480), 255)))
    assert no_qr.value.code == "no_qr"
    with pytest.raises(QrError) as other:
        ticket_id_from_image(_png(qrcode.make("https://example.org/").get_image()))
    assert other.value.code == "not_ticket"
    with pytest.raises(QrError) as broken:
        ticket_id_from_image(b"not a picture")
    assert broken.value.code == "not_image"


def test_messages_go_to_the_sender_of_their_kind(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.put("rating", "r1", {"level": "satisfied"})
    box.put("case", "c1", {"categories": ["其他"]})
    box.put("offline_ticket", "t1", {"n": 1})
    seen: list[tuple[str, str]] = []

    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda m: seen.append((kind, m.key))

    dispatch = Dispatcher({"rating": record("rating"), "case": record("case")})
    assert box.deliver(dispatch) == (2, 1)
    assert seen == [("rating", "r1"), ("case", "c1")]
    [dead] = box.dead_letters()  # a kind nobody sends is kept for staff, not dropped
    assert isinstance(dead, Message) and dead.key == "t1" and "offline_ticket" in dead.last_error
    assert box.state("t1") == "dead" and box.state("r1") is None
    box.close()


def test_a_scanned_ticket_the_server_refuses_is_not_blamed_on_the_scanner(
    tmp_path: Path,
) -> None:
    """The QR was read, but the hall server refused the look-up (here: a revoked token): the
    citizen hears that the system refused it, and staff get no false scanner alarm."""
    from contract.catalog import load_catalog
    from hall.embedded import EmbeddedHallServer
    from kiosk.flow import Flow
    from kiosk.hall_client import HallClient
    from kiosk.rating import RatingService
    from kiosk.runner import ImmediateRunner
    from kiosk.settings import load_settings
    from kiosk.visit import Problem, Screen

    settings = load_settings()
    server = EmbeddedHallServer(tmp_path, settings.kiosk.catalog, "kiosk-07")
    server.start()
    printer = Dummy()
    write_ticket(printer, sample_ticket(qr_data=f"HALLTICKET:{TICKET_ID}"), 80)
    page = _png(render(printer.output, 80).image)
    hall = HallClient(server.url, "not-this-kiosks-token", 5.0)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        flow = Flow(load_catalog(settings.kiosk.catalog), hall, Dummy(), ImmediateRunner())  # type: ignore[arg-type]
        flow.rating.sink = RatingService(hall, outbox, scan=lambda: page)
        alerts: list[str] = []
        flow.staff_alert.connect(alerts.append)
        flow.rating.open()
        flow.rating.scan_ticket()
        assert flow.state.screen is Screen.RATE_FIND
        assert flow.state.message is not None
        assert flow.state.message.problem is Problem.HALL_REJECTED
        assert alerts == []
    finally:
        outbox.close()
        hall.close()
        server.stop()
