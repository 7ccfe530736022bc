"""Virtual card presented → print job complete: the kiosk's own software time.

Runs the real core (flow, embedded hall server on SQLite, virtual reader, virtual printer
producing the real ESC/POS bytes) with work run inline, so what is timed is software, not a
citizen reading the notice: card presented → notice shown, plus confirm → ticket issued and
printed. Baseline in the same process: one GET /api/v1/health round trip to the same server.
Prints JSON; target p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from benchlib import percentile  # noqa: E402

from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.settings import load_settings
from kiosk.visit import Screen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="50 runs")
    parser.add_argument("--render", action="store_true", help="also render each job to PNG")
    args = parser.parse_args()
    runs = 50 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as data:
        # the virtual reader and printer: what is timed is the kiosk's software, not a
        # simulated wire (benchmarks/idcard_latency.py and printer.py time those)
        env = {
            "KIOSK_KIOSK__DATA_DIR": data,
            "KIOSK_CARD_READER__BACKEND": "virtual",
            "KIOSK_PRINTER__CONNECTION": "virtual",
            "KIOSK_VOICE__BACKEND": "recording",
        }
        settings = load_settings(environ=env)
        settings.printer.out_dir = Path(data) / "printed" if args.render else None
        core = build_core(settings, hall_server=EmbeddedHallServer)
        if not args.render:
            core.printer.out_dir = None  # type: ignore[attr-defined]  # bytes only, no PNG
        try:
            flow = core.flow
            card = core.virtual_cards()[0][0]
            base_url, token = core.hall.base_url, core.hall.token  # type: ignore[union-attr]
            times, health = [], []
            with httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}
            ) as http:
                for i in range(runs + 5):
                    flow.home()
                    flow.ticket.take_number()
                    flow.ticket.choose_group("market")
                    flow.ticket.choose_entry("business-license")
                    start = time.perf_counter()
                    core.present_virtual_card(card)
                    assert flow.state.screen is Screen.NOTICE
                    flow.ticket.confirm_notice()
                    elapsed = time.perf_counter() - start
                    if not flow.state.printed:
                        raise RuntimeError(f"run {i}: not printed ({flow.state.message})")
                    h0 = time.perf_counter()
                    http.get("/api/v1/health").raise_for_status()
                    h = time.perf_counter() - h0
                    if i >= 5:  # the first runs warm caches
                        times.append(elapsed * 1000)
                        health.append(h * 1000)
        finally:
            core.close()
    p50, hp50 = statistics.median(times), statistics.median(health)
    print(
        json.dumps(
            {
                "benchmark": "card_to_ticket",
                "runs": runs,
                "render_png": args.render,
                "p50_ms": round(p50, 2),
                "p95_ms": round(percentile(times, 95), 2),
                "max_ms": round(max(times), 2),
                "baseline_health_roundtrip_p50_ms": round(hp50, 2),
                "ratio_p50_to_baseline": round(p50 / hp50, 2),
                "target_p95_ms": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
