"""Monitoring end to end: the kiosk's simulated printer runs out of paper and the hall
server's kiosk list shows it within two heartbeat intervals."""

from __future__ import annotations

import datetime as dt
import time

import httpx

from hall.db import add_staff
from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.settings import load_settings

INTERVAL_S = 0.5


def test_paper_out_reaches_the_hall_within_two_heartbeats(kiosk_env: dict[str, str]) -> None:
    settings = load_settings(environ={**kiosk_env, "KIOSK_HALL__HEARTBEAT_S": str(INTERVAL_S)})
    core = build_core(settings, hall_server=EmbeddedHallServer)
    try:
        url = f"{core.hall.base_url}/api/v1/kiosks"  # waits until the embedded server is up
        staff = add_staff(core.hall.server.database_url, "monitor")  # type: ignore[union-attr]
        auth = {"Authorization": f"Bearer {staff}"}

        def mine() -> dict:
            kiosks = httpx.get(url, headers=auth).json()
            return next(k for k in kiosks if k["id"] == settings.kiosk.id)

        core.heartbeat.beat()  # type: ignore[union-attr]
        assert mine()["devices"]["printer"] == "ok"
        core.printer.set_state("paper_out")  # type: ignore[attr-defined]
        changed = time.monotonic()
        while mine()["devices"]["printer"] != "paper_out":
            assert time.monotonic() - changed < 2 * INTERVAL_S + 2.0, "not shown within two beats"
            time.sleep(0.05)  # polling the server, not waiting for a result to be computed
        kiosk = mine()
        assert kiosk["state"] == "problem"
        assert any("缺纸" in p for p in kiosk["problems"])
    finally:
        core.close()


def test_resolved_and_old_alerts_leave_the_heartbeat() -> None:
    """A device alert lasts while the device is in that state, the offline reserve's while
    the kiosk is offline, any other alert an hour; each is sent once."""
    from types import SimpleNamespace

    from kiosk.heartbeat import ALERT_TTL, current_alerts

    now = dt.datetime(2026, 12, 2, 10, 0)
    core = SimpleNamespace(issuer=SimpleNamespace(online=False), alerts=[
        (now - dt.timedelta(minutes=50), "printer:paper_out"),
        (now - dt.timedelta(minutes=40), "printer:reprint_failed:A007"),
        (now - ALERT_TTL - dt.timedelta(minutes=1), "catalog:refused"),
        (now - dt.timedelta(minutes=30), "voice:silent"),
        (now - dt.timedelta(minutes=20), "offline:reserve_exhausted"),
        (now - dt.timedelta(minutes=10), "printer:paper_out"),  # again: sent once
    ])  # fmt: skip
    states = {"card_reader": "ok", "printer": "paper_out", "camera": "ok", "voice": "ok"}
    assert current_alerts(core, states, now) == [
        "printer:reprint_failed:A007", "offline:reserve_exhausted", "printer:paper_out"]
    states["printer"] = "ok"  # paper put in
    core.issuer.online = True  # the server is back
    assert current_alerts(core, states, now) == ["printer:reprint_failed:A007"]
    states["voice"] = "silent"
    assert current_alerts(core, states, now + dt.timedelta(minutes=21)) == ["voice:silent"]
