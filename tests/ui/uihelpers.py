"""Finding and pressing widgets by object name, as a citizen would: only once shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot


def find_button(window: QWidget, name: str) -> QPushButton | None:
    """The shown button of that name (screens are built once: hidden ones share names)."""
    return next((b for b in window.findChildren(QPushButton, name) if b.isVisible()), None)


def click(qtbot: QtBot, window: QWidget, name: str) -> None:
    """Wait until the button is shown (new widgets appear after the next event loop turn)."""
    qtbot.waitUntil(lambda: find_button(window, name) is not None, timeout=5000)
    b = find_button(window, name)
    assert b is not None
    assert b.isEnabled(), f"button {name!r} is disabled"
    qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def text_of(window: QWidget, name: str) -> str:
    lab = window.findChild(QLabel, name)
    assert lab is not None, f"no label {name!r}"
    return lab.text()


def visible(window: QWidget, name: str, cls: type[QWidget] = QWidget) -> bool:
    w = window.findChild(cls, name)
    return w is not None and w.isVisible()
