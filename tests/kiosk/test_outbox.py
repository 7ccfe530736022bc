"""The durable outbox: written before sending, removed only on confirmation, survives kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.outbox import Message, Outbox, Undeliverable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_messages_wait_until_the_server_confirms(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "outbox.sqlite3", base_backoff_s=2, clock=clock)
    assert box.put("rating", "k1", {"ticket": "A001", "level": "satisfied"})
    assert box.put("rating", "k2", {"ticket": "A002", "level": "basic"})
    assert not box.put("rating", "k1", {"ticket": "A001", "level": "satisfied"})  # same key
    assert box.backlog() == 2

    def down(message: Message) -> None:
        raise ConnectionError("hall server down")

    assert box.deliver(down) == (0, 1)  # stops at the first failure, keeps order
    assert box.backlog() == 2
    assert box.due() == [m for m in box.due() if m.key == "k2"]  # k1 backs off 2 s
    clock.now += 2
    sent: list[str] = []
    assert box.deliver(lambda m: sent.append(m.key)) == (2, 0)
    assert sent == ["k1", "k2"] and box.backlog() == 0
    box.close()


def test_backoff_grows_and_is_capped(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite3", base_backoff_s=1, max_backoff_s=8, clock=clock)
    box.put("case", "c1", {"x": 1})
    waits = []
    for _ in range(6):
        (message,) = box.due()
        box.deliver(lambda m: (_ for _ in ()).throw(TimeoutError()))
        start = clock.now
        while not box.due():
            clock.now += 0.5
        waits.append(clock.now - start)
    assert waits == [1, 2, 4, 8, 8, 8]
    box.close()


def test_a_final_refusal_goes_to_dead_letters_not_away(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.put("rating", "bad", {"ticket": "A009"})

    def refuse(message: Message) -> None:
        raise Undeliverable("422: reasons required")

    assert box.deliver(refuse) == (0, 1)
    assert box.backlog() == 0
    [dead] = box.dead_letters()
    assert dead.key == "bad" and "reasons required" in dead.last_error
    box.close()


def test_plain_id_numbers_are_refused(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    with pytest.raises(ValueError):
        box.put("rating", "k", {"rater": "11010519491231002X"})
    assert box.backlog() == 0
    box.close()


def test_wal_and_full_sync_are_on(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = Outbox(path)
    box.put("rating", "k", {"a": 1})
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    box.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kiosk.outbox import Outbox
    box = Outbox(Path(sys.argv[1]))
    i = 0
    while True:
        box.put("rating", f"{sys.argv[2]}-{i}", {"n": i})
        print(i, flush=True)  # printed only after the commit returned
        i += 1
    """
)


@pytest.mark.slow
def test_committed_messages_survive_kill_9(tmp_path: Path) -> None:
    """Kill a writer at 20 different points: every message it reported as stored is there,
    none twice, and the database passes SQLite's integrity check each time."""
    path = tmp_path / "o.sqlite3"
    root = Path(__file__).resolve().parents[2]
    reported: set[str] = set()
    for round_ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"r{round_}"], cwd=root,
                                stdout=subprocess.PIPE, text=True, env={**os.environ})  # fmt: skip
        assert proc.stdout is not None
        target = 5 + (round_ * 7) % 23  # kill at a different point each round
        for line in proc.stdout:
            reported.add(f"r{round_}-{int(line)}")
            if len([k for k in reported if k.startswith(f"r{round_}-")]) >= target:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            keys = [r[0] for r in conn.execute("SELECT key FROM outbox")]
        assert len(keys) == len(set(keys))
        assert reported <= set(keys)
