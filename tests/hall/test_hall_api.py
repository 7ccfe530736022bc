"""The hall server's HTTP API against a real app on a temporary SQLite file."""

from __future__ import annotations

import datetime as dt

from hall_support import Hall

from hall.db import add_kiosk

# Services of the demo catalog (config/services.toml) and their window groups.
MARKET = "business-license"  # group market, prefix B, 5 counters (5–9), avg 720 s
CONSTRUCTION = "real-estate-registration"  # group construction, prefix A
LIVELIHOOD = "hukou-transfer"  # group livelihood, prefix C, counters 10–15
UNRESOLVED = "unresolved-report"  # group unresolved, prefix F, daily_reset = false


# -- health, docs, authentication ---------------------------------------------------------
def test_health_needs_no_token(hall: Hall) -> None:
    resp = hall.client.get("/api/v1/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["version"]


def test_openapi_documents_the_stable_paths(hall: Hall) -> None:
    paths = hall.client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/health",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/counters/{counter_id}/call-next",
        "/api/v1/tickets/{ticket_id}/recall",
        "/api/v1/tickets/{ticket_id}/no-show",
        "/api/v1/tickets/{ticket_id}/complete",
    ):
        assert path in paths


def test_requests_without_a_valid_token_get_401(hall: Hall) -> None:
    body = {"service_id": MARKET, "idempotency_key": "k"}
    assert hall.client.post("/api/v1/tickets", json=body).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert hall.client.post("/api/v1/tickets", json=body, headers=bad).status_code == 401
    assert hall.client.get("/api/v1/tickets/x").status_code == 401
    assert hall.client.post("/api/v1/counters/5/call-next").status_code == 401


def test_counter_actions_need_a_staff_token_and_issuing_a_kiosk_token(hall: Hall) -> None:
    resp = hall.client.post("/api/v1/counters/5/call-next", headers=hall.kiosk())
    assert resp.status_code == 403
    body = {"service_id": MARKET, "idempotency_key": "k"}
    assert hall.client.post("/api/v1/tickets", json=body, headers=hall.staff()).status_code == 403


def test_rotating_a_kiosk_token_revokes_the_old_one(hall: Hall) -> None:
    new_token = add_kiosk(hall.db_url, "kiosk-1")
    body = {"service_id": MARKET, "idempotency_key": "k"}
    old = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk())
    assert old.status_code == 401
    new = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk(new_token))
    assert new.status_code == 201


# -- issuing --------------------------------------------------------------------------------
def test_issue_returns_the_ticket_with_its_window_group(hall: Hall) -> None:
    ticket = hall.issue(MARKET)
    assert ticket["number"] == "B001"
    assert ticket["service_id"] == MARKET
    assert ticket["window_group"] == "market"
    assert ticket["window_group_name"] == "市场准入"
    assert ticket["location"].startswith("二楼 B区")
    assert ticket["status"] == "waiting"
    assert ticket["people_ahead"] == 0
    assert ticket["estimated_wait_s"] == 0
    assert ticket["priority"] is False
    assert ticket["masked_name"] is None
    assert ticket["kiosk_id"] == "kiosk-1"
    assert ticket["service_day"] == "2026-11-23"
    assert dt.datetime.fromisoformat(ticket["issued_at"]) == hall.clock.now
    fetched = hall.client.get(f"/api/v1/tickets/{ticket['id']}", headers=hall.kiosk())
    assert fetched.status_code == 200
    assert fetched.json() == ticket


def test_english_ticket_names_its_window_in_english(hall: Hall) -> None:
    ticket = hall.issue(MARKET, language="en")
    assert ticket["window_group_name"] == "Market entry"
    assert ticket["location"].startswith("Floor 2")


def test_unknown_service_is_422_with_a_clear_detail(hall: Hall) -> None:
    resp = hall.client.post(
        "/api/v1/tickets",
        json={"service_id": "no-such-item", "idempotency_key": "k"},
        headers=hall.kiosk(),
    )
    assert resp.status_code == 422
    assert "unknown service_id 'no-such-item'" in resp.json()["detail"]


def test_unknown_ticket_is_404(hall: Hall) -> None:
    assert hall.client.get("/api/v1/tickets/nope", headers=hall.kiosk()).status_code == 404


def test_retry_with_the_same_idempotency_key_returns_the_same_ticket(hall: Hall) -> None:
    body = {"service_id": MARKET, "idempotency_key": "kiosk-1/2026-11-23/0001"}
    first = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk())
    again = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"] == "B001"
    assert hall.issue(MARKET)["number"] == "B002"  # the retry consumed no number


def test_same_key_from_another_kiosk_is_another_ticket(hall: Hall) -> None:
    other = add_kiosk(hall.db_url, "kiosk-2")
    body = {"service_id": MARKET, "idempotency_key": "same"}
    a = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk())
    b = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk(other))
    assert (a.status_code, b.status_code) == (201, 201)
    assert (a.json()["number"], b.json()["number"]) == ("B001", "B002")
    assert b.json()["kiosk_id"] == "kiosk-2"


def test_reusing_a_key_for_another_service_is_409(hall: Hall) -> None:
    hall.client.post(
        "/api/v1/tickets", json={"service_id": MARKET, "idempotency_key": "k"}, headers=hall.kiosk()
    )
    resp = hall.client.post(
        "/api/v1/tickets",
        json={"service_id": LIVELIHOOD, "idempotency_key": "k"},
        headers=hall.kiosk(),
    )
    assert resp.status_code == 409


# -- numbering ------------------------------------------------------------------------------
def test_numbers_count_per_prefix_independently(hall: Hall) -> None:
    numbers = [
        hall.issue(s)["number"] for s in (CONSTRUCTION, CONSTRUCTION, MARKET, CONSTRUCTION, MARKET)
    ]
    assert numbers == ["A001", "A002", "B001", "A003", "B002"]
    # A bundle takes its group's numbers: the restaurant bundle belongs to market (B).
    assert hall.issue("restaurant-bundle")["number"] == "B003"


def test_numbers_reset_on_the_halls_local_day_not_utc(hall: Hall) -> None:
    # 23:50 in Beijing is 15:50 UTC: still the same service day.
    hall.clock.now = dt.datetime(2026, 11, 23, 15, 50, tzinfo=dt.UTC)
    assert hall.issue(MARKET)["number"] == "B001"
    assert hall.issue(MARKET)["number"] == "B002"
    unresolved = hall.issue(UNRESOLVED)
    assert unresolved["number"] == "F001"
    hall.clock.advance(minutes=20)  # 00:10 in Beijing, still 16:10 on the 23rd in UTC
    ticket = hall.issue(MARKET)
    assert ticket["number"] == "B001"
    assert ticket["service_day"] == "2026-11-24"
    assert ticket["people_ahead"] == 0  # yesterday's unserved tickets are not in today's queue
    # 办不成事反映 numbers with daily_reset = false never restart, and its queue carries over.
    carried = hall.issue(UNRESOLVED)
    assert carried["number"] == "F002"
    assert carried["people_ahead"] == 1


def test_numbers_go_past_999_without_truncation(hall: Hall) -> None:
    from hall.numbering import format_number

    assert [format_number("A", n) for n in (1, 42, 999, 1000, 12345)] == [
        "A001",
        "A042",
        "A999",
        "A1000",
        "A12345",
    ]


# -- counters -----------------------------------------------------------------------------
def test_call_next_takes_priority_tickets_first_then_the_oldest(hall: Hall) -> None:
    c1 = hall.issue(LIVELIHOOD)
    c2 = hall.issue(LIVELIHOOD, priority=True)
    c3 = hall.issue(LIVELIHOOD)
    c4 = hall.issue(LIVELIHOOD, priority=True)
    assert (c1["people_ahead"], c2["people_ahead"], c3["people_ahead"], c4["people_ahead"]) == (
        0,
        0,
        2,  # C003 waits behind C001 and the priority C002
        1,  # C004 (priority) waits behind C002 only
    )
    called = [hall.call_next("10")["number"] for _ in range(4)]
    assert called == ["C002", "C004", "C001", "C003"]
    assert hall.call_next("10") is None


def test_call_next_returns_204_when_nobody_waits_and_404_for_unknown_counters(hall: Hall) -> None:
    resp = hall.client.post("/api/v1/counters/5/call-next", headers=hall.staff())
    assert resp.status_code == 204
    assert resp.content == b""
    resp = hall.client.post("/api/v1/counters/99/call-next", headers=hall.staff())
    assert resp.status_code == 404


def test_a_counter_only_calls_its_own_window_groups(hall: Hall) -> None:
    hall.issue(MARKET)
    assert hall.call_next("1") is None  # counter 1 serves construction only
    called = hall.call_next("5")
    assert called["number"] == "B001"
    assert called["status"] == "called"
    assert called["counter"] == "5"


def test_ticket_lifecycle_and_invalid_transitions(hall: Hall) -> None:
    ticket = hall.issue(MARKET)
    hall.act(ticket["id"], "complete", expect=409)  # still waiting
    hall.act(ticket["id"], "recall", expect=409)
    called = hall.call_next("6")
    assert called["id"] == ticket["id"]
    recalled = hall.act(ticket["id"], "recall")
    assert (recalled["status"], recalled["recall_count"]) == ("called", 1)
    done = hall.act(ticket["id"], "complete")
    assert done["status"] == "completed"
    assert done["completed_at"] is not None
    hall.act(ticket["id"], "complete", expect=409)
    hall.act(ticket["id"], "no-show", expect=409)
    hall.act("no-such-ticket", "complete", expect=404)

    late = hall.issue(MARKET)
    hall.call_next("6")
    assert hall.act(late["id"], "no-show")["status"] == "no_show"
    hall.act(late["id"], "recall", expect=409)


# -- people ahead and wait estimate ---------------------------------------------------------
def test_wait_estimate_uses_real_service_times_once_three_are_known(hall: Hall) -> None:
    # Market: 5 counters, catalog fallback 720 s per citizen.
    first = [hall.issue(MARKET) for _ in range(3)]
    assert first[2]["people_ahead"] == 2
    assert first[2]["estimated_wait_s"] == 720  # ceil(2 / 5) × 720 (fallback)

    for minutes in (2, 4, 10):  # real service times: 120 s, 240 s, 600 s → median 240 s
        ticket = hall.call_next("5")
        hall.clock.advance(minutes=minutes)
        hall.act(ticket["id"], "complete")

    waiting = [hall.issue(MARKET) for _ in range(7)]
    last = waiting[-1]
    assert last["people_ahead"] == 6
    assert last["estimated_wait_s"] == 2 * 240  # ceil(6 / 5) × 240

    # Live: once two are called, the last ticket's position and estimate shrink.
    hall.call_next("5")
    hall.call_next("7")
    now = hall.client.get(f"/api/v1/tickets/{last['id']}", headers=hall.kiosk()).json()
    assert now["people_ahead"] == 4
    assert now["estimated_wait_s"] == 240  # ceil(4 / 5) × 240


def test_wait_estimate_stays_on_the_catalog_value_with_two_service_times(hall: Hall) -> None:
    for _ in range(2):
        hall.issue(LIVELIHOOD)
        ticket = hall.call_next("11")
        hall.clock.advance(seconds=30)
        hall.act(ticket["id"], "complete")
    tickets = [hall.issue(LIVELIHOOD) for _ in range(8)]
    # Livelihood: 6 counters, avg_service_s 420; 7 ahead → 2 rounds.
    assert tickets[-1]["people_ahead"] == 7
    assert tickets[-1]["estimated_wait_s"] == 2 * 420
