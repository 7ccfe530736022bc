"""The ticket's QR carries the signed link to the citizen's phone page (issue 14 part 2):
the kiosk takes it from the server's answer, prints it, and its scanner still finds the
ticket from it — and from the old ``HALLTICKET:`` form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from escpos.printer import Dummy

from devices.printer.layout import write_ticket
from devices.printer.render import render
from devices.printer.samples import sample_ticket
from kiosk.qr import QrError, decode_qr, ticket_id_from_image, ticket_id_from_qr
from kiosk.tickets import Ticket

TICKET_ID = "0b7e6a52-3f7c-4c5e-9a55-2f1d9f0c8e11"
SIG = "Q2xlYXJseU5vdEFTZWNyZX"
PUBLIC = "https://hall.example.gov.cn"


def _api_ticket(**extra: object) -> dict[str, object]:
    return {
        "id": TICKET_ID, "number": "B001", "service_id": "business-license",
        "window_group": "market", "people_ahead": 0, "estimated_wait_s": 0,
        "issued_at": "2026-11-23T09:00:00+08:00", **extra,
    }  # fmt: skip


def test_the_qr_is_the_servers_link_or_the_old_form() -> None:
    link = f"{PUBLIC}/t/{TICKET_ID}/{SIG}"
    assert Ticket.from_api(_api_ticket(public_url=link)).qr_data == link
    assert Ticket.from_api(_api_ticket(public_url=None)).qr_data == f"HALLTICKET:{TICKET_ID}"
    assert Ticket.from_api(_api_ticket()).qr_data == f"HALLTICKET:{TICKET_ID}"


@pytest.mark.parametrize(
    "text",
    [
        f"{PUBLIC}/t/{TICKET_ID}/{SIG}",
        f"http://10.0.0.5:8000/hall/t/{TICKET_ID}/{SIG}",  # a path prefix and a port
        f"HALLTICKET:{TICKET_ID}",
    ],
)
def test_both_forms_give_the_ticket_id(text: str) -> None:
    assert ticket_id_from_qr(text) == TICKET_ID


@pytest.mark.parametrize(
    "text",
    [
        f"{PUBLIC}/t/{TICKET_ID}",  # no signature
        f"{PUBLIC}/x/{TICKET_ID}/{SIG}",
        f"{PUBLIC}/t/{TICKET_ID}/{SIG}?next=1",
        f"ftp://hall/t/{TICKET_ID}/{SIG}",
        "https://example.org/",
        f"{PUBLIC}/t/{'a' * 400}/{SIG}",
    ],
)
def test_other_links_are_not_tickets(text: str) -> None:
    with pytest.raises(QrError) as err:
        ticket_id_from_qr(text)
    assert err.value.code == "not_ticket"


def test_a_printed_ticket_from_a_real_server_opens_its_page_and_rates_by_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real hall server with HALL_PUBLIC_URL: the issued ticket's QR, printed (ESC/POS
    bytes rendered as the paper shows them), decodes to the link; the link's page answers;
    the kiosk's rating-by-QR finds the ticket from the same picture."""
    import httpx

    from hall.embedded import EmbeddedHallServer
    from kiosk.hall_client import HallClient
    from kiosk.outbox import Outbox
    from kiosk.rating import RatingService
    from kiosk.settings import load_settings

    monkeypatch.setenv("HALL_PUBLIC_URL", PUBLIC)
    settings = load_settings()
    server = EmbeddedHallServer(tmp_path, settings.kiosk.catalog, "kiosk-07")
    server.start()
    hall = HallClient(server.url, server.token, 5.0)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        ticket = hall.issue_ticket("business-license", "k-1")
        assert ticket.qr_data.startswith(f"{PUBLIC}/t/{ticket.id}/")
        printer = Dummy()
        write_ticket(printer, sample_ticket(qr_data=ticket.qr_data, number=ticket.number), 80)
        image = render(printer.output, 80).image
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        png = buffer.getvalue()
        assert decode_qr(png) == [ticket.qr_data]
        assert ticket_id_from_image(png) == ticket.id

        # the phone opens the link (here: the same server, as HALL_PUBLIC_URL would route)
        path = ticket.qr_data[len(PUBLIC) :]
        page = httpx.get(f"{server.url}{path}/state", timeout=5.0)
        assert page.status_code == 200 and page.json()["number"] == ticket.number

        found = RatingService(hall, outbox, scan=lambda: png).lookup_scanned()
        assert found["ticket_id"] == ticket.id and found["number"] == ticket.number
    finally:
        outbox.close()
        hall.close()
        server.stop()


def test_an_offline_tickets_link_gives_the_id_the_kiosk_chose() -> None:
    ticket_id = "3f2b8c1e-0d4a-4c6e-9b1a-7e5d2c9f0a11"
    link = f"https://hall.example.gov.cn/t/o/17/{ticket_id}/{'A' * 22}"
    assert ticket_id_from_qr(link) == ticket_id
    for bad in (
        f"https://hall.example.gov.cn/t/o/x/{ticket_id}/{'A' * 22}",
        f"https://hall.example.gov.cn/t/o/17/{ticket_id}/short",
    ):
        with pytest.raises(QrError):
            ticket_id_from_qr(bad)
