"""Identify: tap the ID card, or type the number on the keypad, or skip where allowed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from kiosk.flow import Flow
from kiosk.visit import State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import Keypad, button, label


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
        self.keypad_open = False  # 长辈版: the keypad appears on request (fewer choices at once)
        left.addStretch(1)
        row.addLayout(left, 1)
        self.keypad = Keypad()
        self.keypad.setProperty("speak_as_one", True)
        self.keypad.submitted.connect(self._typed)
        row.addWidget(self.keypad, 1)
        self.outer.insertLayout(1, row)
        self.message = label("", role="warning", name="identify_message")
        self.outer.insertWidget(2, self.message)
        self.demo_hint = label("", role="muted")
        self.demo_box.addWidget(self.demo_hint)
        self.demo_buttons = []
        for name, shown in self.virtual_cards:
            b = button(
                shown,
                lambda n=name: self.present_card(n),  # type: ignore[misc]
                role="secondary",
                name=f"card_{name}",
            )
            b.setProperty("demo", True)  # a demo aid, not a citizen's choice
            self.demo_box.addWidget(b)
            self.demo_buttons.append(b)
        demo = bool(self.virtual_cards and self.present_card)
        self.demo_hint.setVisible(demo)
        for b in self.demo_buttons:
            b.setVisible(demo)
        self.open_keypad_button = button("", self._open_keypad, name="open_keypad")
        self.skip_box.addWidget(self.open_keypad_button)
        self.skip_button = button(
            "", self.flow.ticket.skip_identity, role="secondary", name="skip_identity"
        )
        self.skip_box.addWidget(self.skip_button)

    def _typed(self, value: str) -> None:
        if self.flow.ticket.submit_typed_id(value):
            self.keypad.clear()

    def render(self, state: State) -> None:
        self.title.setText(self.tr("请刷身份证，或输入身份证号"))
        self.card_hint.setText(self.tr("请把身份证放在下方读卡区，听到提示音后取下。"))
        self.demo_hint.setText(self.tr("演示：模拟刷卡（虚拟读卡器）"))
        self.open_keypad_button.setText(self.tr("输入身份证号"))
        self.open_keypad_button.setVisible(state.elder and not self.keypad_open)
        self.skip_button.setText(self.tr("不登记身份，直接取号"))
        self.skip_button.setVisible(self.flow.ticket.may_skip_identity())
        if state.message:
            self.message.setText(message_text(state.message, self.flow.language))
            self.message.show()
        else:
            self.message.hide()
        self.keypad.setAccessibleName(self.tr("数字键盘：请逐位输入身份证号，再按确定"))
        self.keypad.setVisible(not state.elder or self.keypad_open)

    def reset(self) -> None:
        super().reset()
        self.keypad.clear()
        self.keypad_open = False

    def _open_keypad(self) -> None:
        self.keypad_open = True
        self.flow.touch()
        self.on_page()
