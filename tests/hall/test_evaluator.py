"""Window evaluator: bound to its counter by a device token, rates only that counter's
ticket just completed, within the rating window; one rating per ticket across channels."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hall_support import Hall

from hall.evaluator import add_evaluator
from hall.rating_chain import verify_chain
from hall.testing import REPO_ROOT

SERVICE = "business-license"  # group market, counters 5–9
COUNTERS = {str(n) for n in range(1, 24)}


def _evaluator(hall: Hall, counter: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {add_evaluator(hall.db_url, counter, COUNTERS)}"}


def _served(hall: Hall, counter: str) -> dict[str, Any]:
    hall.clock.advance(seconds=30)
    hall.issue(SERVICE)
    ticket = hall.call_next(counter)
    assert ticket is not None
    return hall.act(ticket["id"], "complete")


def _rate(hall: Hall, device: dict[str, str], number: str, **body: Any) -> Any:
    payload = {"ticket_number": number, "idempotency_key": f"w-{number}", "level": "satisfied"}
    return hall.client.post("/api/v1/evaluator/ratings", json={**payload, **body}, headers=device)


def test_window_rating_arrives_once_and_a_second_by_kiosk_gets_409(hall: Hall) -> None:
    device = _evaluator(hall, "5")
    idle = hall.client.get("/api/v1/evaluator/state", headers=device).json()
    assert idle["counter"] == "5" and idle["pending"] is None and idle["commitments"]
    assert idle["staff"] is None  # nobody has called here today yet

    ticket = _served(hall, "5")
    state = hall.client.get("/api/v1/evaluator/state", headers=device).json()
    assert state["pending"]["ticket_number"] == ticket["number"]
    assert state["staff"]["name"] == "王*"  # who called the ticket at this counter
    assert [lv["name"] for lv in state["levels"]][0] == "非常满意"

    first = _rate(hall, device, ticket["number"])
    assert first.status_code == 201, first.text
    assert first.json()["channel"] == "window"
    assert first.json()["counter"] == "5"
    again = _rate(hall, device, ticket["number"])  # the tablet retried: same answer
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    by_kiosk = hall.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "kiosk-1", "ticket_id": ticket["id"], "level": "basic"},
        headers=hall.kiosk(),
    )
    assert by_kiosk.status_code == 409, by_kiosk.text
    assert by_kiosk.json()["code"] == "already_rated"
    assert "已经评价过了" in by_kiosk.json()["detail"]
    other_key = _rate(hall, device, ticket["number"], idempotency_key="w-other")
    assert other_key.status_code == 409 and other_key.json()["code"] == "already_rated"

    after = hall.client.get("/api/v1/evaluator/state", headers=device).json()
    assert after["pending"] is None
    report = verify_chain(hall.client.app.state.engine)  # type: ignore[attr-defined]
    assert report.ok and report.count == 1


def test_a_kiosk_rating_first_makes_the_window_rating_409(hall: Hall) -> None:
    device = _evaluator(hall, "5")
    ticket = _served(hall, "5")
    by_kiosk = hall.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "kiosk-1", "ticket_id": ticket["id"], "level": "basic"},
        headers=hall.kiosk(),
    )
    assert by_kiosk.status_code == 201
    late = _rate(hall, device, ticket["number"])
    assert late.status_code == 409 and late.json()["code"] == "already_rated"


def test_the_token_rates_only_its_counters_last_ticket_within_the_window(hall: Hall) -> None:
    device = _evaluator(hall, "5")
    elsewhere = _served(hall, "6")
    refused = _rate(hall, device, elsewhere["number"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_this_counters_ticket"

    older = _served(hall, "5")
    newer = _served(hall, "5")
    stale = _rate(hall, device, older["number"])  # not the last one any more
    assert stale.json()["code"] == "not_this_counters_ticket"

    bad = _rate(hall, device, newer["number"], level="dissatisfied")
    assert bad.status_code == 422 and bad.json()["code"] == "reasons_required"
    unknown = _rate(hall, device, newer["number"], level="dissatisfied", reasons=["天气"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_reason"

    hall.clock.advance(minutes=6)  # the window is 5 minutes
    closed = _rate(hall, device, newer["number"], level="dissatisfied", reasons=["效率"])
    assert closed.status_code == 409 and closed.json()["code"] == "rating_window_closed"
    state = hall.client.get("/api/v1/evaluator/state", headers=device).json()
    assert state["pending"] is None

    # staff and kiosk tokens are not evaluator tokens; a rotated token stops working
    for headers in (hall.staff(), hall.kiosk(), {}):
        assert hall.client.get("/api/v1/evaluator/state", headers=headers).status_code == 401
    _evaluator(hall, "5")
    assert hall.client.get("/api/v1/evaluator/state", headers=device).status_code == 401


def test_the_evaluator_is_not_listed_as_a_kiosk_and_cannot_act_as_one(hall: Hall) -> None:
    device = _evaluator(hall, "5")
    kiosks = hall.client.get("/api/v1/kiosks", headers=hall.staff()).json()
    assert [k["id"] for k in kiosks] == ["kiosk-1"]
    issue = hall.client.post(
        "/api/v1/tickets", json={"service_id": SERVICE, "idempotency_key": "x"}, headers=device
    )
    assert issue.status_code == 401


def test_add_evaluator_command(hall: Hall) -> None:
    run = [sys.executable, "-m", "hall", "add-evaluator", "--database-url", hall.db_url]
    done = subprocess.run([*run, "7"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    state = hall.client.get("/api/v1/evaluator/state", headers={"Authorization": f"Bearer {token}"})
    assert state.json()["counter"] == "7"
    bad = subprocess.run([*run, "99"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown counter" in bad.stderr


def test_the_staff_on_duty_is_shown_with_their_staff_number(hall: Hall) -> None:
    from hall.db import add_staff

    token = add_staff(hall.db_url, "李*", number="A1024", password="correct horse 1")
    device = _evaluator(hall, "5")
    hall.issue(SERVICE)
    called = hall.client.post(
        "/api/v1/counters/5/call-next", headers={"Authorization": f"Bearer {token}"}
    )
    assert called.status_code == 200, called.text
    staff = hall.client.get("/api/v1/evaluator/state", headers=device).json()["staff"]
    assert staff == {"name": "李*", "staff_number": "A1024"}
