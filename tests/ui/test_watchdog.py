"""systemd's watchdog is fed from the GUI thread: a blocked GUI stops the pings.

A fake systemd: the unix datagram socket ``NOTIFY_SOCKET`` names, read by the test itself
(pings are sent only from the GUI thread, which is the test's thread, so draining the
socket right before blocking is exact).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ui.lifecycle import Watchdog


@pytest.fixture
def fake_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield sock
    sock.close()


def drain(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got.append(sock.recv(4096).decode())
        except BlockingIOError:
            return got


def test_watchdog_pings_from_the_gui_thread_stop_while_it_is_blocked(
    qtbot: QtBot, fake_systemd: socket.socket
) -> None:
    watchdog = Watchdog(interval_s=0.05)
    watchdog.ready()
    first = drain(fake_systemd)
    assert first and first[0].startswith("READY=1")
    seen: list[str] = []
    qtbot.waitUntil(lambda: seen.extend(drain(fake_systemd)) or seen.count("WATCHDOG=1") >= 3)

    drain(fake_systemd)
    time.sleep(0.5)  # the GUI thread is frozen: this blocking is what the test is about
    during = drain(fake_systemd)
    assert during == [], "a ping was sent while the GUI thread was blocked"

    after: list[str] = []
    qtbot.waitUntil(lambda: after.extend(drain(fake_systemd)) or "WATCHDOG=1" in after)
    watchdog.stop()


def test_no_watchdog_without_systemd(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    watchdog = Watchdog()
    assert watchdog.interval_s is None
    watchdog.ready()  # nothing to talk to: no error, no timer
    assert watchdog.pings == 0


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.service import watchdog_interval_s

    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
    pid = str(os.getpid())
    assert watchdog_interval_s({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": pid}) == 2.0
    assert watchdog_interval_s({}) is None
