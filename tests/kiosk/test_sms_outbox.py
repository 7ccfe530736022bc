"""短信提醒 at the kiosk: the number is kept in the durable outbox and sent; a refusal for good
leaves a dead letter with the number masked, never the plain number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kiosk.hall_client import HallRejected, HallUnavailable
from kiosk.outbox import Message, Outbox
from kiosk.sms import KIND, SmsService
from kiosk.tickets import Ticket

PHONE = "13812345678"


class Hall:
    """Stands in for the hall server's answer (the real route: tests/hall/test_sms.py and,
    through a real server, tests/ui/test_sms.py)."""

    def __init__(self, answer: Exception | None = None) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    def subscribe_sms(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        if self.answer is not None:
            raise self.answer
        return {"ticket_number": "B001", "phone_masked": "138****5678"}


def ticket(offline: bool = False) -> Ticket:
    return Ticket(id="offline:abc" if offline else "t-1", number="B001",
                  service_id="business-license", window_group="market", people_ahead=4,
                  estimated_wait_s=600, issued_at=dt.datetime.now(dt.UTC), priority=False,
                  offline=offline)  # fmt: skip


def test_kept_then_sent_online_by_id_offline_by_key(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        hall = Hall()
        sms = SmsService(hall, outbox)
        assert sms.request(ticket(), PHONE, "zh") == "138****5678"
        assert sms.request(ticket(offline=True), PHONE, "en") == "138****5678"
        assert sms.request(ticket(), "13900000000", "zh")  # one number per ticket: ignored
        assert outbox.backlog(KIND) == 2
        assert outbox.deliver(sms.send) == (2, 0)
        assert hall.bodies == [
            {"ticket_id": "t-1", "phone": PHONE, "language": "zh"},
            {"ticket_key": "offline:abc", "phone": PHONE, "language": "en"},
        ]
        with pytest.raises(ValueError):
            sms.request(ticket(), "12812345678", "zh")
    finally:
        outbox.close()


def test_server_down_retries_and_a_refusal_keeps_the_number_masked(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3", base_backoff_s=0.0)
    try:
        hall = Hall(HallUnavailable("down"))
        sms = SmsService(hall, outbox)
        sms.request(ticket(), PHONE, "zh")
        assert outbox.deliver(sms.send) == (0, 1)
        assert outbox.backlog(KIND) == 1 and outbox.dead_letters() == []
        hall.answer = HallRejected(409, "这张号票已办结", "ticket_over")
        assert outbox.deliver(sms.send) == (0, 1)
        [dead] = outbox.dead_letters()
        assert dead.payload["phone"] == "138****5678" and "409" in dead.last_error
    finally:
        outbox.close()
    assert PHONE.encode() not in (tmp_path / "outbox.sqlite3").read_bytes()


def test_an_offline_tickets_number_waits_for_the_ticket_in_backoff(tmp_path: Path) -> None:
    """The ticket's message backs off longer than the number's (it failed more often while
    the server was down): the number must still not reach the server before the ticket,
    which would refuse it for good (404, the ticket unknown yet)."""
    now = [1000.0]
    outbox = Outbox(tmp_path / "outbox.sqlite3", base_backoff_s=2, clock=lambda: now[0])
    known: set[str] = set()

    class Server(Hall):
        def subscribe_sms(self, body: dict[str, Any]) -> dict[str, Any]:
            self.bodies.append(body)
            if body["ticket_key"] not in known:
                raise HallRejected(404, "没有找到这张号票。", "no_ticket")
            return {"ticket_number": "B001", "phone_masked": "138****5678"}

    def down(message: Message) -> None:
        raise HallUnavailable("down")

    try:
        hall = Server()
        sms = SmsService(hall, outbox)
        outbox.put("offline_ticket", "offline:abc", {"number": "B001"})
        for _ in range(3):  # the server is down: the ticket backs off 2, 4, 8 s
            outbox.deliver(down)
            now[0] += 7
        sms.request(ticket(offline=True), PHONE, "zh")
        assert [m.key for m in outbox.due()] == ["offline:abc:sms"]  # the ticket not due yet

        def send(message: Message) -> None:
            if message.kind == KIND:
                sms.send(message)
            else:
                known.add(message.key)

        assert outbox.deliver(send) == (0, 0)  # the number waits, no attempt counted
        assert hall.bodies == [] and outbox.dead_letters() == []
        now[0] += 8  # the ticket's backoff is over: ticket first, then the number
        assert outbox.deliver(send) == (2, 0)
        assert hall.bodies == [{"ticket_key": "offline:abc", "phone": PHONE, "language": "zh"}]
        assert outbox.backlog() == 0 and outbox.dead_letters() == []
    finally:
        outbox.close()
