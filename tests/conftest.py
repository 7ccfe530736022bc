"""Shared test set-up: offscreen Qt, each test its own settings and data directory, and a
check that no thread (embedded server, reader, worker) outlives its test."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The hall server's rate limits (hall/ratelimit.py) are tested by their own tests, which
# set them explicitly; elsewhere many requests from one test address would trip them.
os.environ.setdefault("HALL_RATE_LIMITS", "off")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KIOSK_TEST_HARDWARE") == "1":
        return
    skip = pytest.mark.skip(reason="needs a real device (set KIOSK_TEST_HARDWARE=1)")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def kiosk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Only this test's settings: no KIOSK_* from the developer's shell, a fresh data dir."""
    for name in list(os.environ):
        if name.startswith("KIOSK_") and name not in (
            "KIOSK_TEST_PG_URL",
            "KIOSK_TEST_HARDWARE",
            "KIOSK_REGEN_GOLDEN",
        ):
            monkeypatch.delenv(name)
    data = tmp_path / "kiosk-data"
    env = {
        "KIOSK_KIOSK__DATA_DIR": str(data),
        # tests assert what would be spoken; tests/voice exercises the real engine
        "KIOSK_VOICE__BACKEND": "recording",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        # _DummyThread: Qt's pool threads seen by Python once they log; they are Qt's to end
        extra = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"threads left running after the test: {[t.name for t in extra]}"
