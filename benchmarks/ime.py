"""On-screen keyboard: key tap -> candidates shown, stroke -> candidates shown, engine start.

Through the real keyboard widget (offscreen Qt) on the real engines (librime, Zinnia):
- ``tap_ms``: a pinyin letter tapped -> Rime's candidates in the bar (the hall's words typed
  letter by letter); target p95 <= 50 ms.
- ``stroke_ms``: a stroke finished on the pad -> Zinnia's candidates in the bar (every
  prefix of the test characters' strokes); target p95 <= 100 ms.
- ``baseline_letter_ms``: the same tap in ABC mode (no engine): the widget's own cost.
- ``start``: seconds for Rime's first start in a fresh user dir (deploys the schema), a
  second start on that dir (deployment cached), and Zinnia's model load — each in its own
  process (Rime keeps one runtime per process). Runs off the GUI thread in the kiosk.
Prints JSON (medians and p95 in ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import percentile

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["hukou", "yingyezhizhao", "shebaoka", "budongchan", "jiehundengji", "banbuchengshi"]
START = """
import json, sys, time
from ime import HandwritingEngine, PinyinEngine
t = time.perf_counter(); s = PinyinEngine(user_data_dir=sys.argv[1]).start()
p = time.perf_counter() - t
t = time.perf_counter(); h = HandwritingEngine().start()
print(json.dumps({"pinyin": p, "pinyin_ok": s.ready, "handwriting": time.perf_counter() - t,
                  "handwriting_ok": h.ready}))
"""


def start_times() -> dict[str, float | bool]:
    with tempfile.TemporaryDirectory() as user:
        runs = []
        for _ in range(2):  # cold (deploys), then warm (cached deployment)
            out = subprocess.run([sys.executable, "-c", START, user], capture_output=True,
                                 text=True, check=True, cwd=ROOT).stdout  # fmt: skip
            runs.append(json.loads(out))
    return {"pinyin_first_s": round(runs[0]["pinyin"], 3),
            "pinyin_cached_s": round(runs[1]["pinyin"], 3),
            "handwriting_s": round(runs[1]["handwriting"], 3),
            "available": runs[1]["pinyin_ok"] and runs[1]["handwriting_ok"]}  # fmt: skip


def summary(values: list[float]) -> dict[str, float | int]:
    return {"n": len(values), "p50": round(statistics.median(values), 2),
            "p95": round(percentile(values, 95), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication, QLineEdit

    from ui import theme
    from ui.keyboard import HANDWRITING, LETTERS, PINYIN, Keyboard

    app = QApplication.instance() or QApplication([])
    start = start_times()
    field = QLineEdit()
    field.setMaxLength(100_000)
    kb = Keyboard()
    kb.setStyleSheet(theme.style(False))  # styled as on the kiosk; not shown (offscreen)
    kb.attach(field)
    deadline = time.monotonic() + 120
    while not kb.ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    strokes = json.loads((ROOT / "tests/ime/handwriting_strokes.json").read_text("utf-8"))
    taps, baseline, stroke_ms = [], [], []
    for _ in range(rounds):
        kb.set_mode(PINYIN)
        for word in WORDS:
            for ch in word:
                t = time.perf_counter()
                kb.tap(ch)
                taps.append((time.perf_counter() - t) * 1000)
            assert kb.composition.candidates
            kb.choose(0)
        kb.set_mode(LETTERS)
        for ch in "".join(WORDS):
            t = time.perf_counter()
            kb.tap(ch)
            baseline.append((time.perf_counter() - t) * 1000)
        kb.set_mode(HANDWRITING)
        w, h = strokes["pad"]
        for char_strokes in strokes["characters"].values():
            kb.clear_pad()
            for stroke in char_strokes:
                kb.pad.strokes.append([(x * kb.pad.width() / w, y * kb.pad.height() / h)
                                       for x, y in stroke])  # fmt: skip
                t = time.perf_counter()
                kb._stroke()  # what the pad's stroke_finished runs
                stroke_ms.append((time.perf_counter() - t) * 1000)
        field.clear()
    result = {
        "benchmark": "ime",
        "rounds": rounds,
        "tap_ms": summary(taps),
        "tap_target_p95_ms": 50,
        "stroke_ms": summary(stroke_ms),
        "stroke_target_p95_ms": 100,
        "baseline_letter_ms": summary(baseline),
        "start": start,
    }
    kb.reset()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    kb.shutdown()


if __name__ == "__main__":
    main()
