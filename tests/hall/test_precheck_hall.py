"""材料预审 at the hall server: a kiosk attaches its result to a ticket (codes only), the
window reads it, and the 一次性备齐率 is counted per day and item."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hall_support import Hall


def _result(service_id: str, overall: str, **extra: Any) -> dict[str, Any]:
    statuses = {
        "complete": ["present_fine", "present_fine"],
        "can_queue_with_rongque": ["present_fine", "missing"],
        "core_missing": ["missing", "missing"],
    }[overall]
    return {
        "service_id": service_id,
        "overall": overall,
        "pages": 2,
        "engine": "rapidocr",
        "checked_at": "2026-11-23T01:00:00+00:00",
        "materials": [
            {"index": 0, "doc_type": "id_card_front", "status": statuses[0], "core": True},
            {"index": 1, "doc_type": "application_form", "status": statuses[1], "core": False},
        ],
        **extra,
    }


def _attach(hall: Hall, ticket_id: str, body: dict[str, Any], expect: int = 201) -> Any:
    resp = hall.client.post(
        f"/api/v1/tickets/{ticket_id}/precheck", json=body, headers=hall.kiosk()
    )
    assert resp.status_code == expect, resp.text
    return resp.json()


def test_the_window_reads_a_tickets_precheck(hall: Hall) -> None:
    ticket = hall.issue("social-security-card")
    body = _result("social-security-card", "can_queue_with_rongque", kiosk_id="kiosk-1")
    stored = _attach(hall, ticket["id"], body)
    assert stored["ticket_number"] == ticket["number"] and stored["ready"] is True
    # sent again (a retry): the first result is kept and answered
    again = _attach(hall, ticket["id"], _result("social-security-card", "complete"), expect=200)
    assert again["overall"] == "can_queue_with_rongque"
    read = hall.client.get(f"/api/v1/tickets/{ticket['id']}/precheck", headers=hall.staff())
    assert read.status_code == 200
    got = read.json()
    assert got["overall"] == "can_queue_with_rongque" and got["pages"] == 2
    assert got["materials"][1] == {
        "index": 1, "doc_type": "application_form", "status": "missing", "core": False
    }  # fmt: skip
    # kiosks do not read it; staff do not write it
    assert hall.client.get(
        f"/api/v1/tickets/{ticket['id']}/precheck", headers=hall.kiosk()
    ).status_code == 403  # fmt: skip
    assert hall.client.post(
        f"/api/v1/tickets/{ticket['id']}/precheck", json=body, headers=hall.staff()
    ).status_code == 403  # fmt: skip
    other = hall.issue("policy-consultation")
    assert hall.client.get(
        f"/api/v1/tickets/{other['id']}/precheck", headers=hall.staff()
    ).status_code == 404  # fmt: skip


def test_only_codes_are_accepted_and_stored(hall: Hall) -> None:
    ticket = hall.issue("social-security-card")
    # a recognised field (name, ID number) is refused, never stored
    leaky = _result("social-security-card", "complete", fields={"name": "叶俊涵"})
    _attach(hall, ticket["id"], leaky, expect=422)
    leaky = _result("social-security-card", "complete")
    leaky["materials"][0]["id_number"] = "420106199703162827"
    _attach(hall, ticket["id"], leaky, expect=422)
    # for another item, or an unknown ticket
    _attach(hall, ticket["id"], _result("policy-consultation", "complete"), expect=409)
    _attach(hall, "no-such-ticket", _result("social-security-card", "complete"), expect=404)
    _attach(hall, ticket["id"], _result("social-security-card", "complete"))
    with sqlite3.connect(hall.db_path) as db:
        dump = "\n".join(db.iterdump())
    assert "叶俊涵" not in dump and "420106199703162827" not in dump
    assert "prechecks" in dump


def test_first_visit_completeness_rate_per_day_and_item(hall: Hall) -> None:
    plan = [
        ("social-security-card", "complete"),
        ("social-security-card", "can_queue_with_rongque"),
        ("social-security-card", "core_missing"),
        ("newborn-bundle", "core_missing"),
    ]
    for service, overall in plan:
        _attach(hall, hall.issue(service)["id"], _result(service, overall))
    hall.clock.advance(days=1)
    _attach(hall, hall.issue("newborn-bundle")["id"], _result("newborn-bundle", "complete"))
    hall.issue("newborn-bundle")  # not pre-checked: not counted
    resp = hall.client.get(
        "/api/v1/precheck/stats", params={"from": "2026-11-01"}, headers=hall.staff()
    )
    assert resp.status_code == 200, resp.text
    stats = resp.json()
    assert stats["date_to"] == "2026-11-24"
    assert (stats["total"]["prechecked"], stats["total"]["ready"]) == (5, 3)
    assert stats["total"]["rate"] == 0.6
    days = {r["day"]: (r["prechecked"], r["ready"], r["rate"]) for r in stats["by_day"]}
    assert days == {"2026-11-23": (4, 2, 0.5), "2026-11-24": (1, 1, 1.0)}
    items = {r["service_id"]: (r["prechecked"], r["core_missing"]) for r in stats["by_item"]}
    assert items == {"newborn-bundle": (2, 1), "social-security-card": (3, 1)}
    both = {(r["day"], r["service_id"]): r["rate"] for r in stats["by_day_item"]}
    assert both[("2026-11-23", "social-security-card")] == round(2 / 3, 4)
    assert both[("2026-11-23", "newborn-bundle")] == 0.0
    assert hall.client.get("/api/v1/precheck/stats", headers=hall.kiosk()).status_code == 403


def test_the_default_range_ends_on_the_halls_day_not_utcs(hall: Hall) -> None:
    """07:00 in Beijing is 23:00 UTC the day before: "today" is the hall's day."""
    hall.clock.advance(days=1, hours=-2)  # 2026-11-24 07:00 +08:00
    hall.clock.now = hall.clock.now.astimezone(dt.UTC)  # as the server's clock gives it
    _attach(hall, hall.issue("social-security-card")["id"],
            _result("social-security-card", "complete"))  # fmt: skip
    stats = hall.client.get("/api/v1/precheck/stats", headers=hall.staff()).json()
    assert stats["date_to"] == "2026-11-24"
    assert stats["total"]["prechecked"] == 1
