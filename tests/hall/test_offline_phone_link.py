"""An offline ticket's QR opens the citizen's live page once the ticket has synced (issue 14).

A real ``python -m hall serve`` process with HALL_PUBLIC_URL, the kiosk's offline core
(kiosk/offline.py: lease, reserve, outbox) and a real headless Chromium in mobile
emulation: the kiosk leases numbers (with the lease's link key), the server goes away, the
kiosk prints an offline ticket whose QR is ``<address>/t/o/<lease>/<id>/<signature>``; the
server comes back — the link says plainly "not yet synced" until the outbox has delivered
the ticket, then the same link opens its live page (and a call shows on it). A forged
signature, another lease's signature and a malformed link get the plain 404 page; the
kiosk's scanner reads the new form as well as the old ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from board_support import Driver, chromium

from contract.catalog import DEFAULT_PATH, load_catalog
from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess, free_port
from kiosk.hall_client import HallClient
from kiosk.offline import KIND, OfflineIssuer, Reserve, ReserveKeeper
from kiosk.outbox import Dispatcher, Outbox
from kiosk.print_jobs import ticket_print
from kiosk.qr import ticket_id_from_qr

pytestmark = pytest.mark.slow

MARKET = "business-license"  # group market, prefix B, counters 5–9
WAIT_S = 20.0
PHONE = {"deviceMetrics": {"width": 375, "height": 667, "pixelRatio": 2.0}}


def _wait(browser: Any, condition: Any, timeout: float = WAIT_S) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    db_path = tmp_path / "hall.sqlite3"
    url = f"sqlite:///{db_path}"
    migrate(url)
    kiosk_token, staff_token = add_kiosk(url, "kiosk-1"), add_staff(url, "测试员")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    catalog = load_catalog(DEFAULT_PATH)
    hall = HallClient(base, kiosk_token, timeout_s=2.0)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    reserve = Reserve(outbox)
    issuer = OfflineIssuer(hall, reserve, lambda: catalog)
    keeper = ReserveKeeper(hall, reserve, issuer, lambda: catalog, "kiosk-1", block=6)
    browser = chromium(tmp_path, monkeypatch, size="375,667", mobile=PHONE)
    try:
        yield {
            "url": url, "port": port, "base": base, "env": {"HALL_PUBLIC_URL": base},
            "catalog": catalog, "outbox": outbox, "issuer": issuer, "keeper": keeper,
            "browser": browser, "kiosk_token": kiosk_token, "staff_token": staff_token,
        }  # fmt: skip
    finally:
        browser.quit()
        outbox.close()
        hall.close()


def test_offline_ticket_qr_says_not_synced_then_opens_the_live_page(
    setup: dict[str, Any],
) -> None:
    s = setup
    browser = s["browser"]
    with ServerProcess(s["url"], port=s["port"], env=s["env"]) as server:
        s["keeper"].round()  # online: numbers leased, with the lease's link key
        assert s["issuer"].online is True
        server.stop()  # the hall server is gone
        ticket = s["issuer"].issue_ticket(MARKET, "visit-1")
        assert ticket.offline and s["issuer"].online is False
        printed = ticket_print(s["catalog"], ticket, "zh")
        link = printed.qr_data
        assert link.startswith(f"{s['base']}/t/o/"), link
        assert "离线取号" in printed.footer
        lease_id, ticket_id, sig = link[len(s["base"]) :].split("/")[3:]
        assert ticket_id_from_qr(link) == ticket_id  # the kiosk's scanner reads it

        server.start()  # back, but the outbox has not delivered the ticket yet
        browser.get(link)
        _wait(browser, lambda b: "尚未同步" in b.find_element("tag name", "body").text)
        body = browser.find_element("tag name", "body").text
        assert "此号为离线取号，尚未同步到大厅服务器，请稍后刷新" in body
        assert "not yet synced" in body
        assert ticket.number not in body  # the page knows nothing of the ticket yet

        http = httpx.Client(base_url=s["base"], timeout=15.0)
        try:
            forged = sig[:-1] + ("A" if sig[-1] != "A" else "B")
            other_lease = str(int(lease_id) + 1)
            for bad in (
                f"/t/o/{lease_id}/{ticket_id}/{forged}",
                f"/t/o/{other_lease}/{ticket_id}/{sig}",  # signed with another lease's key
                f"/t/o/{lease_id}/{ticket_id.upper()}/{sig}",
                f"/t/o/99999999999/{ticket_id}/{sig}",
            ):
                page = http.get(bad)
                assert page.status_code == 404, bad
                assert "页面不存在或已过期" in page.text
            assert http.get(link[len(s["base"]) :]).status_code == 200  # not synced yet

            s["outbox"].retry_now()
            assert s["outbox"].deliver(Dispatcher({KIND: s["issuer"].send})) == (1, 0)
            assert s["outbox"].backlog(KIND) == 0

            browser.get(link)  # the same link: now the ticket's live page
            _wait(browser, lambda b: b.find_element("id", "number").text == ticket.number)
            _wait(
                browser,
                lambda b: b.execute_script("return document.getElementById('conn').hidden;"),
            )
            assert "/t/o/" not in browser.current_url and ticket_id in browser.current_url

            driver = Driver(s["base"], s["kiosk_token"], s["staff_token"])
            try:
                called = driver.call_next("5")
                assert called["id"] == ticket_id  # the offline ticket, by its issue time
            finally:
                driver.close()
            _wait(browser, lambda b: b.find_element("id", "status").text == "请到 5 号窗口")
        finally:
            http.close()


def test_without_a_public_address_the_offline_ticket_keeps_the_old_qr(
    setup: dict[str, Any],
) -> None:
    """HALLTICKET:<id>, the id the ticket gets at the server: once synced, the kiosk's
    scanner finds it by its QR (评价 by scanning), as an online ticket's."""
    s = setup
    with ServerProcess(s["url"], port=s["port"]) as server:  # no HALL_PUBLIC_URL
        s["keeper"].round()
        server.stop()
        ticket = s["issuer"].issue_ticket(MARKET, "visit-1")
        assert ticket.offline and ticket.qr_data.startswith("HALLTICKET:")
        assert ticket.issued_at <= dt.datetime.now(dt.UTC)
        scanned = ticket_id_from_qr(ticket_print(s["catalog"], ticket, "zh").qr_data)
        assert scanned != ticket.id  # not the outbox key: an id the server will know
        server.start()
        s["outbox"].retry_now()
        assert s["outbox"].deliver(Dispatcher({KIND: s["issuer"].send})) == (1, 0)
        staff = {"Authorization": f"Bearer {s['staff_token']}"}
        found = httpx.get(f"{server.base_url}/api/v1/tickets/{scanned}", headers=staff)
    assert found.status_code == 200, found.text
    assert found.json()["number"] == ticket.number
