"""The kiosk window: a header (language), the current screen, back/home, the idle prompt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, QTranslator
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import Flow, Screen, State
from ui.screens.base import ScreenBase
from ui.screens.groups import GroupsScreen
from ui.screens.home import HomeScreen
from ui.screens.identify import IdentifyScreen
from ui.screens.items import ItemsScreen
from ui.screens.notice import NoticeScreen
from ui.screens.thanks import ThanksScreen
from ui.screens.ticket import TicketScreen
from ui.widgets import IdlePrompt, button, label

I18N_DIR = Path(__file__).resolve().parent / "i18n"


class _ActivityFilter(QObject):
    """Any touch, click or key press means the citizen is still there."""

    def __init__(self, on_activity: Callable[[], None]) -> None:
        super().__init__()
        self.on_activity = on_activity

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.TouchBegin,
            QEvent.Type.KeyPress,
        ):
            self.on_activity()
        return False


class MainWindow(QMainWindow):
    def __init__(
        self,
        flow: Flow,
        virtual_cards: list[tuple[str, str]] | None = None,
        present_card: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.flow = flow
        self.translator = QTranslator()
        self._language = "zh"  # the language of the source strings
        root = QWidget()
        col = QVBoxLayout(root)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)

        header = QFrame()
        header.setProperty("role", "bar")
        hrow = QHBoxLayout(header)
        self.hall_label = label("", name="hall_name", wrap=False)
        hrow.addWidget(self.hall_label, 1)
        self.language_button = button("", self._toggle_language, role="secondary", name="language")
        hrow.addWidget(self.language_button)
        col.addWidget(header)

        self.stack = QStackedWidget()
        self.screens: dict[Screen, ScreenBase] = {
            Screen.HOME: HomeScreen(flow),
            Screen.GROUPS: GroupsScreen(flow),
            Screen.ITEMS: ItemsScreen(flow),
            Screen.IDENTIFY: IdentifyScreen(flow, virtual_cards, present_card),
            Screen.NOTICE: NoticeScreen(flow),
            Screen.TICKET: TicketScreen(flow),
            Screen.THANKS: ThanksScreen(flow),
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        col.addWidget(self.stack, 1)

        self.footer = QFrame()
        self.footer.setProperty("role", "bar")
        frow = QHBoxLayout(self.footer)
        self.back_button = button("", flow.back, role="secondary", name="back")
        self.home_button = button("", flow.home, role="secondary", name="home")
        frow.addWidget(self.back_button)
        frow.addStretch(1)
        frow.addWidget(self.home_button)
        col.addWidget(self.footer)
        self.setCentralWidget(root)

        self.idle = IdlePrompt(root, flow.touch)
        self.activity = _ActivityFilter(flow.touch)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.activity)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        flow.changed.connect(self.render)
        self.render(flow.state)

    def current_screen(self) -> ScreenBase:
        widget = self.stack.currentWidget()
        assert isinstance(widget, ScreenBase)
        return widget

    def _tick(self) -> None:
        self.flow.poll()
        if self.flow.state.idle_prompt:
            self.idle.show_seconds(self.flow.idle_seconds_left())

    def _toggle_language(self) -> None:
        self.set_language("en" if self.flow.language == "zh" else "zh")

    def set_language(self, language: str) -> None:
        self.flow.set_language(language)  # re-renders through flow.changed

    def _apply_language(self) -> None:
        """Follow the flow's language (it resets to the hall's default for each citizen)."""
        if self.flow.language == self._language:
            return
        self._language = self.flow.language
        app = QApplication.instance()
        if app is not None:
            app.removeTranslator(self.translator)
            if self._language == "en" and self.translator.load(str(I18N_DIR / "kiosk_en.qm")):
                app.installTranslator(self.translator)

    def render(self, state: State) -> None:
        self._apply_language()
        cat = self.flow.catalog
        self.hall_label.setText(cat.hall_name if self.flow.language == "zh" else cat.hall_name_en)
        self.language_button.setText("English" if self.flow.language == "zh" else "中文")
        self.back_button.setText(self.tr("返回"))
        self.home_button.setText(self.tr("首页"))
        self.footer.setVisible(state.screen is not Screen.HOME)
        self.back_button.setVisible(state.screen not in (Screen.TICKET, Screen.THANKS))
        screen = self.screens[state.screen]
        screen.render(state)
        self.stack.setCurrentWidget(screen)
        if state.idle_prompt:
            self.idle.show_seconds(self.flow.idle_seconds_left())
        else:
            self.idle.hide()

    def closeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.activity)
            app.removeTranslator(self.translator)
        super().closeEvent(event)  # type: ignore[arg-type]
