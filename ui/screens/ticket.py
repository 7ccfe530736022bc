"""The ticket: number very large, where to wait, people ahead, estimated wait, QR, print state."""

from __future__ import annotations

import io

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from kiosk.visit import State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


def qr_pixmap(data: str, size_px: int = 220) -> QPixmap:
    img = qrcode.make(data, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pix = QPixmap()
    pix.loadFromData(buf.getvalue(), "PNG")
    return pix.scaled(size_px, size_px, Qt.AspectRatioMode.KeepAspectRatio)


class TicketScreen(ScreenBase):
    def render(self, state: State) -> None:
        t = state.ticket
        if t is None:
            return
        entry = self.flow.catalog.entry(t.service_id)
        group = self.flow.catalog.group(t.window_group)
        self.title.setText(self.tr("取号成功"))
        clear_layout(self.body)
        row = QHBoxLayout()
        left = QVBoxLayout()
        caption = label(self.tr("您的号码"), role="muted")
        caption.setProperty("silent", True)  # the number itself says "您的号码是 …"
        left.addWidget(caption)
        number = label(t.number, role="number", name="ticket_number", wrap=False)
        number.setAccessibleName(self.tr("您的号码是 {number}").format(number=t.number))
        left.addWidget(number)
        if t.priority:
            left.addWidget(label(self.tr("绿色通道"), role="ok"))
        left.addWidget(label(self.local(entry, "name"), name="ticket_service"))
        left.addWidget(
            label(
                self.tr("请到：{name}，{where}").format(
                    name=self.local(group, "name"),
                    where=self.local(group, "location"),
                )
            )
        )
        left.addWidget(
            label(
                self.tr("前面还有 {n} 人，预计等待约 {m} 分钟").format(
                    n=t.people_ahead, m=t.estimated_wait_min
                ),
                name="ticket_wait",
            )
        )
        row.addLayout(left, 3)
        qr = QLabel()
        qr.setObjectName("ticket_qr")
        qr.setPixmap(qr_pixmap(t.qr_data))
        qr.setAccessibleName(self.tr("号票二维码，可用于查询和评价"))
        qr.setProperty("silent", True)
        row.addWidget(qr, 1)
        self.body.addLayout(row)
        if state.busy == "printing":
            self.body.addWidget(label(self.tr("正在打印号票…"), name="print_state"))
        elif state.printed:
            self.body.addWidget(
                label(self.tr("请取走号票，留意叫号。"), role="ok", name="print_state")
            )
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="ticket_message")
            )
        buttons = QHBoxLayout()
        if not state.printed:
            again = button(
                self.tr("重新打印"), self.flow.ticket.reprint, role="secondary", name="reprint"
            )
            again.setEnabled(state.busy is None)
            buttons.addWidget(again)
        buttons.addWidget(button(self.tr("完成"), self.flow.finish, name="finish"))
        self.body.addLayout(buttons)
