"""The kiosk window: a header (长辈版, language), the current screen, a footer (back, voice
controls, 呼叫工作人员, home), and overlays that ask (still there? 长辈版? help is coming).

After every change it composes what the screen says and hands it to the voice guide, which
speaks it in 长辈版 (or when the hall turned voice on).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, QTranslator
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QScrollArea,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import Flow
from kiosk.guide import Guide
from kiosk.visit import Problem, Screen, State
from ui import theme
from ui.language import local
from ui.screens.base import ScreenBase, spoken_lines
from ui.widgets import Overlay, button, label

I18N_DIR = Path(__file__).resolve().parent / "i18n"
ANNOUNCE_SETTLE_MS = 120  # speak a screen once it has been stable this long (no double reads)

# Each screen's class, imported and built on first use (see ``_Screens``).
SCREEN_CLASSES: dict[Screen, str] = {
    Screen.HOME: "ui.screens.home:HomeScreen",
    Screen.GROUPS: "ui.screens.groups:GroupsScreen",
    Screen.ITEMS: "ui.screens.items:ItemsScreen",
    Screen.IDENTIFY: "ui.screens.identify:IdentifyScreen",
    Screen.NOTICE: "ui.screens.notice:NoticeScreen",
    Screen.TICKET: "ui.screens.ticket:TicketScreen",
    Screen.THANKS: "ui.screens.thanks:ThanksScreen",
    Screen.RATE_FIND: "ui.screens.rating:RateFindScreen",
    Screen.RATE_LEVEL: "ui.screens.rating:RateLevelScreen",
    Screen.RATE_REASONS: "ui.screens.rating:RateReasonsScreen",
    Screen.RATE_DONE: "ui.screens.rating:RateDoneScreen",
    Screen.CASE_FORM: "ui.screens.case:CaseFormScreen",
    Screen.CASE_DONE: "ui.screens.case:CaseDoneScreen",
    Screen.CASE_QUERY: "ui.screens.case:CaseQueryScreen",
    Screen.PRECHECK: "ui.screens.precheck:PrecheckScreen",
    Screen.PRECHECK_RESULT: "ui.screens.precheck:PrecheckResultScreen",
}


class _Screens(Mapping[Screen, ScreenBase]):
    """The window's screens, each built the first time it is asked for.

    Only the home screen is needed to show the kiosk; building all sixteen (and importing
    their modules: the case form, the pre-check's camera preview, the keyboard) before it
    cost about a fifth of the start. The kiosk builds the others right after the home
    screen is shown, one per turn of the event loop (``MainWindow.build_screens_later``).
    """

    def __init__(self, build: Callable[[Screen], ScreenBase]) -> None:
        self._build = build
        self.built: dict[Screen, ScreenBase] = {}

    def __getitem__(self, key: Screen) -> ScreenBase:
        screen = self.built.get(key)
        if screen is None:
            if key not in SCREEN_CLASSES:
                raise KeyError(key)
            screen = self.built[key] = self._build(key)
        return screen

    def __iter__(self) -> Iterator[Screen]:
        return iter(SCREEN_CLASSES)

    def __len__(self) -> int:
        return len(SCREEN_CLASSES)


class _ActivityFilter(QObject):
    """Any touch, click or key press means the citizen is still there.

    Installed on the window's ``QWindow`` (``MainWindow.watch_input``), where the platform
    delivers every touch, click and key press for the window before Qt passes it on to a
    widget, not on the application: there it was called for every event of every object on
    the GUI thread (~130 per screen change, timers included), each call a trip into Python
    that took the GIL from the voice's worker — ~1 ms of GUI-thread CPU per screen change
    for each such filter."""

    def __init__(
        self, on_activity: Callable[[], None], asking: Callable[[], bool] = lambda: False
    ) -> None:
        super().__init__()
        self.on_activity = on_activity
        self.asking = asking

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        # compared by identity with the types looked up once: a third of a tuple test
        kind = event.type()
        if kind is _PRESS or kind is _TOUCH:
            # while 您还在吗 is asked, a tap anywhere only answers it: taken here, before Qt
            # picks a widget — else the question, gone at the press, would let the press
            # (and its release) reach the button that was under it
            answering = self.asking()
            self.on_activity()
            return answering
        if kind is _KEY:
            self.on_activity()
        return False


_PRESS, _TOUCH, _KEY = QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress


class MainWindow(QMainWindow):
    def __init__(
        self,
        flow: Flow,
        guide: Guide | None = None,
        virtual_cards: list[tuple[str, str]] | None = None,
        present_card: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.flow = flow
        self.guide = guide
        self.translator = QTranslator()
        self._language = "zh"  # the language of the source strings
        self._elder: bool | None = None
        self._styled: dict[QWidget, bool] = {}  # the mode each part was last styled for
        self._screen: Screen | None = None
        self._said_key: tuple[object, ...] | None = None
        self._chrome: tuple[object, ...] | None = None  # what the header and footer show
        self.last_announcement = ""
        root = QWidget()
        root.setObjectName("root")
        root.setStyleSheet(f"QWidget#root {{ background: {theme.PAPER}; }}")
        col = QVBoxLayout(root)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)

        self.header = header = QFrame()
        header.setProperty("role", "bar")
        hrow = QHBoxLayout(header)
        self.hall_label = label("", name="hall_name")  # wraps: leaves the buttons their room
        hrow.addWidget(self.hall_label, 1)
        self.elder_button = button("", self._toggle_elder, name="elder")
        hrow.addWidget(self.elder_button)
        self.language_button = button("", self._toggle_language, role="secondary", name="language")
        hrow.addWidget(self.language_button)
        col.addWidget(header)

        self.stack = QStackedWidget()
        self._virtual_cards, self._present_card = virtual_cards, present_card
        self.pages: dict[ScreenBase, QScrollArea] = {}
        self.screens = _Screens(self._build_screen)  # built on first use
        col.addWidget(self.stack, 1)

        self.footer = footer = QFrame()
        footer.setProperty("role", "bar")
        frow = QHBoxLayout(footer)
        self.back_button = button("", flow.back, role="secondary", name="back")
        frow.addWidget(self.back_button)
        frow.addStretch(1)
        self.repeat_button = button("", self._repeat, role="secondary", name="repeat")
        self.softer_button = button("", self._softer, role="secondary", name="softer")
        self.louder_button = button("", self._louder, role="secondary", name="louder")
        self.mute_button = button("", self._toggle_mute, role="secondary", name="mute")
        for b in (self.repeat_button, self.softer_button, self.louder_button, self.mute_button):
            frow.addWidget(b)
        frow.addStretch(1)
        self.help_button = button("", flow.help.call_staff, role="secondary", name="call_staff")
        frow.addWidget(self.help_button)
        self.home_button = button("", flow.home, role="secondary", name="home")
        frow.addWidget(self.home_button)
        col.addWidget(footer)
        self.setCentralWidget(root)

        self.overlay = Overlay(root)
        self.activity = _ActivityFilter(flow.touch, lambda: self.flow.state.idle_prompt)
        self._input_filters: list[QObject] = []  # on the window's QWindow (``watch_input``)
        self.watch_input(self.activity)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.restyle_timer = QTimer(self)
        self.restyle_timer.setSingleShot(True)
        self.restyle_timer.setInterval(0)
        self.restyle_timer.timeout.connect(self._restyle)
        self.prepare_timer = QTimer(self)  # screens built and styled ahead (``_prepare_next``)
        self.prepare_timer.setInterval(0)
        self.prepare_timer.timeout.connect(self._prepare_next)
        self._build_all = False  # build_screens_later was called
        self._when_prepared: list[Callable[[], None]] = []
        self.announce_timer = QTimer(self)
        self.announce_timer.setSingleShot(True)
        self.announce_timer.setInterval(ANNOUNCE_SETTLE_MS)
        self.announce_timer.timeout.connect(self._announce)
        flow.changed.connect(self.render)
        self.render(flow.state)

    def watch_input(self, watcher: QObject) -> None:
        """Let ``watcher``'s ``eventFilter`` see the touches, clicks and key presses on this
        window (and the few other events its ``QWindow`` gets). The ``QWindow`` exists once
        the window is shown and may be made anew (a changed window flag): each show
        installs the watchers on the current one."""
        self._input_filters.append(watcher)
        handle = self.windowHandle()
        if handle is not None:
            handle.installEventFilter(watcher)

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        handle = self.windowHandle()
        if handle is not None:
            for watcher in self._input_filters:  # installed once however often it is shown
                handle.installEventFilter(watcher)
        super().showEvent(event)  # type: ignore[arg-type]

    def _build_screen(self, key: Screen) -> ScreenBase:
        module, _, name = SCREEN_CLASSES[key].partition(":")
        cls = getattr(importlib.import_module(module), name)
        if key is Screen.IDENTIFY:
            screen: ScreenBase = cls(self.flow, self._virtual_cards, self._present_card)
        else:
            screen = cls(self.flow)
        screen.on_page = lambda: self.render(self.flow.state, force_announce=True)
        # Each screen sits in its own scroll area, so the tallest screen (the case form)
        # does not set the window's minimum height: the window always equals the screen
        # (1366x768 … 1080x1920) and a screen taller than the space scrolls (by touch).
        self.pages[screen] = page = QScrollArea()
        page.setObjectName("page")
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setWidgetResizable(True)
        page.setWidget(screen)
        QScroller.grabGesture(page.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.stack.addWidget(page)
        screen.read_back = self._read_back  # the on-screen keyboard's chosen characters
        return screen

    def build_screens_later(self, done: Callable[[], None] | None = None) -> None:
        """Build the screens not built yet, one per turn of the event loop (a touch in
        between is handled at once), each styled for the current mode in a turn of its own
        (``_prepare_next``), then call ``done``."""
        self._build_all = True
        if done is not None:
            self._when_prepared.append(done)
        self.prepare_timer.start()

    def _prepare_next(self) -> None:
        """One step of the work kept off the citizen's path, per turn of the event loop:
        style a hidden screen for the current mode and polish it, else build a screen not
        built yet. A screen's first showing cost ~30 ms of the GUI thread inside a visit (its
        style sheet applied, each widget polished, its texts measured in that mode's fonts);
        done here while the kiosk is idle (after the start, after a 长辈版 switch), showing it
        costs what a re-render costs. A screen reached before its turn is styled when shown."""
        shown = self.stack.currentWidget()
        for screen, page in self.pages.items():
            if page is not shown and self._styled.get(page) is not self._elder:
                if page not in self._styled:  # never shown nor styled yet
                    screen.build_ahead()
                self._style(page)
                page.ensurePolished()  # the page and every widget in it
                return
        if self._build_all:
            missing = next((key for key in SCREEN_CLASSES if key not in self.screens.built), None)
            if missing is not None:
                self.screens[missing]  # noqa: B018 (builds it)
                return
        self.prepare_timer.stop()
        done, self._when_prepared = self._when_prepared, []
        for callback in done:
            callback()

    # -- helpers used by tests and the demo ------------------------------------------------
    def preparing(self) -> bool:
        """Whether restyling or work kept off the citizen's path is still to come."""
        return self.restyle_timer.isActive() or self.prepare_timer.isActive()

    def current_screen(self) -> ScreenBase:
        page = self.stack.currentWidget()
        widget = page.widget() if isinstance(page, QScrollArea) else page
        assert isinstance(widget, ScreenBase)
        return widget

    # -- controls ---------------------------------------------------------------------------
    def _tick(self) -> None:
        self.flow.poll()
        if self.flow.state.idle_prompt:
            self._overlays(self.flow.state)

    def _toggle_language(self) -> None:
        self.set_language("en" if self.flow.language == "zh" else "zh")

    def set_language(self, language: str) -> None:
        self.flow.visit.set_language(language)  # re-renders through flow.changed

    def _toggle_elder(self) -> None:
        self.flow.visit.set_elder(not self.flow.state.elder)

    def _repeat(self) -> None:
        if self.guide is not None:
            self.guide.repeat()

    def _louder(self) -> None:
        if self.guide is not None:
            self.guide.louder()

    def _softer(self) -> None:
        if self.guide is not None:
            self.guide.softer()

    def _toggle_mute(self) -> None:
        if self.guide is not None:
            self.guide.set_muted(not self.guide.muted)
            self.render(self.flow.state, force_announce=not self.guide.muted)

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

    def _apply_mode(self, elder: bool) -> None:
        """长辈版 or normal: sizes come from the style sheet; the widgets stay. Restyling a
        widget tree costs ~1 ms per widget, so only what is on show is restyled (header,
        footer, overlay, the current screen; another screen when it is next shown), and
        once per turn of the event loop: a visit ending (normal) and the next starting in
        长辈版 at once restyles nothing."""
        if elder == self._elder:
            return
        first = self._elder is None
        self._elder = elder
        if first:
            for part in (self.header, self.footer, self.overlay):
                self._style(part)
        elif not self.restyle_timer.isActive():
            self.restyle_timer.start()

    def _restyle(self) -> None:
        for part in (self.header, self.footer, self.overlay, self.stack.currentWidget()):
            self._style(part)
        self.prepare_timer.start()  # the hidden screens, one per turn

    def _style(self, part: QWidget) -> None:
        if self._elder is not None and self._styled.get(part) is not self._elder:
            part.setStyleSheet(theme.style(self._elder))
            self._styled[part] = self._elder

    # -- rendering --------------------------------------------------------------------------
    def render(self, state: State, force_announce: bool = False) -> None:
        self._apply_language()
        self._apply_mode(state.elder)
        hall_name = local(self.flow.catalog, "hall_name", self.flow.language)
        back = state.screen not in (
            Screen.HOME, Screen.TICKET, Screen.THANKS, Screen.RATE_DONE, Screen.CASE_DONE
        )  # fmt: skip
        home = state.screen is not Screen.HOME
        voice_controls = self.guide is not None and (state.elder or self.guide.normal_mode)
        muted = self.guide is not None and self.guide.muted
        chrome = (self.flow.language, state.elder, hall_name, back, home, voice_controls, muted)
        if chrome != self._chrome:  # the header and footer, set again only when they change:
            self._chrome = chrome  # ~20 calls into Qt that change nothing on most renders
            self._render_chrome(state.elder, hall_name, back, home, voice_controls, muted)

        screen = self.screens[state.screen]
        page = self.pages[screen]  # the screen in its scroll area: styled with it
        if not self.restyle_timer.isActive():  # else styled with the others, once
            self._style(page)
        if state.screen is not self._screen:
            screen.reset()
            self._screen = state.screen
            page.verticalScrollBar().setValue(0)  # a new screen starts at its top
        screen.render(state)
        self.stack.setCurrentWidget(page)
        self._overlays(state)
        key = (state.screen, state.session_id, state.message, state.printed,
               state.elder, state.elder_offer, state.help, state.idle_prompt, state.priority,
               state.rating, state.case,
               self.flow.language, screen.page,
               getattr(screen, "speech_key", lambda _s: None)(state))  # fmt: skip
        # a ticket being printed is announced once the printer answered (printed or not)
        waiting_for_printer = state.screen is Screen.TICKET and state.busy == "printing"
        waiting_for_printer |= state.screen is Screen.PRECHECK_RESULT and (
            state.precheck is not None and state.precheck.slip == "printing"
        )  # the pre-check's verdict is spoken once its slip is out (or failed)
        if (force_announce or key != self._said_key) and not waiting_for_printer:
            self._said_key = key
            self.announce_timer.start()  # restarts: quick transitions are spoken once, settled

    def _render_chrome(
        self, elder: bool, hall_name: str, back: bool, home: bool, voice_controls: bool,
        muted: bool,
    ) -> None:  # fmt: skip
        self.hall_label.setText(hall_name)
        self.elder_button.setText(self.tr("返回标准版") if elder else "长辈版")
        self.elder_button.setAccessibleName(self.tr("返回标准版") if elder else "长辈版")
        # the other language's name, in that language: "English" here, "中文" in English
        self.language_button.setText(self.tr("English", "language button"))
        self.back_button.setText(self.tr("返回"))
        self.home_button.setText(self.tr("首页"))
        self.help_button.setText(self.tr("呼叫工作人员"))
        self.back_button.setVisible(back)
        self.home_button.setVisible(home)
        self.repeat_button.setText(self.tr("重听"))
        self.softer_button.setText(self.tr("小声"))
        self.softer_button.setAccessibleName(self.tr("声音小一点"))
        self.louder_button.setText(self.tr("大声"))
        self.louder_button.setAccessibleName(self.tr("声音大一点"))
        self.mute_button.setText(self.tr("打开声音") if muted else self.tr("关闭声音"))
        for b in (self.repeat_button, self.softer_button, self.louder_button, self.mute_button):
            b.setVisible(voice_controls)
        self.repeat_button.setEnabled(not muted)

    def _overlays(self, state: State) -> None:
        if state.idle_prompt:
            self.overlay.present(
                "idle",
                self.tr("您还在吗？{s} 秒后将返回首页").format(
                    s=self.flow.visit.idle_seconds_left()
                ),
                [(self.tr("继续办理"), self.flow.touch, "idle_continue")],
            )
        elif state.elder_offer:
            self.overlay.present(
                "elder_offer",
                self.tr("您好！要不要换成长辈版？字更大，还有语音提示。"),
                [
                    (
                        self.tr("使用长辈版"),
                        lambda: self.flow.visit.set_elder(True),
                        "elder_accept",
                    ),
                    (self.tr("不用了"), self.flow.visit.decline_elder, "elder_decline"),
                ],
            )
        elif state.help == "sent":
            self.overlay.present(
                "help_sent",
                self.tr("已通知工作人员，请在这里稍候，马上有人来帮您。"),
                [(self.tr("知道了"), self.flow.help.dismiss, "help_ok")],
            )
        elif state.help == "failed":
            self.overlay.present(
                "help_failed",
                self.tr("呼叫没有发出去。请向大厅里的工作人员招手，或到服务台。"),
                [(self.tr("知道了"), self.flow.help.dismiss, "help_ok")],
            )
        else:
            self.overlay.dismiss()

    def _read_back(self, text: str) -> None:
        if self.guide is not None:
            self.guide.read_back(text)

    def announcement(self) -> str:
        """What the voice says now: the overlay if one asks, else the screen."""
        if self.overlay.isVisible():
            lines = spoken_lines(self.overlay.box)
        else:
            lines = spoken_lines(self.current_screen())
        return "。".join(line.rstrip("。：:") for line in lines) + "。"

    def _announce(self) -> None:
        text = self.announcement()
        self.last_announcement = text
        if self.guide is not None:
            # the offer of 长辈版, and a number the printer could not print, are always spoken
            offer = self.overlay.isVisible() and self.overlay.kind == "elder_offer"
            message = self.flow.state.message
            unprinted = message is not None and message.problem is Problem.PRINTER
            self.guide.announce(text, always=offer or unprinted)

    def closeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeTranslator(self.translator)
        super().closeEvent(event)  # type: ignore[arg-type]
