"""The board's push stream, full state and spoken calls on a real server (SQLite).

Each call, recall, no-show and completion reaches an SSE client with number, counter,
kind, time and (for calls) the audio URL; the state shows the calls now and the waiting
counts with no personal data; the announcement is a real WAV made by espeak-ng and
cached; a broken voice engine still shows the call and tells the staff page.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from board_support import COUNTER, OTHER_COUNTER, Driver, connected
from hall_support import staff_login

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess

pytestmark = pytest.mark.slow

HOLDER = {"id_number": "110101199001011237", "masked_name": "测*"}  # invented


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[tuple[ServerProcess, Driver, str]]:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "测试员")
    server = ServerProcess(db_url, env={"HALL_BOARD_HEARTBEAT_S": "0.5"})
    with server:
        driver = Driver(server.base_url, kiosk_token, staff_token)
        try:
            yield server, driver, staff_token
        finally:
            driver.close()


def test_call_events_reach_the_stream_with_audio_and_the_state_has_no_personal_data(
    hall: tuple[ServerProcess, Driver, str],
) -> None:
    server, driver, _ = hall
    sse = connected(server.base_url)
    try:
        first = driver.issue(holder=HOLDER)
        driver.issue()
        called = driver.call_next(COUNTER)
        assert called["number"] == first["number"]
        event = sse.wait_for(lambda e: e["event"] == "call")
        assert event["ticket_number"] == first["number"]
        assert event["counter_id"] == COUNTER
        assert event["kind"] == "call"
        assert event["group_id"] == "market"
        assert dt.datetime.fromisoformat(event["at"]).tzinfo is not None
        assert event["audio_url"] == f"/api/v1/announcements/{first['number']}-{COUNTER}.wav"
        assert "ticket_id" not in event  # a ticket id is the key to its rating QR

        driver.act(called["id"], "recall")
        recall = sse.wait_for(lambda e: e["event"] == "recall")
        assert recall["audio_url"] == event["audio_url"]

        state = driver.state()
        assert [(c["ticket_number"], c["counter_id"]) for c in state["calls_now"]] == [
            (first["number"], COUNTER)
        ]
        assert {g["id"]: g["waiting"] for g in state["groups"]}["market"] == 1
        text = str(state)
        for private in ("测*", first["id"], HOLDER["id_number"]):
            assert private not in text

        driver.act(called["id"], "complete")
        sse.wait_for(lambda e: e["event"] == "complete")
        second = driver.call_next(OTHER_COUNTER)
        driver.act(second["id"], "no-show")
        sse.wait_for(lambda e: e["event"] == "no_show")
        assert sse.kinds() == ["call", "recall", "complete", "call", "no_show"]
        state = driver.state()
        assert state["calls_now"] == []
        assert [c["ticket_number"] for c in state["last_calls"]] == [
            second["number"], first["number"]
        ]  # fmt: skip
        # a heartbeat keeps the stream alive between events
        sse.wait_for(lambda e: e["event"] == "heartbeat", timeout=5)
    finally:
        sse.stop()


def test_groups_filter_the_state_and_the_stream(hall: tuple[ServerProcess, Driver, str]) -> None:
    server, driver, _ = hall
    other = connected(server.base_url, "?groups=construction")
    mine = connected(server.base_url, "?groups=market")
    try:
        driver.issue()
        driver.call_next(COUNTER)
        mine.wait_for(lambda e: e["event"] == "call")
        state = driver.state("?groups=construction")
        assert [g["id"] for g in state["groups"]] == ["construction"]
        assert state["calls_now"] == []
        assert other.kinds() == []
        bad = driver.http.get("/api/v1/board/state?groups=nope")
        assert bad.status_code == 422 and "nope" in bad.text
        long = driver.http.get("/api/v1/board/state?groups=" + "a" * 300)
        assert long.status_code == 422
        assert driver.http.get("/api/v1/board/events?counter=999").status_code == 404
    finally:
        other.stop()
        mine.stop()


def test_a_paused_counter_is_listed_on_break(hall: tuple[ServerProcess, Driver, str]) -> None:
    server, driver, _ = hall
    sse = connected(server.base_url, "?groups=market")
    try:
        resp = driver.http.post(f"/api/v1/counters/{COUNTER}/pause", headers=driver.staff)
        assert resp.status_code == 200, resp.text
        assert sse.wait_for(lambda e: e["event"] == "pause")["counter_id"] == COUNTER
        assert driver.state("?groups=market")["counters_on_break"] == [COUNTER]
        assert driver.state("?groups=construction")["counters_on_break"] == []
        driver.http.post(f"/api/v1/counters/{COUNTER}/open", headers=driver.staff)
        sse.wait_for(lambda e: e["event"] == "open")
        assert driver.state()["counters_on_break"] == []
    finally:
        sse.stop()


def test_announcement_is_a_cached_wav_and_bad_keys_are_refused(
    hall: tuple[ServerProcess, Driver, str],
) -> None:
    _, driver, _ = hall
    started = time.monotonic()
    fresh = driver.http.get("/api/v1/announcements/B042-5.wav")
    fresh_s = time.monotonic() - started
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(fresh.content)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 2.0 < seconds < 10.0  # a whole sentence, header sizes right
    started = time.monotonic()
    cached = driver.http.get("/api/v1/announcements/B042-5.wav")
    cached_s = time.monotonic() - started
    assert cached.content == fresh.content
    assert cached_s < fresh_s
    for key in ("Z001-5", "B042-999", "B042", "../etc-5", "b042-5", "B0420000000-5"):
        assert driver.http.get(f"/api/v1/announcements/{key}.wav").status_code == 404, key


def test_voice_failure_still_shows_the_call_and_tells_the_staff_page(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "测试员")
    env = {"HALL_ESPEAK_NG": str(tmp_path / "no-such-espeak")}
    with ServerProcess(db_url, env=env) as server:
        driver = Driver(server.base_url, kiosk_token, staff_token)
        try:
            ticket = driver.issue()
            driver.call_next(COUNTER)
            assert driver.state()["calls_now"][0]["ticket_number"] == ticket["number"]
            audio = driver.http.get(f"/api/v1/announcements/{ticket['number']}-{COUNTER}.wav")
            assert audio.status_code == 503
            assert "工作人员" in audio.json()["detail"]
            login = staff_login(driver.http, staff_token)
            assert login.status_code in (302, 303), login.text
            page = driver.http.get("/staff/kiosks.json", headers={"X-Staff-Page": "1"})
            assert page.status_code == 200, page.text
            assert "叫号语音合成失败" in page.json()["summary"]
            assert page.json()["alarm"] is True
            assert "call announcement synthesis failed" in server.log_text()
        finally:
            driver.close()


def test_board_page_and_static_files_are_served_locally_with_csp(
    hall: tuple[ServerProcess, Driver, str],
) -> None:
    _, driver, _ = hall
    page = driver.http.get("/board/")
    assert page.status_code == 200
    assert "连接中断，正在重连" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "media-src 'self'" in csp
    assert "http" not in page.text.replace("http-equiv", "")  # no other origin
    for name in ("board.js", "board.css", "rate.js", "rate.css"):
        assert driver.http.get(f"/board/static/{name}").status_code == 200
    assert driver.http.get("/board/static/../app.py").status_code == 404
    assert httpx.get(f"{driver.base_url}/rate/").status_code == 200
