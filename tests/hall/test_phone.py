"""The citizen's phone page (hall/phone.py) through the real app on SQLite: the signed
link in the issued ticket, the page and its state, 404 for wrong and expired signatures,
the phone rating (channel phone, one rating per ticket across channels), the per-address
rate limit, and the token bucket module on its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.rating_chain import verify_chain
from hall.token_bucket import TokenBuckets

PUBLIC = "https://hall.example.gov.cn"
SERVICE = "business-license"  # group market, counters 5–9
ID_NUMBER = "110101199003074477"  # invented
LINK = re.compile(r"^https://hall\.example\.gov\.cn/t/([0-9a-f-]{36})/([A-Za-z0-9_-]{22})$")


def _hall(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*")
    app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY)
    client = TestClient(app)
    return client, Hall(client, tmp_path / "hall.sqlite3", db_url, clock, kiosk_token, staff_token)


@pytest.fixture
def phone_hall(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hall]:
    client, hall = _hall(tmp_path, clock, monkeypatch, HALL_PUBLIC_URL=PUBLIC + "/")
    with client:
        yield hall


def _path(ticket: dict[str, Any]) -> str:
    match = LINK.match(ticket["public_url"])
    assert match is not None, ticket["public_url"]
    assert match.group(1) == ticket["id"]
    return ticket["public_url"][len(PUBLIC) :]


def test_without_a_public_address_there_is_no_link(hall: Hall) -> None:
    ticket = hall.issue(SERVICE)
    assert ticket["public_url"] is None  # the kiosk prints HALLTICKET:<id> then


def test_the_ticket_carries_a_signed_link_to_its_page(phone_hall: Hall) -> None:
    hall = phone_hall
    ticket = hall.issue(SERVICE, holder={"id_number": ID_NUMBER, "masked_name": "张*"})
    path = _path(ticket)
    again = hall.client.get(f"/api/v1/tickets/{ticket['id']}", headers=hall.kiosk()).json()
    assert again["public_url"] == ticket["public_url"]  # the same link every time

    page = hall.client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "http://" not in page.text and "https://" not in page.text  # nothing external
    for name in ("citizen.css", "phone.css", "citizen.js", "phone.js"):  # shared shell first
        assert f'"/phone/static/{name}"' in page.text
    assert page.text.index("citizen.js") < page.text.index("phone.js")
    for name in ("phone.js", "phone.css", "citizen.js", "citizen.css"):
        static = hall.client.get(f"/phone/static/{name}")
        assert static.status_code == 200 and "content-security-policy" in static.headers

    state = hall.client.get(f"{path}/state").json()
    assert state["number"] == ticket["number"]
    assert state["service_name"] == ticket["service_name"]
    assert state["window_group_name"] and state["location"] == ticket["location"]
    assert state["status"] == "waiting" and state["people_ahead"] == 0
    assert state["rating"]["state"] == "later"
    assert "张" not in str(state) and "masked_name" not in state  # never the name
    assert ID_NUMBER not in page.text + str(state) and ID_NUMBER[-4:] not in str(state)


def test_a_wrong_or_expired_signature_gets_a_plain_404_page(
    phone_hall: Hall, clock: FakeClock
) -> None:
    hall = phone_hall
    first, second = hall.issue(SERVICE), hall.issue(SERVICE)
    path = _path(first)
    ticket_id, sig = path.split("/")[2:]
    other_sig = _path(second).split("/")[3]
    forged = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    for bad in (
        f"/t/{ticket_id}/{forged}",
        f"/t/{ticket_id}/{other_sig}",  # another ticket's signature
        f"/t/{second['id']}/{sig}",
        f"/t/{ticket_id}/{'x' * 300}",  # malformed: the same 404, not a 422
        f"/t/not-a-ticket/{sig}",
    ):
        page = hall.client.get(bad)
        assert page.status_code == 404, bad
        assert "页面不存在或已过期" in page.text and "Page not found" in page.text
        assert ticket_id not in page.text and first["number"] not in page.text
        assert hall.client.get(f"{bad}/state").status_code == 404
        assert hall.client.post(f"{bad}/rating", json={}).status_code in (404, 422)
    assert hall.client.get(path).status_code == 200

    clock.advance(days=1)  # the ticket's service day is over: link and page expire
    assert hall.client.get(path).status_code == 404
    assert hall.client.get(f"{path}/state").status_code == 404


def _rate(hall: Hall, path: str, key: str = "p1", level: str = "satisfied", **body: Any) -> Any:
    payload = {"idempotency_key": key, "level": level, **body}
    return hall.client.post(f"{path}/rating", json=payload)


def test_the_phone_rates_once_after_completion_in_the_one_chain(phone_hall: Hall) -> None:
    hall = phone_hall
    ticket = hall.issue(SERVICE)
    path = _path(ticket)
    early = _rate(hall, path)
    assert early.status_code == 409 and early.json()["code"] == "not_completed"
    assert "办结后" in early.json()["detail"]

    hall.call_next("5")
    hall.act(ticket["id"], "complete")
    assert hall.client.get(f"{path}/state").json()["rating"]["state"] == "open"
    bad = _rate(hall, path, level="dissatisfied")
    assert bad.status_code == 422  # a bad review needs a reason: the kiosk's rules

    first = _rate(hall, path)
    assert first.status_code == 201, first.text
    assert first.json()["channel"] == "phone" and first.json()["counter"] == "5"
    assert _rate(hall, path).json()["id"] == first.json()["id"]  # a retry: same answer
    second = _rate(hall, path, key="p2", level="very_satisfied")
    assert second.status_code == 409 and second.json()["code"] == "already_rated"
    assert "已经评价过了" in second.json()["detail"]
    by_kiosk = hall.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "k1", "ticket_id": ticket["id"], "level": "basic"},
        headers=hall.kiosk(),
    )
    assert by_kiosk.status_code == 409 and by_kiosk.json()["code"] == "already_rated"
    assert hall.client.get(f"{path}/state").json()["rating"]["state"] == "rated"
    report = verify_chain(hall.client.app.state.engine)  # type: ignore[attr-defined]
    assert report.ok and report.count == 1


def test_a_kiosk_rating_first_makes_the_phone_rating_409(phone_hall: Hall) -> None:
    hall = phone_hall
    ticket = hall.issue(SERVICE)
    hall.call_next("5")
    hall.act(ticket["id"], "complete")
    by_kiosk = hall.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "k1", "ticket_id": ticket["id"], "level": "basic"},
        headers=hall.kiosk(),
    )
    assert by_kiosk.status_code == 201
    late = _rate(hall, _path(ticket))
    assert late.status_code == 409 and late.json()["code"] == "already_rated"


def test_each_address_is_rate_limited_with_retry_after(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, hall = _hall(
        tmp_path, clock, monkeypatch,
        HALL_PUBLIC_URL=PUBLIC, HALL_PHONE_RATE_PER_S="0.5", HALL_PHONE_BURST="3",
    )  # fmt: skip
    with client:
        path = _path(hall.issue(SERVICE))
        codes = [hall.client.get(path).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        refused = hall.client.get(f"{path}/state")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 2  # one token at 0.5 per second
        assert hall.client.get(f"/t/{'0' * 36}/{'A' * 22}").status_code == 429  # bad ones too
        assert hall.issue(SERVICE)["number"]  # the kiosks' routes are not limited by it


def test_token_buckets_refill_and_stay_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2, burst=2, max_clients=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0.0  # another address has its own bucket
    now[0] += 0.5
    assert buckets.take("a") == 0.0  # one token back after 1 / rate
    for key in ("c", "d", "e"):
        buckets.take(key)
    assert len(buckets) == 3 and buckets.refused == 1
    with pytest.raises(ValueError):
        TokenBuckets(rate=0, burst=1)


def test_a_bad_public_address_is_a_config_error(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contract.errors import ConfigError

    with pytest.raises(ConfigError, match="HALL_PUBLIC_URL"):
        _hall(tmp_path, clock, monkeypatch, HALL_PUBLIC_URL="hall.example.gov.cn")


def test_the_push_stream_carries_this_tickets_events_and_ends_with_its_day(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    import threading
    import time

    from hall.events import HallEvent

    client, hall = _hall(
        tmp_path, clock, monkeypatch, HALL_PUBLIC_URL=PUBLIC, HALL_BOARD_HEARTBEAT_S="0.2"
    )
    with client:
        ticket, other = hall.issue(SERVICE), hall.issue("hukou-transfer")
        path = _path(ticket)
        app = hall.client.app
        hub = app.state.events  # type: ignore[attr-defined]
        view = app.state.phone_view  # type: ignore[attr-defined]  # the phones' fan-out

        def meanwhile() -> None:
            deadline = time.monotonic() + 10
            while view.stream_count == 0 and time.monotonic() < deadline:
                time.sleep(0.01)  # polling a condition: the stream has subscribed
            at = dt.datetime.now(dt.UTC)
            for event in (
                HallEvent("call", at, other["id"], other["number"], "10", other["window_group"]),
                HallEvent("call", at, "someone-else", "B999", "6", ticket["window_group"]),
                HallEvent("call", at, ticket["id"], ticket["number"], "5", ticket["window_group"]),
            ):
                hub.publish(event)
            # the group's position hint goes out once its snapshot holds the call (a build
            # in a worker thread): then the ticket's day ends, and so does the stream
            while view.hints_sent == 0 and time.monotonic() < deadline:
                time.sleep(0.01)  # polling a condition
            clock.advance(days=1)

        helper = threading.Thread(target=meanwhile)
        helper.start()
        stream = hall.client.get(f"{path}/events")  # returns once the stream has ended
        helper.join()
    assert stream.status_code == 200
    events = [
        (block.split("\n")[0].removeprefix("event: "), block.split("\n")[1])
        for block in stream.text.replace("retry: 1000\n", "").strip().split("\n\n")
    ]
    kinds = [kind for kind, _ in events if kind != "heartbeat"]
    assert kinds[0] == "hello" and kinds[-1] == "expired", events
    assert sorted(kinds[1:-1]) == ["queue", "ticket"], events  # one hint, one own event
    assert ("ticket", 'data: {"kind":"call","counter":"5"}') in events
    assert other["number"] not in stream.text and "B999" not in stream.text


def test_phone_rating_on_postgresql(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from hall_support import fresh_pg_database

    monkeypatch.setenv("HALL_PUBLIC_URL", PUBLIC)
    with fresh_pg_database("hall_phone") as db_url:
        migrate(db_url)
        kiosk_token, staff_token = add_kiosk(db_url, "kiosk-1"), add_staff(db_url, "王*")
        app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY)
        with TestClient(app) as client:
            hall = Hall(client, Path("-"), db_url, clock, kiosk_token, staff_token)
            ticket = hall.issue(SERVICE)
            path = _path(ticket)
            hall.call_next("5")
            hall.act(ticket["id"], "complete")
            first = _rate(hall, path)
            assert first.status_code == 201 and first.json()["channel"] == "phone"
            second = _rate(hall, path, key="p2")
            assert second.status_code == 409 and second.json()["code"] == "already_rated"
            assert hall.client.get(f"{path}/state").json()["rating"]["state"] == "rated"
