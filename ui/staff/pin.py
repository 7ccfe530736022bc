"""The PIN pad in front of the staff panel: enter the PIN, or set the first one (twice)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout

from kiosk.staff import MAX_PIN_LEN, MIN_PIN_LEN, PinResult, StaffGate
from ui.widgets import button, label


class PinPad(QFrame):
    """Modes: "enter" (a PIN is set), "set" then "confirm" (first-run setup)."""

    def __init__(self, gate: StaffGate, on_open: Callable[[], None],
                 on_cancel: Callable[[], None]) -> None:  # fmt: skip
        super().__init__()
        self.gate = gate
        self.on_open = on_open
        self.on_cancel = on_cancel
        self.value = ""
        self.first = ""
        self.mode = "enter"
        col = QVBoxLayout(self)
        col.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt = label("", role="title", name="pin_prompt")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.prompt)
        self.display = label("", role="entry", name="pin_display", wrap=False)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.display)
        self.message = label("", role="warning", name="pin_message")
        col.addWidget(self.message)
        grid = QGridLayout()
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]):
            if key == "⌫":
                b = button(key, self.delete, role="key", name="pin_delete")
                b.setAccessibleName(self.tr("删除一位"))
            elif key == "OK":
                b = button(self.tr("确定"), self.submit, name="pin_ok")
            else:
                b = button(key, lambda k=key: self.press(k), role="key", name=f"pin_{key}")
            grid.addWidget(b, i // 3, i % 3)
        col.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(button(self.tr("取消"), self.cancel, role="secondary", name="pin_cancel"))
        col.addLayout(row)

    def start(self) -> None:
        """Shown after the corner gesture: first-run setup if no PIN is set yet."""
        self.value = self.first = ""
        store = self.gate.store
        self.mode = "enter" if store.has_pin else "set" if store.setup_allowed else "no_setup"
        self.message.hide()
        left = self.gate.store.locked_for()
        if left > 0:
            self._locked(left)
        self._show()

    def press(self, digit: str) -> None:
        self.gate.touch()
        if len(self.value) < MAX_PIN_LEN:
            self.value += digit
        self._show()

    def delete(self) -> None:
        self.value = self.value[:-1]
        self._show()

    def cancel(self) -> None:
        self.value = self.first = ""
        self.on_cancel()

    def submit(self) -> None:
        pin, self.value = self.value, ""
        if self.mode == "enter":
            result = self.gate.enter(pin)
            if result.ok:
                self.on_open()
            elif result.reason == "locked":
                self._locked(result.locked_for_s)
            else:
                self._say(self.tr("密码不对，还可以试 {n} 次").format(n=result.attempts_left))
        elif self.mode == "no_setup":
            self._say(self.tr("还不能在这里设置密码"))
        elif self.mode == "set":
            self.first = pin
            self.mode = "confirm"
            self.message.hide()
        else:
            result = self.gate.first_pin(self.first, pin)
            self.first = ""
            if result.ok:
                self.on_open()
            else:
                self.mode = "set"
                self._say(self._refusal(result))
        self._show()

    def _refusal(self, result: PinResult) -> str:
        return {
            "mismatch": self.tr("两次输入的密码不一样，请重新设置"),
            "length": self.tr("密码要 {a} 到 {b} 位数字").format(a=MIN_PIN_LEN, b=MAX_PIN_LEN),
            "digits": self.tr("密码只能是数字"),
            "trivial": self.tr("密码太简单（如 123456、000000），请换一个"),
            "setup_not_allowed": self.tr("还不能在这里设置密码"),
        }.get(result.reason, self.tr("密码没有设置成功"))

    def _locked(self, seconds: float) -> None:
        minutes = max(1, round(seconds / 60))
        self._say(self.tr("密码错误次数太多，已锁定，请 {m} 分钟后再试").format(m=minutes))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _show(self) -> None:
        self.prompt.setText(
            {
                "enter": self.tr("请输入工作人员密码"),
                "set": self.tr("首次使用：请设置工作人员密码（至少 {n} 位数字）").format(
                    n=MIN_PIN_LEN
                ),
                "confirm": self.tr("请再输入一次新密码"),
                "no_setup": self.tr(
                    "还没有设置工作人员密码。请管理员在本机终端运行"
                    " python -m kiosk --staff-setup，24 小时内在这里设置。"
                ),
            }[self.mode]
        )
        self.display.setText("●" * len(self.value) or " ")
