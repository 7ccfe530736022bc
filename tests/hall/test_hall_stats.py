"""Queue statistics (hall/stats.py) against figures computed by hand over a small fixed
day, on SQLite and PostgreSQL; the CSV and XLSX exports; the service-level alerts
(hall/service_levels.py) appearing and clearing as the test moves the clock.

The day (Beijing time, 2026-11-23; counters 5 = market, 10 = livelihood, 16 = general):

    09:00 A business-license (market)        09:05 called at 5, 09:10 completed
    09:02 B restaurant-bundle (market, 3 items) 09:10 called at 5, 09:12 转窗 → livelihood,
                                              09:16 called at 10, 09:26 completed
    09:04 C hukou-transfer, 绿色通道 (livelihood) 09:13 called at 10, 09:16 completed 退件
    09:06 D id-card-renewal (general)        09:20 called at 16, 09:21 no-show
    09:30 E business-change (market)         still waiting

Waits (issue → first call): A 300, B 480, C 540, D 840 s. Service: A 300, C 180, B 600 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall, fresh_pg_database, staff_login
from openpyxl import load_workbook

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.service_levels import Thresholds

DAY = "2026-11-23"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hall(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Hall]:
    def run(db_url: str) -> Iterator[Hall]:
        migrate(db_url)
        kiosk_token = add_kiosk(db_url, "kiosk-1")
        staff_token = add_staff(db_url, "王*")
        app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY, migrate_schema=False)
        with TestClient(app) as client:
            yield Hall(client, tmp_path, db_url, clock, kiosk_token, staff_token)

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    else:
        with fresh_pg_database("hall_stats") as url:
            yield from run(url)


def _at(hall: Hall, hhmm: str) -> None:
    hour, minute = (int(x) for x in hhmm.split(":"))
    target = dt.datetime(2026, 11, 23, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert target >= hall.clock.now
    hall.clock.now = target


def _post(hall: Hall, path: str, **kw: Any) -> Any:
    resp = hall.client.post(f"/api/v1{path}", headers=hall.staff(), **kw)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _fixed_day(hall: Hall) -> dict[str, str]:
    _at(hall, "09:00")
    a = hall.issue("business-license")
    _at(hall, "09:02")
    b = hall.issue("restaurant-bundle")
    _at(hall, "09:04")
    c = hall.issue("hukou-transfer", priority=True)
    _at(hall, "09:05")
    assert _post(hall, "/counters/5/call-next")["id"] == a["id"]
    _at(hall, "09:06")
    d = hall.issue("id-card-renewal")
    _at(hall, "09:10")
    _post(hall, f"/tickets/{a['id']}/complete")
    assert _post(hall, "/counters/5/call-next")["id"] == b["id"]
    _at(hall, "09:12")
    _post(hall, f"/tickets/{b['id']}/transfer", json={"to_group": "livelihood"})
    _at(hall, "09:13")
    assert _post(hall, "/counters/10/call-next")["id"] == c["id"]  # green channel first
    _at(hall, "09:16")
    returned = _post(hall, f"/tickets/{c['id']}/complete", params={"outcome": "return"})
    assert returned["status"] == "completed"
    assert _post(hall, "/counters/10/call-next")["id"] == b["id"]
    _at(hall, "09:20")
    assert _post(hall, "/counters/16/call-next")["id"] == d["id"]
    _at(hall, "09:21")
    _post(hall, f"/tickets/{d['id']}/no-show")
    _at(hall, "09:26")
    _post(hall, f"/tickets/{b['id']}/complete")
    _at(hall, "09:30")
    e = hall.issue("business-change")
    _at(hall, "10:00")
    return {"A": a["id"], "B": b["id"], "C": c["id"], "D": d["id"], "E": e["id"]}


def _stats(hall: Hall, by: str, **params: str) -> dict[str, Any]:
    resp = hall.client.get(
        "/api/v1/stats/queue",
        params={"from": DAY, "to": DAY, "by": by, **params},
        headers=hall.staff(),
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "issued served missed transferred visitors items_handled bundle_visits returned"
        " return_rate wait_avg_s wait_p50_s wait_p90_s wait_max_s service_p50_s service_p90_s"
    ).split()
    return {k: row[k] for k in keys}


@pytest.mark.parametrize("read_on", ["same_day", "next_day"])
def test_statistics_of_a_fixed_day_match_the_hand_computed_figures(
    hall: Hall, read_on: str
) -> None:
    """``same_day``: the day is today, computed live from the tickets; ``next_day``: the
    day is over and read from its daily aggregates (hall/stats_daily.py)."""
    _fixed_day(hall)
    if read_on == "next_day":
        hall.clock.now = dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    total = _stats(hall, "day")
    assert total["timezone"] == "Asia/Shanghai"
    assert [r["key"] for r in total["rows"]] == [DAY]
    expected_total = {
        "issued": 5, "served": 3, "missed": 1, "transferred": 1, "visitors": 3,
        "items_handled": 5, "bundle_visits": 1, "returned": 1, "return_rate": 0.3333,
        "wait_avg_s": 540.0, "wait_p50_s": 480.0, "wait_p90_s": 840.0, "wait_max_s": 840.0,
        "service_p50_s": 300.0, "service_p90_s": 600.0,
    }  # fmt: skip
    assert _figures(total["rows"][0]) == expected_total
    assert _figures(total["total"]) == expected_total
    assert total["total"]["precheck_rate"] is None  # no pre-check that day
    assert total["total"]["satisfaction_rate"] is None  # and no rating

    groups = {r["key"]: r for r in _stats(hall, "group")["rows"]}
    assert set(groups) == {"market", "livelihood", "general"}
    assert groups["market"]["label"] == "市场准入"
    assert _figures(groups["livelihood"]) == {
        "issued": 2, "served": 2, "missed": 0, "transferred": 1, "visitors": 2,
        "items_handled": 4, "bundle_visits": 1, "returned": 1, "return_rate": 0.5,
        "wait_avg_s": 510.0, "wait_p50_s": 480.0, "wait_p90_s": 540.0, "wait_max_s": 540.0,
        "service_p50_s": 180.0, "service_p90_s": 600.0,
    }  # fmt: skip
    market = groups["market"]
    assert (market["issued"], market["served"], market["wait_p50_s"]) == (2, 1, 300.0)
    general = groups["general"]
    assert (general["missed"], general["wait_max_s"], general["service_p50_s"]) == (
        1, 840.0, None,
    )  # fmt: skip

    counters = {r["key"]: r for r in _stats(hall, "counter")["rows"]}
    assert counters["5"]["served"] == 1 and counters["10"]["served"] == 2
    assert counters["16"]["missed"] == 1 and counters[None]["issued"] == 1  # E: nobody yet
    assert counters["10"]["label"] == "10号窗口"

    hours = _stats(hall, "hour")["rows"]
    assert [(r["key"], r["issued"]) for r in hours] == [("9", 5)]  # local hour, not UTC 1

    bundles = _stats(hall, "bundle")["rows"]
    assert [(r["key"], r["items_handled"], r["bundle_visits"]) for r in bundles] == [
        ("restaurant-bundle", 3, 1)
    ]
    items = {r["key"]: r for r in _stats(hall, "item")["rows"]}
    assert items["hukou-transfer"]["returned"] == 1
    staff = _stats(hall, "staff")["rows"]
    assert [(r["label"], r["served"]) for r in staff] == [("王*", 3), (None, 0)]

    empty = hall.client.get(
        "/api/v1/stats/queue", params={"from": "2026-11-22", "to": "2026-11-22"},
        headers=hall.staff(),
    ).json()  # fmt: skip
    assert empty["rows"] == [] and empty["total"]["issued"] == 0


def test_csv_and_xlsx_hold_the_same_table(hall: Hall) -> None:
    _fixed_day(hall)
    csv_resp = hall.client.get(
        "/api/v1/stats/queue",
        params={"from": DAY, "to": DAY, "by": "group", "format": "csv"},
        headers=hall.staff(),
    )
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["分组 Key", "名称 Name", "取号 Issued"]
    assert rows[-1][0] == "合计 Total" and rows[-1][2] == "5"
    xlsx = hall.client.get(
        "/api/v1/stats/queue",
        params={"from": DAY, "to": DAY, "by": "group", "format": "xlsx"},
        headers=hall.staff(),
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cells = [[_same(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == [[_same(v) for v in row] for row in rows]


def _same(value: Any) -> Any:
    """A cell as CSV text or XLSX value, compared by value (840.0 in CSV is 840 in XLSX)."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except ValueError:
        return str(value)


def test_a_signed_in_staff_browser_downloads_the_same_statistics(hall: Hall) -> None:
    _fixed_day(hall)
    assert hall.client.get("/staff/stats/queue", params={"from": DAY}).status_code == 401
    login = staff_login(hall.client, hall.staff_token)
    assert login.status_code == 303
    by_session = hall.client.get("/staff/stats/queue", params={"from": DAY, "to": DAY})
    assert by_session.status_code == 200
    assert by_session.json() == _stats(hall, "day")


def test_stats_need_a_staff_token_and_a_sane_range(hall: Hall) -> None:
    assert hall.client.get("/api/v1/stats/queue").status_code == 401
    assert hall.client.get("/api/v1/stats/queue", headers=hall.kiosk()).status_code == 403
    bad = {"from": "2026-11-23", "to": "2026-11-01"}
    assert (
        hall.client.get("/api/v1/stats/queue", params=bad, headers=hall.staff()).status_code == 422
    )
    long = {"from": "2020-01-01", "to": "2026-11-01"}
    assert (
        hall.client.get("/api/v1/stats/queue", params=long, headers=hall.staff()).status_code == 422
    )
    odd = {"by": "kiosk"}
    assert (
        hall.client.get("/api/v1/stats/queue", params=odd, headers=hall.staff()).status_code == 422
    )


def _alerts(hall: Hall) -> list[dict[str, Any]]:
    resp = hall.client.get("/api/v1/stats/service-levels", headers=hall.staff())
    assert resp.status_code == 200, resp.text
    return resp.json()["alerts"]


def _staff_page_alerts(hall: Hall) -> list[str]:
    login = staff_login(hall.client, hall.staff_token)
    assert login.status_code == 303
    data = hall.client.get("/staff/kiosks.json").json()
    return [a["text"] for a in data["sla_alerts"]]


def test_service_level_alerts_appear_and_clear_with_the_clock(hall: Hall) -> None:
    hall.client.app.state.service_levels = Thresholds(wait_minutes=30, max_waiting=2)  # type: ignore[attr-defined]
    first = hall.issue("business-license")
    assert _alerts(hall) == []
    hall.clock.advance(minutes=30)
    assert _alerts(hall) == []  # exactly 30 minutes is not "over 30"
    hall.clock.advance(minutes=1)
    alerts = _alerts(hall)
    assert [(a["group_id"], a["kind"], a["waiting"]) for a in alerts] == [("market", "wait", 1)]
    assert alerts[0]["text"] == "B区（市场准入）等待超过30分钟，建议增开窗口"
    assert _staff_page_alerts(hall) == [alerts[0]["text"]]
    assert _post(hall, "/counters/5/call-next")["id"] == first["id"]
    assert _alerts(hall) == []  # recovered: cleared
    assert _staff_page_alerts(hall) == []

    for _ in range(3):
        hall.issue("hukou-transfer")
    alerts = _alerts(hall)
    assert [(a["group_id"], a["kind"], a["waiting"]) for a in alerts] == [
        ("livelihood", "queue_length", 3)
    ]
    assert "超过2人，建议增开窗口" in alerts[0]["text"]
    _post(hall, "/counters/10/call-next")
    assert _alerts(hall) == []


def _heartbeat(hall: Hall, printer: str) -> None:
    body = {
        "version": "0.1.0",
        "interval_s": 10,
        "devices": {"card_reader": "ok", "printer": printer, "camera": "ok", "voice": "ok"},
    }
    resp = hall.client.post("/api/v1/kiosks/kiosk-1/heartbeat", json=body, headers=hall.kiosk())
    assert resp.status_code == 200, resp.text


def test_a_kiosk_low_on_paper_raises_an_alert_until_it_is_refilled(hall: Hall) -> None:
    _heartbeat(hall, "near_end")
    text = "终端 kiosk-1 打印纸将用完，请及时更换"
    assert _staff_page_alerts(hall) == [text]
    assert [a["text"] for a in hall.client.get("/dashboard/data.json").json()["alerts"]] == [text]
    _heartbeat(hall, "paper_out")
    assert _staff_page_alerts(hall) == ["终端 kiosk-1 打印机缺纸，请立即更换"]
    _heartbeat(hall, "ok")
    assert _staff_page_alerts(hall) == []
    assert hall.client.get("/dashboard/data.json").json()["alerts"] == []
