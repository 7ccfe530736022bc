"""GUI event-loop stall during a 材料预审 (pre-check) of N pages.

The real window (offscreen) walks the pre-check of the newborn bundle: for each page a
sample document is put under the (folder) camera, 拍这一页, and the page goes through the
real ``PrecheckWorker`` process (RapidOCR); then 完成, the verdict screen and the printed
slip (virtual printer). A QTimer ticking every 5 ms records the gaps between its ticks:
the stall is the largest gap beyond 5 ms, measured from the capture screen shown to the
slip printed (``stall_max_ms``); getting there (home → groups → items, screens shared with
取号) is reported apart (``navigation_stall_max_ms``). The worker is warmed before the walk, as
``KioskCore.warm_up`` does at start-up.

Baseline in the same run: the same walk with the analysis replaced by an idle wait of the
same duration (each page's measured time, the recorded result handed back), so the ratio
shows what OCR in another process costs the GUI. ``gui_thread_cpu_ms``: the GUI thread's
own CPU time over the pre-check (the stall can be no lower than its largest slice; unlike the
stall it does not grow when other processes load the shared machine).

Also (``camera_preview``): the capture screen with the document camera's live picture
(``ui/preview.py``) — a real ``CameraScanner`` playing a video of a page on the mat — for a
few seconds, with the same 5 ms timer; baseline: the same screen and time with the folder
scanner (no live picture). Prints JSON; target: stall ≤ 50 ms max. Never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import percentile  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402
from kiosk.visit import BUNDLES  # noqa: E402
from ui.app import application, make_window  # noqa: E402
from ui.runner import QtRunner  # noqa: E402
from ui.tour import settle  # noqa: E402

INTERVAL_MS = 5
# never all five materials of the bundle (that would end the pre-check by itself)
SAMPLES = (
    "900000_id_card_front_clean.jpg",
    "900001_household_register_clean.jpg",
    "900004_application_form_clean.jpg",
    "900003_marriage_certificate_clean.jpg",
)


class IdleWorker:
    """Stands in for ``PrecheckWorker``: waits as long as the real page took, then answers
    the real page's result — no CPU used."""

    def __init__(self, recorded: list[tuple[float, Any]]) -> None:
        self.recorded = list(recorded)
        self.warmed: Future[float] = Future()
        self.warmed.set_result(0.0)

    def submit(self, data: bytes, name: str = "", **_: Any) -> Future[Any]:
        seconds, result = self.recorded.pop(0)
        future: Future[Any] = Future()
        timer = threading.Timer(seconds, lambda: future.set_result(result))
        timer.start()
        return future

    def close(self, wait: bool = True) -> None:
        pass


def walk(data: str, pages: int, recorded: list[tuple[float, Any]] | None) -> dict[str, Any]:
    env = {"KIOSK_KIOSK__DATA_DIR": data, "KIOSK_CARD_READER__BACKEND": "virtual",
           "KIOSK_PRINTER__CONNECTION": "virtual", "KIOSK_VOICE__BACKEND": "recording"}  # fmt: skip
    app = application()
    runner = QtRunner()
    core = build_core(load_settings(environ=env), runner, hall_server=EmbeddedHallServer)
    pre = core.flow.precheck
    assert pre is not None
    if recorded is not None:
        pre.worker_factory = lambda: IdleWorker(recorded)  # type: ignore[assignment,return-value]
    core.hall.health()  # the embedded hall server has started (its imports hold the GIL):
    window = make_window(core)  # measure the kiosk in use, not its first seconds
    window.resize(1280, 960)
    window.show()
    warm = time.perf_counter()
    pre.worker().warmed.result(timeout=120)
    warm_ms = (time.perf_counter() - warm) * 1000
    gaps: list[float] = []  # during the pre-check: capture screen shown → slip printed
    nav_gaps: list[float] = []  # getting there: home → 材料预审 → groups → items → capture
    phase = [nav_gaps]
    page_ms: list[float] = []
    results: list[tuple[float, Any]] = []
    clock = QElapsedTimer()
    flow = core.flow
    timer = QTimer()
    timer.setInterval(INTERVAL_MS)
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        phase[0].append(now - last[0])
        last[0] = now

    timer.timeout.connect(tick)
    try:
        settle(app)
        clock.start()
        last[0] = clock.elapsed()
        timer.start()
        walk_start = time.perf_counter()
        flow.ticket.open_precheck()
        settle(app)
        flow.ticket.choose_group(BUNDLES)
        settle(app)
        flow.ticket.choose_entry("newborn-bundle")
        settle(app)
        phase[0] = gaps
        gui_cpu = time.thread_time()  # the GUI thread's own CPU: not inflated by other load
        # record what the worker answers (for the idle baseline) by wrapping its submit
        worker = pre.worker()
        submit = worker.submit

        def timed_submit(*args: Any, **kwargs: Any) -> Future[Any]:
            started = time.perf_counter()
            future = submit(*args, **kwargs)
            future.add_done_callback(
                lambda f: results.append((time.perf_counter() - started, f.result()))
            )
            return future

        worker.submit = timed_submit  # type: ignore[method-assign]
        for i in range(pages):
            pre.present_sample(SAMPLES[i % len(SAMPLES)])
            started = time.perf_counter()
            pre.capture()
            while pre.state is not None and pre.state.analysing:
                QTest.qWait(2)  # never a tight processEvents() loop (PySide6 6.12)
            page_ms.append((time.perf_counter() - started) * 1000)
        pre.finish()
        while pre.state is not None and pre.state.slip == "printing":
            QTest.qWait(2)
        settle(app)
        gui_cpu_ms = (time.thread_time() - gui_cpu) * 1000
        walk_ms = (time.perf_counter() - walk_start) * 1000
        phase[0] = nav_gaps
        overall = pre.state.verdict.overall if pre.state and pre.state.verdict else "?"
    finally:
        timer.stop()
        window.close()
        runner.shutdown()
        core.close()
    stalls = [g - INTERVAL_MS for g in gaps]
    return {
        "pages": pages,
        "overall": overall,
        "worker_warm_ms": round(warm_ms, 1),
        "page_p50_ms": round(statistics.median(page_ms), 1),
        "walk_ms": round(walk_ms, 1),
        "ticks": len(gaps),
        "stall_max_ms": round(max(stalls), 1),
        "navigation_stall_max_ms": round(max(nav_gaps) - INTERVAL_MS, 1),
        "tick_gap_p99_ms": round(percentile(gaps, 99), 1),
        "tick_gap_p50_ms": round(statistics.median(gaps), 1),
        "gui_thread_cpu_ms": round(gui_cpu_ms, 1),
        "_recorded": results,
    }


def preview_walk(data: str, video: str | None, seconds: float) -> dict[str, Any]:
    """The capture screen shown for ``seconds``, with the camera's live picture if ``video``."""
    env = {"KIOSK_KIOSK__DATA_DIR": data, "KIOSK_CARD_READER__BACKEND": "virtual",
           "KIOSK_PRINTER__CONNECTION": "virtual", "KIOSK_VOICE__BACKEND": "recording",
           "KIOSK_PRECHECK__WARM_UP": "false"}  # fmt: skip
    if video:
        env.update({"KIOSK_SCANNER__BACKEND": "camera", "KIOSK_SCANNER__DEVICE": video,
                    "KIOSK_SCANNER__WIDTH": "1280", "KIOSK_SCANNER__HEIGHT": "720"})  # fmt: skip
    app = application()
    runner = QtRunner()
    core = build_core(load_settings(environ=env), runner, hall_server=EmbeddedHallServer)
    core.hall.health()  # the embedded hall server has started (its imports hold the GIL):
    window = make_window(core)  # measure the kiosk in use, not its first seconds
    window.show()
    gaps: list[float] = []
    clock = QElapsedTimer()
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(tick)
    try:
        flow = core.flow
        flow.ticket.open_precheck()
        flow.ticket.choose_group("general")
        flow.ticket.choose_entry("social-security-card")
        settle(app)
        preview = window.current_screen().preview  # type: ignore[attr-defined]
        cpu = time.thread_time()
        clock.start()
        timer.start()
        QTest.qWait(round(seconds * 1000))
        timer.stop()
        gui_cpu_s = time.thread_time() - cpu
        frames = preview.frames_shown
    finally:
        timer.stop()
        window.close()
        runner.shutdown()
        core.close()
    return {
        "frames_shown_per_s": round(frames / seconds, 1),
        "stall_max_ms": round(max(gaps) - INTERVAL_MS, 1),
        "tick_p99_ms": round(percentile(gaps, 99), 1),
        "gui_cpu_pct": round(100 * gui_cpu_s / seconds, 1),
    }


def camera_video(path: Path, seconds: float) -> str:
    """A 1280x720 video of a page lying on the mat, long enough for ``seconds`` at 8 fps."""
    import cv2
    import numpy as np

    from kiosk.precheck import synth

    jpeg = synth.render_sample(7, "id_card_front", frame=(1280, 720)).jpeg
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (1280, 720))
    for _ in range(int(seconds * 10) + 20):
        writer.write(frame)
    writer.release()
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 pages instead of 8")
    parser.add_argument("--pages", type=int, default=0)
    args = parser.parse_args()
    pages = args.pages or (3 if args.quick else 8)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ocr = walk(a, pages, None)
        recorded = ocr.pop("_recorded")
        idle = walk(b, pages, recorded)
        idle.pop("_recorded")
    seconds = 3.0 if args.quick else 8.0
    with tempfile.TemporaryDirectory() as c, tempfile.TemporaryDirectory() as d:
        live = preview_walk(c, camera_video(Path(c) / "mat.avi", seconds), seconds)
        still = preview_walk(d, None, seconds)
    print(
        json.dumps(
            {
                "benchmark": "precheck_gui",
                "pages": pages,
                "precheck_ocr_worker": ocr,
                "baseline_idle_wait": idle,
                "stall_ratio": round(max(ocr["stall_max_ms"], 1) / max(idle["stall_max_ms"], 1), 2),
                "camera_preview": live,
                "baseline_no_preview": still,
                "preview_stall_ratio": round(
                    max(live["stall_max_ms"], 1) / max(still["stall_max_ms"], 1), 2
                ),
                "targets": {"stall_max_ms": 50},
            }
        )
    )


if __name__ == "__main__":
    main()
