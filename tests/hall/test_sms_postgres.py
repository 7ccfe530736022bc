"""Text messages with two hall server processes on one PostgreSQL database: both see every
queue event (LISTEN/NOTIFY) and both run a sender, yet each message is sent once."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from hall_support import fresh_pg_database
from sms_support import sms_platform, wait_until

from hall.db import add_kiosk, add_staff, migrate, normalize_url
from hall.testing import ServerProcess

PHONES = ("13812345678", "13900001111")


def test_two_processes_send_each_message_once() -> None:
    with sms_platform() as platform, fresh_pg_database("hall_sms") as url:
        migrate(url)
        kiosk = {"Authorization": f"Bearer {add_kiosk(url, 'kiosk-1')}"}
        staff = {"Authorization": f"Bearer {add_staff(url, '测试员')}"}
        env = {"HALL_SMS_BACKEND": "webhook", "HALL_SMS_WEBHOOK_URL": platform.url,
               "HALL_SMS_WEBHOOK_TOKEN": "t", "HALL_SMS_POLL_S": "0.1"}  # fmt: skip
        a, b = ServerProcess(url, env=env), ServerProcess(url, env=env)
        a.launch()
        b.launch()
        try:
            a.wait_ready()
            b.wait_ready()
            tickets = []
            for i, phone in enumerate(PHONES):
                t = httpx.post(f"{a.base_url}/api/v1/tickets", headers=kiosk,
                               json={"service_id": "business-license",
                                     "idempotency_key": f"k{i}"}).json()  # fmt: skip
                resp = httpx.post(f"{b.base_url}/api/v1/sms-subscriptions", headers=kiosk,
                                  json={"ticket_id": t["id"], "phone": phone})  # fmt: skip
                assert resp.status_code == 201, resp.text
                tickets.append(t)
            first = httpx.post(f"{a.base_url}/api/v1/counters/5/call-next", headers=staff)
            assert first.json()["id"] == tickets[0]["id"]
            wait_until(lambda: platform.accepted(), timeout=30)
            # a later message of the other ticket: by then both processes have handled the
            # first call (events and sends go in order), so a duplicate would have arrived
            second = httpx.post(f"{b.base_url}/api/v1/counters/6/call-next", headers=staff)
            assert second.json()["id"] == tickets[1]["id"]
            wait_until(lambda: any(m["to"] == PHONES[1] for m in platform.accepted()), timeout=30)
            httpx.post(f"{a.base_url}/api/v1/tickets/{tickets[0]['id']}/recall", headers=staff)
            third = httpx.post(f"{a.base_url}/api/v1/counters/7/call-next", headers=staff)
            assert third.status_code == 204  # nobody left; the recall sends nothing either
        finally:
            a.stop()
            b.stop()
        sent = platform.accepted()
        assert sorted(m["to"] for m in sent) == sorted(PHONES)
        assert "到5号窗口" in next(m["text"] for m in sent if m["to"] == PHONES[0])
        engine = sa.create_engine(normalize_url(url))
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT phone_ciphertext FROM sms_subscriptions"))
                assert all(p not in sealed for (sealed,) in rows for p in PHONES)
        finally:
            engine.dispose()
