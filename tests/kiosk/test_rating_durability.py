"""Exactly-once ratings: the kiosk process is killed (SIGKILL) at random points while it
submits ratings with the hall server down, 50 times; then the server comes up and every
rating arrives exactly once — also when kills hit the delivery itself."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]

# A kiosk's rating path in its own process: RatingService writes to the durable outbox, an
# OutboxSender delivers in the background. Prints each rating's key once put() returned.
KIOSK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kiosk.journeys.rating import RatingDraft
    from kiosk.hall_client import HallClient
    from kiosk.outbox import Outbox, OutboxSender
    from kiosk.rating import RatingService
    outbox_path, url, token, tag, count = sys.argv[1:6]
    outbox = Outbox(Path(outbox_path), base_backoff_s=0.05, max_backoff_s=0.2)
    service = RatingService(HallClient(url, token, timeout_s=2.0), outbox)
    sender = OutboxSender(outbox, service.send, interval_s=0.02)
    service.kick = sender.kick
    sender.start()
    for i in range(int(count)):
        key = f"{tag}-{i}"
        service.submit(key, RatingDraft(level="satisfied"), "zh")
        print(key, flush=True)
    while outbox.backlog():
        time.sleep(0.02)
    print("DONE", flush=True)
    sender.stop()
    """
)


def run_kiosk(outbox: Path, url: str, token: str, tag: str, count: int,
              kill_after: int | None) -> tuple[list[str], bool]:  # fmt: skip
    """Run the kiosk; SIGKILL it after ``kill_after`` keys. Returns (keys put, finished)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", KIOSK, str(outbox), url, token, tag, str(count)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    assert proc.stdout is not None
    keys: list[str] = []
    finished = False
    for line in proc.stdout:
        line = line.strip()
        if line == "DONE":
            finished = True
            break
        keys.append(line)
        if kill_after is not None and len(keys) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stdout.close()
    return keys, finished


@pytest.mark.slow
def test_every_rating_arrives_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    db = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db)
    token = add_kiosk(db, "kiosk-07")
    staff = add_staff(db, "auditor")
    outbox = tmp_path / "outbox.sqlite3"
    put: list[str] = []

    # 1. the hall server is down: 50 kiosk runs, each killed at a random point
    dead_url = f"http://127.0.0.1:{free_port()}"
    for run in range(50):
        keys, _ = run_kiosk(
            outbox, dead_url, token, f"down{run}", 20, kill_after=rng.randint(1, 20)
        )
        put += keys

    # 2. the server is up: more runs, killed while they deliver (sent, maybe not yet removed)
    server = ServerProcess(db, env={"HALL_DIVISION_CODE": "330100"}).start()
    try:
        for run in range(10):
            keys, _ = run_kiosk(outbox, server.base_url, token, f"up{run}", 5,
                                kill_after=rng.randint(1, 5))  # fmt: skip
            put += keys
        # 3. a last run that is left alone delivers whatever is still waiting
        keys, finished = run_kiosk(outbox, server.base_url, token, "final", 1, kill_after=None)
        put += keys
        assert finished, "the backlog was not delivered"

        # the server's view, through its API: as many ratings as keys it holds
        exported = httpx.get(f"{server.base_url}/api/v1/ratings/export?format=csv&header=keys",
                             headers={"Authorization": f"Bearer {staff}"}, timeout=30)  # fmt: skip
        exported.raise_for_status()
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:
        arrived = [k for (k,) in conn.execute("SELECT idempotency_key FROM ratings")]
    with sqlite3.connect(outbox) as conn:
        left = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert left == 0  # nothing waiting, nothing in dead letters
    assert len(arrived) == len(set(arrived))  # none twice
    assert set(put) <= set(arrived)  # none lost: every rating the kiosk stored arrived
    tags = {k.rsplit("-", 1)[0] for k in arrived}
    assert tags <= {f"down{i}" for i in range(50)} | {f"up{i}" for i in range(10)} | {"final"}
    assert len(exported.text.strip().splitlines()) == len(arrived) + 1  # header + one row each
    verify = subprocess.run([sys.executable, "-m", "hall", "verify-ratings", "--database-url", db],
                            cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
