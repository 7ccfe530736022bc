"""Process start → home screen shown (offscreen), median over several runs.

Baseline in the same run: a bare Python process that imports PySide6 and shows an empty
window — the floor no kiosk can beat on this machine. Prints JSON; target ≤ 1.5 s.
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

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (
    "from PySide6.QtWidgets import QApplication, QWidget; from PySide6.QtCore import QTimer; "
    "a = QApplication([]); w = QWidget(); w.show(); "
    "QTimer.singleShot(0, lambda: (print('shown', flush=True), a.quit())); a.exec()"
)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=60)
    if "shown" not in line:
        raise RuntimeError(f"{cmd[:3]} did not report a shown window (got {line!r})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 10")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIOSK_KIOSK__DATA_DIR": data}
        kiosk_cmd = [sys.executable, "-m", "kiosk", "--windowed", "--exit-after-start"]
        timed(kiosk_cmd, env)  # first run creates the embedded server's database
        kiosk = [timed(kiosk_cmd, env) for _ in range(runs)]
        base = [timed([sys.executable, "-c", BASELINE], env) for _ in range(runs)]
    k, b = statistics.median(kiosk), statistics.median(base)
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "runs": runs,
                "kiosk_start_to_home_s_median": round(k, 3),
                "kiosk_start_to_home_s_max": round(max(kiosk), 3),
                "baseline_empty_qt_window_s_median": round(b, 3),
                "ratio_kiosk_to_baseline": round(k / b, 2),
                "target_s": 1.5,
            }
        )
    )


if __name__ == "__main__":
    main()
