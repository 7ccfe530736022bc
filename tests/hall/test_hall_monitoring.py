"""Kiosk heartbeats, the kiosk list for staff, and the central catalog (ETag / 304).

Time is the fake clock of the ``hall`` fixture: "lost" is computed when read, so moving
the clock is enough, nothing sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest
from hall_support import Hall

from contract.catalog import Catalog
from contract.errors import ConfigError
from hall.db import add_kiosk
from hall.monitoring import MonitoringSettings

ALL_OK = {"card_reader": "ok", "printer": "ok", "camera": "ok", "voice": "ok"}


def beat(
    hall: Hall,
    kiosk_id: str = "kiosk-1",
    *,
    token: str | None = None,
    expect: int = 200,
    **body: Any,
) -> dict[str, Any]:
    payload = {
        "version": "0.1.0",
        "interval_s": 10,
        "devices": ALL_OK,
        "outbox_backlog": 0,
        "alerts": [],
        "catalog_version": "2026.11.1",
        **body,
    }
    resp = hall.client.post(
        f"/api/v1/kiosks/{kiosk_id}/heartbeat", json=payload, headers=hall.kiosk(token)
    )
    assert resp.status_code == expect, resp.text
    return resp.json()


def kiosks(hall: Hall) -> dict[str, dict[str, Any]]:
    resp = hall.client.get("/api/v1/kiosks", headers=hall.staff())
    assert resp.status_code == 200, resp.text
    return {k["id"]: k for k in resp.json()}


# -- heartbeat authentication ---------------------------------------------------------------
def test_heartbeat_without_or_with_an_unknown_token_is_401(hall: Hall) -> None:
    url = "/api/v1/kiosks/kiosk-1/heartbeat"
    body = {"version": "1", "interval_s": 10}
    assert hall.client.post(url, json=body).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert hall.client.post(url, json=body, headers=bad).status_code == 401
    assert kiosks(hall)["kiosk-1"]["state"] == "never_seen"


def test_heartbeat_with_a_staff_token_is_403(hall: Hall) -> None:
    resp = hall.client.post(
        "/api/v1/kiosks/kiosk-1/heartbeat",
        json={"version": "1", "interval_s": 10},
        headers=hall.staff(),
    )
    assert resp.status_code == 403


def test_a_kiosk_cannot_beat_for_another_kiosk(hall: Hall) -> None:
    add_kiosk(hall.db_url, "kiosk-2")
    beat(hall, "kiosk-2", expect=403)  # kiosk-1's token
    assert kiosks(hall)["kiosk-2"]["state"] == "never_seen"


def test_the_kiosk_list_is_for_staff_only(hall: Hall) -> None:
    assert hall.client.get("/api/v1/kiosks").status_code == 401
    assert hall.client.get("/api/v1/kiosks", headers=hall.kiosk()).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"devices": {**ALL_OK, "printer": "on_fire"}},
        {"interval_s": 0},
        {"outbox_backlog": -1},
        {"alerts": ["<script>"]},
        {"version": None},
    ],
)
def test_an_invalid_heartbeat_is_422(hall: Hall, change: dict[str, Any]) -> None:
    beat(hall, expect=422, **change)
    assert kiosks(hall)["kiosk-1"]["state"] == "never_seen"


# -- state and problems --------------------------------------------------------------------
def test_registered_kiosk_without_heartbeat_is_never_seen(hall: Hall) -> None:
    add_kiosk(hall.db_url, "kiosk-0")
    listed = kiosks(hall)
    assert list(listed) == ["kiosk-0", "kiosk-1"]
    k = listed["kiosk-0"]
    assert k["state"] == "never_seen"
    assert k["last_seen"] is None and k["devices"] is None and k["problems"] == []


def test_a_healthy_kiosk_is_ok_and_the_reply_names_the_server_catalog(hall: Hall) -> None:
    reply = beat(hall)
    catalog = hall.client.get("/api/v1/catalog", headers=hall.kiosk())
    assert reply == {
        "catalog_version": catalog.json()["version"],
        "catalog_etag": catalog.headers["etag"],
        "problems": [],
    }
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "ok"
    assert k["devices"] == ALL_OK
    assert k["version"] == "0.1.0" and k["interval_s"] == 10 and k["lost_after_s"] == 30
    assert k["catalog_current"] is True
    assert k["problems"] == [] and k["silent_s"] == 0


def test_device_states_backlog_and_alerts_become_chinese_problems(hall: Hall) -> None:
    reply = beat(
        hall,
        devices={
            "card_reader": "offline",
            "printer": "paper_out",
            "camera": "ok",
            "voice": "silent",
        },
        outbox_backlog=12,
        alerts=["printer:paper_out", "disk:low", "scanner:jammed", "camera:unknown"],
    )
    expected = [
        "读卡器离线",
        "打印机缺纸",
        "语音不可用（无声卡）",
        "终端磁盘空间不足",
        "终端报警：scanner:jammed",
        "待上传 12 条",
    ]
    assert reply["problems"] == expected
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "problem"
    assert k["problems"] == expected
    assert k["devices"]["printer"] == "paper_out"


@pytest.mark.parametrize(
    ("devices", "problem"),
    [
        ({"card_reader": "sam_fault"}, "读卡器安全模块（SAM）故障"),
        ({"printer": "near_end"}, "打印纸将用完"),
        ({"printer": "cover_open"}, "打印机纸仓盖未关"),
        ({"printer": "offline"}, "打印机离线"),
        ({"printer": "error"}, "打印机故障"),
        ({"camera": "missing"}, "摄像头未连接"),
    ],
)
def test_each_device_fault_has_its_sentence(
    hall: Hall, devices: dict[str, str], problem: str
) -> None:
    assert beat(hall, devices={**ALL_OK, **devices})["problems"] == [problem]


def test_unknown_devices_and_a_small_backlog_are_not_problems(hall: Hall) -> None:
    reply = beat(hall, devices={"printer": "unknown"}, outbox_backlog=9)
    assert reply["problems"] == []
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "ok"
    assert k["devices"] == {"card_reader": "unknown", "printer": "unknown", "camera": "unknown",
                            "voice": "unknown"}  # fmt: skip


def test_an_old_catalog_is_shown_but_is_not_a_problem(hall: Hall) -> None:
    beat(hall, catalog_version="2020.1")
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "ok" and k["catalog_current"] is False


def test_a_kiosk_that_does_not_name_its_catalog_is_neither_current_nor_old(hall: Hall) -> None:
    beat(hall, catalog_version=None)
    assert kiosks(hall)["kiosk-1"]["catalog_current"] is None


def test_paper_out_shows_in_the_list_within_one_interval(hall: Hall) -> None:
    beat(hall)
    hall.clock.advance(seconds=10)
    beat(hall, devices={**ALL_OK, "printer": "paper_out"})
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "problem" and k["problems"] == ["打印机缺纸"]
    hall.clock.advance(seconds=10)
    beat(hall)
    assert kiosks(hall)["kiosk-1"]["state"] == "ok"


# -- lost ---------------------------------------------------------------------------------------
def test_lost_after_three_missed_intervals(hall: Hall) -> None:
    beat(hall, interval_s=10, devices={**ALL_OK, "printer": "paper_out"})
    hall.clock.advance(seconds=30)
    assert kiosks(hall)["kiosk-1"]["state"] == "problem"  # exactly 3 intervals: not yet
    hall.clock.advance(seconds=1)
    k = kiosks(hall)["kiosk-1"]
    assert k["state"] == "lost"
    assert k["silent_s"] == 31
    assert k["problems"] == ["失去联系（31 秒无心跳）", "打印机缺纸"]  # last reported kept
    hall.clock.advance(minutes=10)
    assert kiosks(hall)["kiosk-1"]["problems"][0] == "失去联系（10 分钟无心跳）"


def test_lost_uses_each_kiosks_own_interval(hall: Hall) -> None:
    token2 = add_kiosk(hall.db_url, "kiosk-2")
    beat(hall, interval_s=5)
    beat(hall, "kiosk-2", token=token2, interval_s=60)
    hall.clock.advance(seconds=16)
    listed = kiosks(hall)
    assert listed["kiosk-1"]["state"] == "lost"
    assert listed["kiosk-2"]["state"] == "ok"


def test_lost_after_missed_is_a_setting(hall: Hall) -> None:
    hall.client.app.state.monitoring = MonitoringSettings(lost_after_missed=2)  # type: ignore[attr-defined]
    beat(hall, interval_s=1)
    hall.clock.advance(seconds=2)
    assert kiosks(hall)["kiosk-1"]["state"] == "ok"
    hall.clock.advance(seconds=0.5)
    assert kiosks(hall)["kiosk-1"]["state"] == "lost"


def test_a_lost_kiosk_that_comes_back_is_ok_and_its_absence_is_in_the_history(
    hall: Hall,
) -> None:
    beat(hall, interval_s=10)
    hall.clock.advance(minutes=5)
    assert kiosks(hall)["kiosk-1"]["state"] == "lost"
    beat(hall, interval_s=10)
    assert kiosks(hall)["kiosk-1"]["state"] == "ok"
    detail = hall.client.get("/api/v1/kiosks/kiosk-1", headers=hall.staff()).json()
    [event] = detail["history"]
    assert event["code"] == "lost" and event["text"] == "失去联系"
    assert event["ended_at"] is not None


# -- history ------------------------------------------------------------------------------------
def test_problem_history_records_start_and_end(hall: Hall) -> None:
    beat(hall, devices={**ALL_OK, "printer": "near_end"})
    hall.clock.advance(seconds=10)
    beat(hall, devices={**ALL_OK, "printer": "paper_out"}, outbox_backlog=10)
    hall.clock.advance(seconds=10)
    beat(hall, devices={**ALL_OK, "printer": "paper_out"}, outbox_backlog=11)
    hall.clock.advance(seconds=10)
    beat(hall)
    resp = hall.client.get("/api/v1/kiosks/kiosk-1", headers=hall.staff())
    assert resp.status_code == 200
    detail = resp.json()
    assert detail["state"] == "ok"
    history = [(e["code"], e["text"]) for e in detail["history"]]
    assert sorted(history) == sorted(
        [
            ("printer:near_end", "打印纸将用完"),
            ("printer:paper_out", "打印机缺纸"),
            ("outbox:backlog", "待上传 11 条"),  # the text follows the count
        ]
    )
    assert all(e["ended_at"] is not None for e in detail["history"])


def test_problem_history_is_bounded(hall: Hall) -> None:
    hall.client.app.state.monitoring = MonitoringSettings(history_per_kiosk=3)  # type: ignore[attr-defined]
    for _ in range(5):
        beat(hall, devices={**ALL_OK, "camera": "missing"})
        hall.clock.advance(seconds=5)
        beat(hall)
        hall.clock.advance(seconds=5)
    beat(hall, devices={**ALL_OK, "camera": "missing"})
    detail = hall.client.get("/api/v1/kiosks/kiosk-1", headers=hall.staff()).json()
    assert len(detail["history"]) == 3
    assert detail["history"][0]["ended_at"] is None  # the open one is kept


def test_kiosk_detail_of_an_unknown_kiosk_is_404(hall: Hall) -> None:
    assert hall.client.get("/api/v1/kiosks/nope", headers=hall.staff()).status_code == 404


# -- settings -------------------------------------------------------------------------------------
def test_settings_from_the_environment() -> None:
    assert MonitoringSettings.from_env({}) == MonitoringSettings()
    env = {"HALL_LOST_AFTER_MISSED": "2.5", "HALL_OUTBOX_BACKLOG_WARN": "3",
           "HALL_PROBLEM_HISTORY": "7"}  # fmt: skip
    assert MonitoringSettings.from_env(env) == MonitoringSettings(2.5, 3, 7)
    with pytest.raises(ConfigError, match="HALL_LOST_AFTER_MISSED"):
        MonitoringSettings.from_env({"HALL_LOST_AFTER_MISSED": "three"})
    with pytest.raises(ConfigError, match="at least 1"):
        MonitoringSettings.from_env({"HALL_OUTBOX_BACKLOG_WARN": "0"})


# -- central catalog ----------------------------------------------------------------------------
def test_catalog_needs_a_token(hall: Hall) -> None:
    assert hall.client.get("/api/v1/catalog").status_code == 401


def test_catalog_is_the_servers_catalog_with_an_etag(hall: Hall) -> None:
    resp = hall.client.get("/api/v1/catalog", headers=hall.kiosk())
    assert resp.status_code == 200
    served = Catalog.model_validate(resp.json())
    assert served == hall.client.app.state.catalog  # type: ignore[attr-defined]
    etag = resp.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert resp.headers["x-catalog-version"] == served.version
    assert resp.headers["cache-control"] == "no-cache"
    staff = hall.client.get("/api/v1/catalog", headers=hall.staff())
    assert staff.status_code == 200 and staff.headers["etag"] == etag


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_catalog_if_none_match_gives_304(hall: Hall, if_none_match: str) -> None:
    etag = hall.client.get("/api/v1/catalog", headers=hall.kiosk()).headers["etag"]
    headers = {**hall.kiosk(), "If-None-Match": if_none_match.format(etag=etag)}
    resp = hall.client.get("/api/v1/catalog", headers=headers)
    assert resp.status_code == 304
    assert resp.content == b""
    assert resp.headers["etag"] == etag


def test_catalog_with_a_stale_etag_gives_the_body(hall: Hall) -> None:
    headers = {**hall.kiosk(), "If-None-Match": '"0123456789abcdef0123456789abcdef"'}
    resp = hall.client.get("/api/v1/catalog", headers=headers)
    assert resp.status_code == 200 and resp.json()["version"]


def test_a_changed_catalog_changes_the_etag_and_the_heartbeat_reply(hall: Hall) -> None:
    app = hall.client.app
    old = hall.client.get("/api/v1/catalog", headers=hall.kiosk()).headers["etag"]
    app.state.catalog = app.state.catalog.model_copy(update={"version": "2099.1"})  # type: ignore[attr-defined]
    resp = hall.client.get("/api/v1/catalog", headers={**hall.kiosk(), "If-None-Match": old})
    assert resp.status_code == 200 and resp.headers["etag"] != old
    reply = beat(hall)
    assert reply["catalog_version"] == "2099.1"
    assert reply["catalog_etag"] == resp.headers["etag"]
    assert kiosks(hall)["kiosk-1"]["catalog_current"] is False
