"""Monitoring end to end: the kiosk's simulated printer runs out of paper and the hall
server's kiosk list shows it within two heartbeat intervals."""

from __future__ import annotations

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
