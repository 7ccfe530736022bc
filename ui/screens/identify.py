"""Identify: tap the ID card, or type the number on the keypad, or skip where allowed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from kiosk.flow import Flow, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import Keypad, button, clear_layout, label


class IdentifyScreen(ScreenBase):
    def __init__(
        self,
        flow: Flow,
        virtual_cards: list[tuple[str, str]] | None = None,
        present_card: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(flow)
        self.virtual_cards = virtual_cards or []
        self.present_card = present_card
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.card_hint = label("", name="card_hint")
        left.addWidget(self.card_hint)
        self.demo_box = QVBoxLayout()
        left.addLayout(self.demo_box)
        self.skip_box = QVBoxLayout()
        left.addLayout(self.skip_box)
        left.addStretch(1)
        row.addLayout(left, 1)
        self.keypad = Keypad()
        self.keypad.submitted.connect(self._typed)
        row.addWidget(self.keypad, 1)
        self.outer.insertLayout(1, row)
        self.message = label("", role="warning", name="identify_message")
        self.outer.insertWidget(2, self.message)

    def _typed(self, value: str) -> None:
        if self.flow.submit_typed_id(value):
            self.keypad.clear()

    def render(self, state: State) -> None:
        self.title.setText(self.tr("请刷身份证，或输入身份证号"))
        self.card_hint.setText(self.tr("请把身份证放在下方读卡区，听到提示音后取下。"))
        clear_layout(self.demo_box)
        if self.virtual_cards and self.present_card:
            self.demo_box.addWidget(label(self.tr("演示：模拟刷卡（虚拟读卡器）"), role="muted"))
            for name, shown in self.virtual_cards:
                self.demo_box.addWidget(
                    button(
                        shown,
                        lambda n=name: self.present_card(n),
                        role="secondary",
                        name=f"card_{name}",
                    )  # type: ignore[misc]
                )
        clear_layout(self.skip_box)
        if self.flow.may_skip_identity():
            self.skip_box.addWidget(
                button(
                    self.tr("不登记身份，直接取号"),
                    self.flow.skip_identity,
                    role="secondary",
                    name="skip_identity",
                )
            )
        if state.message:
            self.message.setText(message_text(state.message))
            self.message.show()
        else:
            self.message.hide()
        if state.screen.value != "identify":
            self.keypad.clear()
