"""Opt-in text messages (issue 14, item 3) on a real hall app, the webhook backend pointed at a
tiny real HTTP server that records what it is sent: "three ahead" once, "called to window
N" once per call (not on a recall), a gateway outage loses nothing and sends nothing
twice, the number is stored encrypted and gone at the day's end, never logged."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall
from sms_support import SmsPlatform, sms_platform, wait_until

from contract.errors import ConfigError
from hall.app import create_app
from hall.db import add_kiosk, add_staff, make_engine, migrate
from hall.keys import HallKeys
from hall.retention import RetentionSettings, purge
from hall.sms import settings_from_env

PHONE = "13812345678"
PHONE_EN = "15900001111"
TOKEN = "sms-platform-token-1"


@pytest.fixture
def platform() -> Iterator[SmsPlatform]:
    with sms_platform() as p:
        yield p


def _hall(tmp_path: Path, clock: FakeClock) -> Iterator[Hall]:
    db_path = tmp_path / "hall.sqlite3"
    db_url = f"sqlite:///{db_path}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*")
    app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY, rate_limits=False)
    with TestClient(app) as client:
        yield Hall(client, db_path, db_url, clock, kiosk_token, staff_token)


@pytest.fixture
def sms_hall(
    tmp_path: Path, clock: FakeClock, platform: SmsPlatform, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hall]:
    monkeypatch.setenv("HALL_SMS_BACKEND", "webhook")
    monkeypatch.setenv("HALL_SMS_WEBHOOK_URL", platform.url)
    monkeypatch.setenv("HALL_SMS_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv("HALL_SMS_POLL_S", "0.1")
    yield from _hall(tmp_path, clock)


@pytest.fixture
def log_hall(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hall]:
    monkeypatch.delenv("HALL_SMS_BACKEND", raising=False)
    monkeypatch.setenv("HALL_SMS_POLL_S", "0.1")
    yield from _hall(tmp_path, clock)


def subscribe(hall: Hall, *, expect: int = 201, token: str | None = None, **body: Any) -> Any:
    resp = hall.client.post("/api/v1/sms-subscriptions", json=body, headers=hall.kiosk(token))
    assert resp.status_code == expect, resp.text
    return resp.json()


def rows(hall: Hall, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(hall.db_path) as conn:
        return conn.execute(sql).fetchall()


def test_three_ahead_once_then_called_once_per_call_naming_the_window(
    sms_hall: Hall, platform: SmsPlatform
) -> None:
    hall = sms_hall
    t = [hall.issue("business-license") for _ in range(7)]
    assert subscribe(hall, ticket_id=t[5]["id"], phone=PHONE) == {
        "ticket_number": t[5]["number"], "phone_masked": "138****5678"
    }  # fmt: skip
    subscribe(hall, ticket_id=t[6]["id"], phone=PHONE_EN, language="en")

    hall.call_next("5")  # t0: 4 ahead of t5
    hall.call_next("6")  # t1: 3 ahead of t5
    first = wait_until(lambda: platform.accepted())
    assert len(first) == 1
    assert first[0]["to"] == PHONE
    assert t[5]["number"] in first[0]["text"] and "前面还有3人以内" in first[0]["text"]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in platform.all())

    hall.call_next("7")  # t2: 3 ahead of t6 (English), 2 of t5 (nothing new for t5)
    wait_until(lambda: len(platform.accepted()) == 2)
    english = platform.accepted()[1]
    assert english["to"] == PHONE_EN and english["language"] == "en"
    assert f"ahead of number {t[6]['number']}" in english["text"]

    hall.act(t[0]["id"], "complete")
    hall.call_next("5")  # t3
    hall.call_next("8")  # t4
    assert hall.call_next("9")["id"] == t[5]["id"]
    wait_until(lambda: len(platform.accepted()) == 3)
    called = platform.accepted()[2]
    assert called["to"] == PHONE
    assert called["text"] == f"【政务服务大厅】请{t[5]['number']}号到9号窗口办理。"

    hall.act(t[5]["id"], "recall")  # a recall repeats the call: no second message
    hall.act(t[3]["id"], "complete")
    assert hall.call_next("5")["id"] == t[6]["id"]
    wait_until(lambda: len(platform.accepted()) == 4)
    sent = platform.accepted()
    assert sent[3]["to"] == PHONE_EN and "go to window 5" in sent[3]["text"]
    assert len(sent) == 4  # a recall message would have been sent before this one
    assert len({m["id"] for m in sent}) == 4


def test_called_again_after_a_transfer_names_the_new_window(
    sms_hall: Hall, platform: SmsPlatform
) -> None:
    hall = sms_hall
    ticket = hall.issue("business-license")
    subscribe(hall, ticket_id=ticket["id"], phone=PHONE)  # none ahead: no "ahead" message
    hall.call_next("5")
    wait_until(lambda: platform.accepted())
    hall.clock.advance(minutes=3)
    resp = hall.client.post(
        f"/api/v1/tickets/{ticket['id']}/transfer", json={"to_counter": "7"},
        headers=hall.staff(),
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert hall.call_next("7")["id"] == ticket["id"]
    wait_until(lambda: len(platform.accepted()) == 2)
    texts = [m["text"] for m in platform.accepted()]
    assert "到5号窗口" in texts[0] and "到7号窗口" in texts[1]


def test_a_ticket_already_called_gets_its_message_at_once(
    sms_hall: Hall, platform: SmsPlatform
) -> None:
    hall = sms_hall
    ticket = hall.issue("business-license")
    hall.call_next("6")
    subscribe(hall, ticket_id=ticket["id"], phone=PHONE)
    sent = wait_until(lambda: platform.accepted())
    assert "到6号窗口" in sent[0]["text"]


def test_gateway_down_then_up_delivers_once(
    sms_hall: Hall, platform: SmsPlatform, clock: FakeClock
) -> None:
    hall = sms_hall
    platform.failing = True
    ticket = hall.issue("business-license")
    subscribe(hall, ticket_id=ticket["id"], phone=PHONE)
    hall.call_next("5")
    wait_until(lambda: platform.all())  # tried, refused with 503
    wait_until(lambda: rows(hall, "SELECT attempts, last_error FROM sms_messages WHERE"
                                  " claimed_until IS NULL AND attempts >= 1"))  # fmt: skip
    assert rows(hall, "SELECT sent_at FROM sms_messages") == [(None,)]
    platform.failing = False
    clock.advance(seconds=60)  # past the backoff
    wait_until(lambda: platform.accepted())
    wait_until(lambda: rows(hall, "SELECT 1 FROM sms_messages WHERE sent_at IS NOT NULL"))
    tries = platform.all()
    assert len(platform.accepted()) == 1
    assert {r.body["id"] for r in tries} == {tries[0].body["id"]}  # one message, retried
    assert "到5号窗口" in platform.accepted()[0]["text"]


def test_number_is_stored_encrypted_and_gone_at_the_days_end(
    sms_hall: Hall, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    hall = sms_hall
    ticket = hall.issue("business-license")
    subscribe(hall, ticket_id=ticket["id"], phone=PHONE)
    [(sealed,)] = rows(hall, "SELECT phone_ciphertext FROM sms_subscriptions")
    assert PHONE not in sealed and "5678" not in sealed and sealed.startswith("g1:")
    keys = HallKeys.derived(ID_HASH_KEY)
    assert keys.decrypt_phone(sealed, f"sms|{ticket['id']}") == PHONE
    with pytest.raises(ValueError):  # bound to its ticket
        keys.decrypt_phone(sealed, "sms|another-ticket")
    raw = hall.db_path.read_bytes() + Path(f"{hall.db_path}-wal").read_bytes()
    assert PHONE.encode() not in raw

    clock.advance(hours=14)  # 23:00 in Beijing: still today
    hall.client.get("/api/v1/health")
    assert rows(hall, "SELECT count(*) FROM sms_subscriptions") == [(1,)]
    clock.advance(hours=1, seconds=1)  # past midnight: the sender's loop deletes it
    wait_until(lambda: rows(hall, "SELECT count(*) FROM sms_subscriptions") == [(0,)])
    assert rows(hall, "SELECT count(*) FROM sms_messages") == [(0,)]
    assert PHONE not in caplog.text


def test_the_retention_job_deletes_a_past_days_numbers(tmp_path: Path, clock: FakeClock) -> None:
    """A server that was down at midnight: ``python -m hall purge`` (the daily job) too."""
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "kiosk-1")
    app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY, rate_limits=False)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        ticket = client.post("/api/v1/tickets", headers=auth, json={
            "service_id": "business-license", "idempotency_key": "k1"}).json()  # fmt: skip
        resp = client.post("/api/v1/sms-subscriptions", headers=auth,
                           json={"ticket_id": ticket["id"], "phone": PHONE})  # fmt: skip
        assert resp.status_code == 201
    engine = make_engine(db_url)
    try:
        same_day = purge(engine, RetentionSettings(), clock.now)
        assert same_day["sms_numbers"] == 0
        next_day = purge(engine, RetentionSettings(), clock.now.replace(day=24))
        assert next_day["sms_numbers"] == 1
    finally:
        engine.dispose()


def test_log_backend_logs_the_masked_number_and_the_text(
    log_hall: Hall, caplog: pytest.LogCaptureFixture
) -> None:
    hall = log_hall
    ticket = hall.issue("business-license")
    subscribe(hall, ticket_id=ticket["id"], phone=PHONE)
    hall.call_next("5")

    def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "sent via log" in r.getMessage()]

    wait_until(logged)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("text message")]
    assert any("138****5678" in m and f"请{ticket['number']}号到5号窗口" in m for m in sent)
    assert PHONE not in caplog.text


def test_bad_requests_are_refused_and_a_resend_keeps_the_first(
    sms_hall: Hall, tmp_path: Path
) -> None:
    hall = sms_hall
    ticket = hall.issue("business-license", idempotency_key="visit-1")
    for bad in ("1381234567", "138123456789", "12812345678", "23812345678", "1381234567x",
                "", "１３８１２３４５６７８"):  # fmt: skip
        resp = hall.client.post("/api/v1/sms-subscriptions", headers=hall.kiosk(),
                                json={"ticket_id": ticket["id"], "phone": bad})  # fmt: skip
        assert resp.status_code == 422, bad
        assert bad not in resp.text or bad == ""  # never echoed
    subscribe(hall, expect=422, phone=PHONE)  # no ticket named
    subscribe(hall, expect=422, phone=PHONE, ticket_id=ticket["id"], ticket_key="visit-1")
    subscribe(hall, expect=422, phone=PHONE, ticket_id=ticket["id"], extra="x")
    subscribe(hall, expect=404, phone=PHONE, ticket_id="no-such-ticket")
    subscribe(hall, expect=404, phone=PHONE, ticket_key="no-such-key")
    other = add_kiosk(hall.db_url, "kiosk-2")
    subscribe(hall, expect=403, token=other, phone=PHONE, ticket_id=ticket["id"])
    # the kiosk's own key finds the ticket (so an offline ticket, once synced, is found)
    assert subscribe(hall, phone=PHONE, ticket_key="visit-1")["phone_masked"] == "138****5678"
    again = subscribe(hall, expect=200, phone="13900000000", ticket_id=ticket["id"])
    assert again["phone_masked"] == "138****5678"  # the first number stays
    assert rows(hall, "SELECT count(*) FROM sms_subscriptions") == [(1,)]
    done = hall.issue("business-license")
    hall.call_next("5")
    hall.act(ticket["id"], "complete")
    assert hall.call_next("5")["id"] == done["id"]
    hall.act(done["id"], "complete")
    subscribe(hall, expect=409, phone=PHONE, ticket_id=done["id"])


@pytest.mark.parametrize(
    "env",
    [
        {"HALL_SMS_BACKEND": "carrier-pigeon"},
        {"HALL_SMS_BACKEND": "webhook", "HALL_SMS_WEBHOOK_TOKEN": "t"},  # no URL
        {"HALL_SMS_BACKEND": "webhook", "HALL_SMS_WEBHOOK_URL": "ftp://x/"},
        {"HALL_SMS_BACKEND": "webhook", "HALL_SMS_WEBHOOK_URL": "https://sms.example/"},
        {"HALL_SMS_TIMEOUT_S": "0"},
        {"HALL_SMS_POLL_S": "soon"},
    ],
)
def test_wrong_settings_stop_the_start(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    with pytest.raises(ConfigError, match="HALL_SMS_"):
        create_app(db_url, id_hash_key=ID_HASH_KEY, rate_limits=False)


def test_the_webhook_token_may_come_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "sms-token"
    token.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("HALL_SMS_BACKEND", "webhook")
    monkeypatch.setenv("HALL_SMS_WEBHOOK_URL", "https://sms.example/send")
    monkeypatch.setenv("HALL_SMS_WEBHOOK_TOKEN_FILE", str(token))
    settings = settings_from_env()
    assert settings.backend == "webhook" and settings.webhook_token == "from-a-file"
