"""The ticket: number very large, where to wait, people ahead, estimated wait, QR, print state."""

from __future__ import annotations

import io

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.flow import Flow
from kiosk.visit import State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, label, set_role


class PhoneKeypad(QWidget):
    """短信提醒's numeric keypad: 0–9 and delete, what was typed (grouped 3-4-4), 确定 and
    不用了. The typed number stays here until 确定; ``clear`` forgets it."""

    MAX = 11

    def __init__(self, screen: ScreenBase) -> None:
        super().__init__()
        self.screen = screen
        self.value = ""
        self.setObjectName("sms_keypad")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        self.hint = label("", name="sms_hint")
        col.addWidget(self.hint)
        self.display = label("", role="entry", name="sms_entry", wrap=False)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.display)
        grid = QGridLayout()
        self.keys: dict[str, object] = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"]):
            name = "sms_key_delete" if key == "⌫" else f"sms_key_{key}"
            b = button(key, lambda k=key: self.press(k), role="key", name=name)
            self.keys[key] = b
            grid.addWidget(b, i // 3, i % 3)
        keys = QWidget()
        keys.setLayout(grid)
        keys.setProperty("speak_as_one", True)  # read as one thing, not twelve keys
        self.keypad = keys
        col.addWidget(keys)
        row = QHBoxLayout()
        self.cancel = button("", self.screen.flow.ticket.close_sms, role="secondary",
                             name="sms_cancel")  # fmt: skip
        self.ok = button("", self.submit, name="sms_ok")
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        col.addLayout(row)

    def press(self, key: str) -> None:
        self.screen.flow.touch()
        if key == "⌫":
            self.value = self.value[:-1]
            self.screen.read_back(self.tr("删除"))
        elif len(self.value) < self.MAX:
            self.value += key
            self.screen.read_back(key)
        self.show_value()

    def submit(self) -> None:
        self.screen.flow.ticket.submit_sms(self.value)

    def clear(self) -> None:
        self.value = ""
        self.show_value()

    def show_value(self) -> None:
        v = self.value
        grouped = " ".join(filter(None, [v[:3], v[3:7], v[7:]]))
        self.display.setText(grouped or self.tr("请输入11位手机号码"))
        self.display.setAccessibleName(
            self.tr("已输入 {n} 位").format(n=len(v)) if v else self.display.text()
        )

    def retranslate(self) -> None:
        self.hint.setText(
            self.tr("留下手机号，前面还剩3人和叫到您时发短信提醒您（号码当天删除）。")
        )
        self.keys["⌫"].setAccessibleName(self.tr("删除一位"))  # type: ignore[attr-defined]
        self.keypad.setAccessibleName(self.tr("数字键盘：请逐位输入手机号，再按确定"))
        self.cancel.setText(self.tr("不用了"))
        self.ok.setText(self.tr("确定"))
        self.show_value()


def qr_pixmap(data: str, size_px: int = 220) -> QPixmap:
    img = qrcode.make(data, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pix = QPixmap()
    pix.loadFromData(buf.getvalue(), "PNG")
    return pix.scaled(size_px, size_px, Qt.AspectRatioMode.KeepAspectRatio)


class TicketScreen(ScreenBase):
    """Built once; a render sets the ticket's texts, its QR (drawn once per ticket), the
    print state and which buttons show."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.caption = label("", role="muted")
        self.caption.setProperty("silent", True)  # the number itself says "您的号码是 …"
        left.addWidget(self.caption)
        self.number = label("", role="number", name="ticket_number", wrap=False)
        left.addWidget(self.number)
        self.priority = label("", role="ok")
        left.addWidget(self.priority)
        self.service = label("", name="ticket_service")
        left.addWidget(self.service)
        self.where = label("")
        left.addWidget(self.where)
        self.wait = label("", name="ticket_wait")
        left.addWidget(self.wait)
        row.addLayout(left, 3)
        self.qr = QLabel()
        self.qr.setObjectName("ticket_qr")
        self.qr.setProperty("silent", True)
        self._qr_data = ""
        row.addWidget(self.qr, 1)
        self.body.addLayout(row)
        self.print_state = label("", name="print_state")
        self.body.addWidget(self.print_state)
        self.message = label("", role="warning", name="ticket_message")
        self.body.addWidget(self.message)
        # 短信提醒 (opt-in, skipped by default): a button, then the keypad, then what is kept
        self.sms_open = button("", self.flow.ticket.open_sms, role="secondary", name="sms_open")
        self.body.addWidget(self.sms_open)
        self.sms_keypad = PhoneKeypad(self)
        self.body.addWidget(self.sms_keypad)
        self.sms_done = label("", role="ok", name="sms_done")
        self.body.addWidget(self.sms_done)
        buttons = QHBoxLayout()
        self.again = button("", self.flow.ticket.reprint, role="secondary", name="reprint")
        buttons.addWidget(self.again)
        self.done = button("", self.flow.finish, name="finish")
        buttons.addWidget(self.done)
        self.body.addLayout(buttons)

    def render(self, state: State) -> None:
        t = state.ticket
        if t is None:
            return
        entry = self.flow.catalog.entry(t.service_id)
        group = self.flow.catalog.group(t.window_group)
        self.title.setText(self.tr("取号成功"))
        self.caption.setText(self.tr("您的号码"))
        self.number.setText(t.number)
        self.number.setAccessibleName(self.tr("您的号码是 {number}").format(number=t.number))
        self.priority.setText(self.tr("绿色通道"))
        self.priority.setVisible(bool(t.priority))
        self.service.setText(self.local(entry, "name"))
        self.where.setText(
            self.tr("请到：{name}，{where}").format(
                name=self.local(group, "name"), where=self.local(group, "location")
            )
        )
        if t.offline:  # issued from the kiosk's number reserve: no count to show
            self.wait.setText(self.tr("离线取号：网络恢复后自动登记，请看大厅屏幕留意叫号"))
        else:
            self.wait.setText(
                self.tr("前面还有 {n} 人，预计等待约 {m} 分钟").format(
                    n=t.people_ahead, m=t.estimated_wait_min
                )
            )
        if t.qr_data != self._qr_data:
            self.qr.setPixmap(qr_pixmap(t.qr_data))
            self._qr_data = t.qr_data
        self.qr.setAccessibleName(self.tr("号票二维码，可用于查询和评价"))
        if state.busy == "printing":
            self.print_state.setText(self.tr("正在打印号票…"))
            set_role(self.print_state, "")
        elif state.printed:
            self.print_state.setText(self.tr("请取走号票，留意叫号。"))
            set_role(self.print_state, "ok")
        self.print_state.setVisible(state.busy == "printing" or state.printed)
        if state.message:
            self.message.setText(message_text(state.message))
        self.message.setVisible(state.message is not None)
        self.again.setText(self.tr("重新打印"))
        self.again.setVisible(not state.printed)
        self.again.setEnabled(state.busy is None)
        self.done.setText(self.tr("完成"))
        self._render_sms(state)

    def speech_key(self, state: State) -> object:
        """Opening the 短信提醒 keypad, or the number kept, is announced (voice on)."""
        return state.sms

    def reset(self) -> None:
        super().reset()
        self.sms_keypad.clear()  # a new visit never sees the last one's digits

    def _render_sms(self, state: State) -> None:
        offered = self.flow.ticket.sms is not None
        sms = state.sms
        self.sms_open.setText(self.tr("短信提醒"))
        self.sms_open.setAccessibleName(self.tr("短信提醒：到号前和叫号时发短信给您"))
        self.sms_open.setVisible(offered and sms is None)
        self.sms_keypad.setVisible(offered and sms == "open")
        if sms == "open":
            self.sms_keypad.retranslate()
        elif self.sms_keypad.value:
            self.sms_keypad.clear()  # kept, or 不用了: the digits are not kept on screen
        kept = sms not in (None, "open")
        if kept:
            self.sms_done.setText(
                self.tr("前面还剩3人和叫到您时，将发短信到 {phone}。").format(phone=sms)
            )
        self.sms_done.setVisible(offered and kept)
