"""The ticket: number very large, where to wait, people ahead, estimated wait, QR, print state."""

from __future__ import annotations

import io

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from kiosk.flow import Flow
from kiosk.visit import State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, label, set_role


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
