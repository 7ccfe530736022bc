"""A real kiosk for UI tests: embedded hall server (SQLite), virtual devices, the Qt runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from hall.embedded import EmbeddedHallServer
from kiosk.app import KioskCore, build_core
from kiosk.precheck import synth
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
    c = build_core(load_settings(), runner, hall_server=EmbeddedHallServer)
    yield c
    c.close()


@pytest.fixture
def window(qtbot: QtBot, core: KioskCore) -> MainWindow:
    w = make_window(core)
    qtbot.addWidget(w)
    w.resize(1280, 960)
    w.show()
    return w


@pytest.fixture
def camera_video(
    kiosk_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The kiosk's document camera plays a video (as OpenCV plays a camera): an empty grey mat,
    then an ID card lying still on it. Request it before ``core``."""
    page = synth.render_sample(7, "id_card_front", frame=(640, 480)).jpeg
    frame = cv2.imdecode(np.frombuffer(page, np.uint8), cv2.IMREAD_COLOR)
    mat = np.full_like(frame, 90)
    path = tmp_path / "camera.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    for f in [mat] * 4 + [frame] * 200:
        writer.write(f)
    writer.release()
    for key, value in {"BACKEND": "camera", "DEVICE": str(path), "WIDTH": "640",
                       "HEIGHT": "480"}.items():  # fmt: skip
        monkeypatch.setenv(f"KIOSK_SCANNER__{key}", value)
    return path
