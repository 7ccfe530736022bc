"""What every screen has: a title, a body it rebuilds from the flow's state."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.flow import Flow, State
from ui.widgets import label


class ScreenBase(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 24, 40, 24)
        self.outer.setSpacing(18)
        self.title = label("", role="title", name="screen_title")
        self.outer.addWidget(self.title)
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        self.outer.addLayout(self.body)
        self.outer.addStretch(1)

    def zh(self) -> bool:
        return self.flow.language == "zh"

    def render(self, state: State) -> None:
        """Rebuild from ``state`` (called on every change while this screen is shown)."""
        raise NotImplementedError
