"""The staff panel over the kiosk window: hidden entry, PIN, pages, save and apply.

Opened by holding the top-left corner of the window for ``[staff] long_press_s`` seconds
(5 s by default), then the PIN (``kiosk.staff``). While it is open the citizen's visit is
ended and ``flow.rating.staff_mode`` is set; it closes itself after ``[staff] idle_s`` seconds
without a touch. "保存并应用" validates and writes the site settings file
(``kiosk.config_store``) and applies what can change without a restart
(``KioskCore.apply``); the panel says plainly what needs a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from contract.errors import ConfigError
from kiosk.app import KioskCore
from kiosk.config_store import ConfigStore
from kiosk.staff import PinStore, StaffGate, corner_hit
from ui import theme
from ui.staff.pages import (
    CameraPage,
    CatalogPage,
    DisplayPage,
    HallPage,
    OutboxPage,
    Page,
    PrinterPage,
    ReaderPage,
    VoicePage,
)
from ui.staff.pin import PinPad
from ui.widgets import button, label

LIVE_STATUS_TICKS = 3  # the printer page asks the printer's status every 3 s


class StaffPanel(QFrame):
    def __init__(self, window: QWidget, core: KioskCore,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], float] = time.time) -> None:  # fmt: skip
        root = window.centralWidget()  # type: ignore[attr-defined]
        super().__init__(root)
        self.setObjectName("staff_panel")
        self.setAutoFillBackground(True)
        self.window_ = window
        self.core = core
        self.gate = StaffGate(PinStore(core.settings.data_dir, now), core.flow,
                              core.settings.staff.idle_s, clock)  # fmt: skip
        col = QVBoxLayout(self)
        self.stack = QStackedWidget()
        col.addWidget(self.stack)
        self.pin = PinPad(self.gate, self._unlocked, self.close_panel)
        self.stack.addWidget(self.pin)

        body = QWidget()
        bcol = QVBoxLayout(body)
        top = QHBoxLayout()
        top.addWidget(label(self.tr("工作人员面板"), role="title", name="staff_title"), 1)
        top.addWidget(button(self.tr("保存并应用"), self.save, name="staff_save"))
        top.addWidget(button(self.tr("关闭"), self.close_panel, "secondary", "staff_close"))
        bcol.addLayout(top)
        self.result = label("", name="staff_result")
        bcol.addWidget(self.result)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("staff_tabs")
        self.pages: dict[str, Page] = {}
        bcol.addWidget(self.tabs, 1)
        self.stack.addWidget(body)
        # the pages are built when the panel is first unlocked: not at start-up, where they
        # would delay the home screen (~0.15 s) for something staff open rarely
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())

        self._ticks = 0
        self.gesture: CornerGesture | None = None  # set by ``install_staff_panel``
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(1000)
        self.idle_timer.timeout.connect(self.tick)
        root.installEventFilter(self)  # follow the window's size
        self.hide()

    def _build_pages(self) -> None:
        self.tabs.clear()
        for page in self.pages.values():
            page.retire()
            page.deleteLater()
        core = self.core
        self.pages = {
            "reader": ReaderPage(core),
            "printer": PrinterPage(core),
            "camera": CameraPage(core),
            "voice": VoicePage(core),
            "hall": HallPage(core),
            "display": DisplayPage(core),
            "catalog": CatalogPage(core),
            "outbox": OutboxPage(core),
        }
        titles = {
            "reader": self.tr("读卡器"),
            "printer": self.tr("打印机"),
            "camera": self.tr("高拍仪"),
            "voice": self.tr("语音"),
            "hall": self.tr("大厅服务器"),
            "display": self.tr("显示"),
            "catalog": self.tr("事项目录"),
            "outbox": self.tr("待发与日志"),
        }
        for key, page in self.pages.items():
            self.tabs.addTab(page, titles[key])

    # -- opening and closing -------------------------------------------------------------
    def begin(self) -> None:
        """The corner gesture was held: ask for the PIN (or to set the first one)."""
        if self.isVisible() or not self.gate.may_start():
            return
        if not self.styleSheet():  # staff see the normal-mode look whatever the citizen's mode
            self.setStyleSheet(theme.style(False))
        self.pin.start()
        self.stack.setCurrentWidget(self.pin)
        self._cover()

    def _unlocked(self) -> None:
        if not self.pages:
            self._build_pages()
        self.result.setText("")
        self.stack.setCurrentIndex(1)
        self._refresh_current()
        self.idle_timer.start()

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        # while open, a touch anywhere (a drop-down list is a window of its own) keeps it
        # open: only then is the gesture an application-wide filter (see ``CornerGesture``)
        app = QApplication.instance()
        if self.gesture is not None and app is not None:
            app.installEventFilter(self.gesture)
        super().showEvent(event)  # type: ignore[arg-type]

    def hideEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        app = QApplication.instance()
        if self.gesture is not None and app is not None:
            app.removeEventFilter(self.gesture)
        super().hideEvent(event)  # type: ignore[arg-type]

    def close_panel(self) -> None:
        self.idle_timer.stop()
        self.gate.close()
        self.hide()

    def tick(self) -> None:
        if self.gate.expired():
            self.close_panel()
            return
        self._ticks += 1
        page = self.tabs.currentWidget()
        if isinstance(page, PrinterPage) and self._ticks % LIVE_STATUS_TICKS == 0:
            page.live()

    def _cover(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        return False

    def _refresh_current(self) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, Page):
            page.refresh()

    # -- saving --------------------------------------------------------------------------
    def changes(self) -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for page in self.pages.values():
            for section, values in page.changes().items():
                merged.setdefault(section, {}).update(values)
        return merged

    def save(self) -> None:
        self.gate.touch()
        changes = self.changes()
        if not changes:
            self.result.setText(self.tr("没有改动"))
            return
        store = ConfigStore(self.core.settings.site_file)
        try:
            new = store.save(changes)
        except ConfigError as exc:
            self.result.setText(self.tr("没有保存：{why}").format(why=exc))
            return
        try:
            outcome = self.core.apply(new)
        except Exception as exc:  # a device that does not open: the old one stays in use
            self.result.setText(self.tr("已保存，但未能立即生效（{e}）；重启后生效").format(e=exc))
            return
        staff = self.core.settings.staff  # [staff]: the panel's own idle time and gesture
        self.gate.idle_s = staff.idle_s
        gesture = getattr(self.window_, "staff_gesture", None)
        if gesture is not None:
            gesture.timer.setInterval(round(staff.long_press_s * 1000))
        lines = [self.tr("已保存到 {f}").format(f=store.path)]
        if outcome["applied"]:
            lines.append(self.tr("已立即生效：{a}").format(a="、".join(outcome["applied"])))
        if outcome["restart"]:
            lines.append(self.tr("需要重启才能生效：{r}").format(r="、".join(outcome["restart"])))
        ignored = store.overridden(changes)
        if ignored:
            lines.append(self.tr("被环境变量覆盖、不会生效：{k}").format(k="、".join(ignored)))
        self.result.setText("\n".join(lines))
        current = self.tabs.currentIndex()
        self._build_pages()  # show the values now in force
        self.tabs.setCurrentIndex(current)


class CornerGesture(QObject):
    """A long press on the window's top-left corner opens the staff panel.

    Any touch while the panel is open keeps it from closing for idleness. It watches the
    kiosk window's input (``MainWindow.watch_input``: its ``QWindow``, where every touch
    arrives first) and, only while the panel is open, every event of the application
    (an application-wide filter in Python costs GUI-thread CPU on every event).
    """

    def __init__(self, window: QWidget, panel: StaffPanel, hold_s: float) -> None:
        super().__init__(window)
        self.window = window
        self.panel = panel
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(round(hold_s * 1000))
        self.timer.timeout.connect(panel.begin)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()  # every event of the application: compared by identity (cheap)
        if kind is _PRESS or kind is _TOUCH:
            if self.panel.isVisible():
                self.panel.gate.touch()
            elif not self.timer.isActive():
                point = event.globalPosition().toPoint()  # type: ignore[attr-defined]
                local = self.window.mapFromGlobal(point)
                if self.window.isActiveWindow() or self.window.isVisible():
                    if corner_hit(local.x(), local.y()):
                        self.timer.start()
        elif kind is _RELEASE or kind is _TOUCH_END or kind is _TOUCH_CANCEL:
            self.timer.stop()
        return False


_PRESS, _TOUCH = QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin
_RELEASE, _TOUCH_END = QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd
_TOUCH_CANCEL = QEvent.Type.TouchCancel


def install_staff_panel(window: QWidget, core: KioskCore) -> StaffPanel:
    """Add the panel and its corner gesture to the kiosk window (``window.staff_panel``)."""
    panel = StaffPanel(window, core)
    gesture = CornerGesture(window, panel, core.settings.staff.long_press_s)
    panel.gesture = gesture
    window.watch_input(gesture)  # type: ignore[attr-defined]
    app = QApplication.instance()
    if app is not None:  # if the window goes while the panel is open
        window.destroyed.connect(lambda *_: app.removeEventFilter(gesture))
    window.staff_panel = panel  # type: ignore[attr-defined]
    window.staff_gesture = gesture  # type: ignore[attr-defined]
    return panel
