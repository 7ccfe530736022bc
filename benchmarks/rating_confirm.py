"""Rating submitted → confirmed on screen (server up): p50/p95 over N ratings.

The real core (flow, durable outbox, its sender thread, embedded hall server with the
rating chain); each rating is the self-service area's, so no served ticket is needed. The
time runs from the citizen's tap on a level to the flow showing "confirmed" — outbox write
(fsync), the sender's wake-up, the POST and the chained insert. Baseline in the same run:
GET /api/v1/health. Prints JSON; target p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time

import httpx
from benchlib import percentile

from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.settings import load_settings
from kiosk.visit import Screen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 runs")
    args = parser.parse_args()
    runs = 40 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as data:
        env = {"KIOSK_KIOSK__DATA_DIR": data, "KIOSK_CARD_READER__BACKEND": "virtual",
               "KIOSK_PRINTER__CONNECTION": "virtual", "KIOSK_VOICE__BACKEND": "recording"}  # fmt: skip
        core = build_core(load_settings(environ=env), hall_server=EmbeddedHallServer)
        flow = core.flow
        confirmed = threading.Event()
        flow.changed.connect(
            lambda s: confirmed.set() if s.rating and s.rating.result == "confirmed" else None
        )
        times, health = [], []
        try:
            base, token = core.hall.base_url, core.hall.token  # type: ignore[union-attr]
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
                for i in range(runs + 5):
                    flow.home()
                    flow.rating.open()
                    flow.rating.rate_self_service()
                    confirmed.clear()
                    start = time.perf_counter()
                    flow.rating.choose_level("satisfied")
                    if not confirmed.wait(10):
                        raise RuntimeError(f"run {i}: not confirmed ({flow.state.rating})")
                    elapsed = time.perf_counter() - start
                    assert flow.state.screen is Screen.RATE_DONE
                    h0 = time.perf_counter()
                    http.get("/api/v1/health").raise_for_status()
                    if i >= 5:
                        times.append(elapsed * 1000)
                        health.append((time.perf_counter() - h0) * 1000)
        finally:
            core.close()
    p50, hp50 = statistics.median(times), statistics.median(health)
    print(
        json.dumps(
            {
                "benchmark": "rating_confirm",
                "runs": runs,
                "p50_ms": round(p50, 1),
                "p95_ms": round(percentile(times, 95), 1),
                "max_ms": round(max(times), 1),
                "baseline_health_p50_ms": round(hp50, 2),
                "ratio_p50_to_baseline": round(p50 / hp50, 1),
                "target_p95_ms": 300,
            }
        )
    )


if __name__ == "__main__":
    main()
