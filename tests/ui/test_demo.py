"""The scripted demo closes the loop: ``python -m kiosk --demo DIR`` issues three tickets,
then a counter signs in, calls the card ticket, the board shows it, the spoken call is saved,
the ticket is completed and rated on the window evaluator — all through the real routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_demo_issues_calls_announces_completes_and_rates(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "KIOSK_KIOSK__DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--demo", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "called at window 5" in result.stdout and "rated very_satisfied" in result.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))

    card = next(t for t in report["tickets"] if t["flow"] == "card")
    assert {t["flow"] for t in report["tickets"]} == {"card", "typed", "bundle"}
    hall = report["hall"]
    assert hall["ticket_number"] == card["number"]
    assert hall["counter"] == "5"  # the first counter of the card ticket's group (market)
    assert "error" not in hall, hall["error"]
    assert hall["signed_in"] is True and hall["completed"] is True
    assert hall["staff_number"].startswith("demo")
    assert 0 < hall["call_latency_ms"] < 10_000, hall
    assert hall["call_latency_measured_by"] == "board event stream (SSE)"

    wav = out / hall["announcement"]
    assert wav.name == f"announcement-{card['number']}.wav"
    assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 10_000  # a spoken sentence

    rating = hall["rating"]
    assert rating["status"] == 201, rating
    assert rating["level"] == "very_satisfied"
    assert rating["channel"] == "window" and rating["counter"] == "5"

    if hall["browser"] != "chromium":
        if os.environ.get("CI") == "true":
            pytest.fail(f"the demo ran without its browser: {hall['browser']}")
        pytest.skip(f"browser part not checked: {hall['browser']}")
    assert rating["by"] == "evaluator page (Chromium)"
    assert hall["counter_driven_by"] == "counter page in Chromium"
    assert hall["signed_out"] is True
    assert hall["screenshots"] == ["hall-board.png", "hall-counter.png", "hall-evaluator.png"]
    for name in hall["screenshots"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / name).stat().st_size > 5_000  # a rendered page, not a blank
    assert hall["board_page_latency_ms"] > 0
    assert "password" not in hall and "evaluator_token" not in hall  # no secret kept


def test_without_chromium_the_report_says_so_and_the_rating_goes_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    import ui.demo_hall as demo_hall
    from hall.embedded import EmbeddedHallServer

    monkeypatch.setattr(demo_hall, "CHROMIUM", str(tmp_path / "no-chromium"))
    server = EmbeddedHallServer(tmp_path, ROOT / "config" / "services.toml", "kiosk-demo")
    server.start()
    try:
        resp = httpx.post(
            f"{server.url}/api/v1/tickets",
            json={"service_id": "business-license", "idempotency_key": "demo-1"},
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert resp.status_code == 201, resp.text
        number = resp.json()["number"]
        out = tmp_path / "out"
        out.mkdir()
        hall = demo_hall.HallDemo(server.url, server, out, number, "5").run()
    finally:
        server.stop()
    assert hall["browser"].startswith("missing: ") and "no-chromium not found" in hall["browser"]
    assert hall["screenshots"] == [] and not list(out.glob("*.png"))
    assert hall["completed"] is True and 0 < hall["call_latency_ms"]
    assert hall["counter_driven_by"] == "counter page routes over HTTP"
    assert hall["signed_out"] is True
    assert (out / f"announcement-{number}.wav").read_bytes()[:4] == b"RIFF"
    assert hall["rating"] == {
        "by": "evaluator route over HTTP (no browser)",
        "status": 201,
        "level": "very_satisfied",
        "channel": "window",
        "counter": "5",
    }


def test_with_a_remote_hall_the_hall_half_says_it_was_skipped(tmp_path: Path) -> None:
    from ui.demo_hall import HallDemo

    report = HallDemo("http://127.0.0.1:9", None, tmp_path, "B001", "5").run()
    assert report["skipped"].startswith("the hall server is not the embedded one")
    assert "rating" not in report and not list(tmp_path.iterdir())
