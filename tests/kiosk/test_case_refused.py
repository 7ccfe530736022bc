"""A case the hall server refuses for good: the citizen is told (no "kept" receipt), the
message is a dead letter for staff, and the mobile number is in no log and no error text."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from hall.embedded import EmbeddedHallServer
from kiosk.cases import CaseService
from kiosk.embedded import EmbeddedHall
from kiosk.hall_client import HallRejected
from kiosk.journeys.case import CaseDraft
from kiosk.outbox import Dispatcher, Outbox, OutboxSender
from kiosk.settings import load_settings

PHONE = "13912345678"


def test_a_refused_case_is_said_and_its_phone_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings()
    hall = EmbeddedHall(EmbeddedHallServer(tmp_path, settings.kiosk.catalog, "kiosk-07"), 3.0)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    cases = CaseService(hall, outbox, confirm_s=10.0)
    sender = OutboxSender(outbox, Dispatcher({"case": cases.send}), interval_s=0.2)
    cases.kick = sender.kick
    draft = CaseDraft(conditions=frozenset({"policy_room"}), categories=("不在清单里的类别",),
                      phone=PHONE, consent=True)  # fmt: skip
    hall.start()
    sender.start()
    try:
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(HallRejected) as refused:
                cases.create("visit1:case", draft)
            assert refused.value.code == "unknown_category"
            deadline = time.monotonic() + 5  # the citizen is told first, then it is marked
            while not outbox.dead_letters() and time.monotonic() < deadline:
                time.sleep(0.01)
            [dead] = outbox.dead_letters()
            assert dead.key == "visit1:case" and dead.last_error == "422 unknown_category"
            # tapped again: refused at once, never a receipt claiming it will be registered
            with pytest.raises(HallRejected):
                cases.create("visit1:case", draft)
        assert PHONE not in caplog.text
        assert outbox.backlog() == 0
        # the dead letter kept for staff holds the case without the plain number
        [dead] = outbox.dead_letters()
        assert dead.payload["phone"] == "139****5678" and dead.payload["categories"]
        sender.stop()  # its delivery round has ended (with its checkpoint)
        raw = (tmp_path / "outbox.sqlite3").read_bytes() + b"".join(
            f.read_bytes() for f in tmp_path.glob("outbox.sqlite3-*")
        )
        assert PHONE.encode() not in raw.replace(b"\x00", b"")
    finally:
        sender.stop()
        outbox.close()
        hall.close()
