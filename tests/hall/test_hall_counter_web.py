"""The counter workstation over HTTP (real app, real SQLite): staff accounts with 工号 and
password, the five-strikes lock kept in the database, sessions bound to a counter and
revoked on logout, CSRF on every change, and the page's actions on the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, Hall
from hall_support import counter_act as _act
from hall_support import counter_csrf as _csrf
from hall_support import counter_sign_in as _sign_in
from sqlalchemy import select

from hall.__main__ import main as hall_main
from hall.app import create_app
from hall.db import add_staff, make_engine, transaction
from hall.models import CounterSession, Staff
from hall.staff_accounts import MAX_FAILED

PASSWORD = "counter-pass-1"


@pytest.fixture
def staff_number(hall: Hall) -> str:
    add_staff(hall.db_url, "王*", number="1001", password=PASSWORD)
    return "1001"


def test_sign_in_work_the_queue_and_sign_out_revokes_the_session(
    hall: Hall, staff_number: str
) -> None:
    client = hall.client
    assert client.get("/counter/", follow_redirects=False).headers["location"] == "/counter/login"
    resp = _sign_in(client, staff_number, PASSWORD)
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/counter" in cookie
    ticket = hall.issue("business-license", holder={"id_number": "110101199001011234",
                                                    "masked_name": "张*"})  # fmt: skip
    hall.issue("tax-invoice")
    csrf = _csrf(client)
    state = client.get("/counter/state.json").json()
    assert state["counter_id"] == "5" and state["current"] is None
    assert [w["number"] for w in state["waiting"]] == [ticket["number"], "B002"]
    assert "张" not in str(state["waiting"])  # numbers, items, waiting times only

    # A change without the CSRF header is refused and changes nothing.
    refused = client.post("/counter/api/call-next", json={})
    assert refused.status_code == 403
    assert client.get("/counter/state.json").json()["current"] is None

    called = _act(client, "call-next", csrf)
    assert called["message"].startswith(f"已呼叫 {ticket['number']}")
    current = called["state"]["current"]
    assert current["number"] == ticket["number"] and current["masked_name"] == "张*"
    assert current["materials"] and current["precheck"] is None
    _act(client, "recall", csrf)
    _act(client, "hold", csrf)
    assert [h["number"] for h in client.get("/counter/state.json").json()["held"]] == ["B001"]
    _act(client, "resume", csrf, ticket_id=ticket["id"])
    again = _act(client, "call-next", csrf)["state"]["current"]
    assert again["number"] == ticket["number"]  # resumed: head of the queue
    done = _act(client, "complete", csrf)
    assert done["state"]["today"] == {"call": 2, "complete": 1, "no_show": 0, "transfer": 0,
                                      "hold": 1}  # fmt: skip
    assert _act(client, "complete", csrf, expect=409)["detail"]
    chosen = _act(client, "call", csrf, number="b002")
    assert chosen["state"]["current"]["number"] == "B002"
    moved = _act(client, "transfer", csrf, to="group", to_group="livelihood", reason="户籍")
    assert moved["state"]["current"] is None and moved["message"].startswith("已转窗 B002")
    _act(client, "pause", csrf)
    assert client.get("/counter/state.json").json()["paused"] is True
    assert "on break" in _act(client, "call-next", csrf, expect=409)["detail"]
    _act(client, "open", csrf)

    # Sign out: the same cookie no longer works (revoked server-side, not just deleted).
    session_cookie = client.cookies.get("hall_counter")
    out = client.post("/counter/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("hall_counter", session_cookie, path="/counter")
    assert client.get("/counter/state.json").status_code == 401
    engine = make_engine(hall.db_url)
    try:
        with transaction(engine, readonly=True) as session:
            rows = session.scalars(select(CounterSession)).all()
            assert len(rows) == 1 and rows[0].revoked_at is not None
            assert rows[0].id_hash != session_cookie  # only a digest is stored
    finally:
        engine.dispose()


def test_five_wrong_passwords_lock_the_account_in_the_database(
    hall: Hall, staff_number: str
) -> None:
    client = hall.client
    for attempt in range(1, MAX_FAILED):
        resp = _sign_in(client, staff_number, "wrong-password", expect=401)
        assert f"还可尝试 {MAX_FAILED - attempt} 次" in resp.text
    locked = _sign_in(client, staff_number, "wrong-password", expect=423)
    assert "已锁定" in locked.text
    _sign_in(client, staff_number, PASSWORD, expect=423)  # even the right password
    # The lock is in the database: another server process (here: a new app) keeps it.
    other = create_app(hall.db_url, clock=hall.clock, id_hash_key=ID_HASH_KEY)
    with TestClient(other) as client2:
        _sign_in(client2, staff_number, PASSWORD, expect=423)
        hall.clock.advance(minutes=16)
        _sign_in(client2, staff_number, PASSWORD)
    engine = make_engine(hall.db_url)
    try:
        with transaction(engine, readonly=True) as session:
            staff = session.scalar(select(Staff).where(Staff.number == staff_number))
            assert staff is not None and staff.failed_logins == 0
            assert staff.password_hash is not None and PASSWORD not in staff.password_hash
            assert staff.password_hash.startswith('{"algorithm":"scrypt"')
    finally:
        engine.dispose()


def test_sign_in_needs_the_forms_token_and_a_known_counter(hall: Hall, staff_number: str) -> None:
    form = {"number": staff_number, "password": PASSWORD, "counter": "5", "csrf": "1.x"}
    assert hall.client.post("/counter/login", data=form).status_code == 403
    _sign_in(hall.client, staff_number, PASSWORD, counter="99", expect=422)
    _sign_in(hall.client, "9999", PASSWORD, expect=401)


def test_another_counters_session_cannot_act_on_my_ticket(hall: Hall, staff_number: str) -> None:
    add_staff(hall.db_url, "李*", number="1002", password=PASSWORD)
    mine = hall.issue("business-license")
    _sign_in(hall.client, staff_number, PASSWORD, counter="5")
    _act(hall.client, "call-next", _csrf(hall.client))
    other = create_app(hall.db_url, clock=hall.clock, id_hash_key=ID_HASH_KEY)
    with TestClient(other) as client2:
        _sign_in(client2, "1002", PASSWORD, counter="6")
        refused = _act(client2, "complete", _csrf(client2), expect=403, ticket_id=mine["id"])
        assert "counter 5" in refused["detail"]
    assert (
        hall.client.get(f"/api/v1/tickets/{mine['id']}", headers=hall.staff()).json()["status"]
        == "called"
    )


def test_add_staff_cli_takes_a_number_and_a_password(hall: Hall, capsys: Any) -> None:
    args = ["add-staff", "赵*", "--number", "2001", "--password", PASSWORD, "--supervisor",
            "--database-url", hall.db_url]  # fmt: skip
    assert hall_main(args) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) > 30
    assert hall_main(args) == 2  # the 工号 exists already
    assert "exists already" in capsys.readouterr().err
    short = ["add-staff", "钱*", "--number", "2002", "--password", "short",
             "--database-url", hall.db_url]  # fmt: skip
    assert hall_main(short) == 2
    # A supervisor may act on any counter's ticket.
    t = hall.issue("business-license")
    hall.call_next("5")
    resp = hall.client.post(f"/api/v1/tickets/{t['id']}/complete",
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert dt.datetime.fromisoformat(resp.json()["completed_at"]).utcoffset() == dt.timedelta(0)


def test_the_page_shows_the_stored_precheck_and_every_action_is_an_event(
    hall: Hall, staff_number: str
) -> None:
    from event_recorder import EventRecorder

    ticket = hall.issue("business-license")
    body = {
        "service_id": "business-license",
        "overall": "core_missing",
        "pages": 1,
        "engine": "tesseract",
        "checked_at": "2026-11-23T01:00:00+00:00",
        "materials": [{"index": 0, "doc_type": "other", "status": "missing", "core": True}],
    }
    resp = hall.client.post(
        f"/api/v1/tickets/{ticket['id']}/precheck", json=body, headers=hall.kiosk()
    )
    assert resp.status_code == 201, resp.text
    _sign_in(hall.client, staff_number, PASSWORD, counter="6")
    csrf = _csrf(hall.client)
    with EventRecorder(hall.client.app.state.events) as rec:  # type: ignore[attr-defined]
        current = _act(hall.client, "call-next", csrf)["state"]["current"]
        assert current["precheck"] == "core_missing"
        assert current["precheck_text"] == "缺核心材料"
        first = current["materials"][0]
        assert (first["check"], first["bad"]) == ("缺", True)
        _act(hall.client, "pause", csrf)
        _act(hall.client, "complete", csrf)
        _act(hall.client, "open", csrf)
        events = rec.wait_for(4)
    assert [(e.kind, e.counter_id) for e in events] == [
        ("call", "6"),
        ("pause", "6"),
        ("complete", "6"),
        ("open", "6"),
    ]


def test_return_needs_a_reason_from_the_fixed_list(hall: Hall, staff_number: str) -> None:
    client = hall.client
    _sign_in(client, staff_number, PASSWORD)
    csrf = _csrf(client)
    page = client.get("/counter/").text
    assert 'id="btn-return"' in page and 'aria-keyshortcuts="F1"' in page
    ticket = hall.issue("business-license")
    assert _act(client, "return", csrf, expect=409)["detail"]  # nobody being served
    _act(client, "call-next", csrf)
    assert "reason" in str(_act(client, "return", csrf, expect=422)["detail"])
    _act(client, "return", csrf, expect=422, return_reason="because")  # not on the list
    assert client.get("/counter/state.json").json()["current"]["number"] == ticket["number"]
    done = _act(client, "return", csrf, return_reason="materials_incomplete")
    assert done["message"].startswith(f"已退件 {ticket['number']}（材料不全）")
    assert done["state"]["current"] is None
    stats = client.get("/api/v1/stats/queue?by=total", headers=hall.staff()).json()["total"]
    assert (stats["served"], stats["returned"], stats["return_rate"]) == (1, 1, 1.0)
