"""A real kiosk for UI tests: embedded hall server (SQLite), virtual devices, the Qt runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from kiosk.app import KioskCore, build_core
from kiosk.settings import load_settings
from ui.app import application, make_window
from ui.main_window import MainWindow
from ui.runner import QtRunner


@pytest.fixture
def runner(qapp: object) -> Iterator[QtRunner]:
    application()
    r = QtRunner()
    yield r
    r.shutdown()


@pytest.fixture
def core(runner: QtRunner) -> Iterator[KioskCore]:
    c = build_core(load_settings(), runner)
    yield c
    c.close()


@pytest.fixture
def window(qtbot: QtBot, core: KioskCore) -> MainWindow:
    w = make_window(core)
    qtbot.addWidget(w)
    w.resize(1280, 960)
    w.show()
    return w
