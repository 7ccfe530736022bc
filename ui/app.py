"""Starting the Qt application: full screen kiosk, or the scripted demo (offscreen)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QFont, QFontDatabase, QScreen
from PySide6.QtWidgets import QApplication, QWidget

from kiosk.app import KioskCore, build_core
from kiosk.embedded import HallServerFactory
from kiosk.print_journal import PrintJournal
from kiosk.service import descendants, kill_descendants
from kiosk.settings import Settings
from ui import theme
from ui.lifecycle import StopSignals, Watchdog
from ui.main_window import MainWindow
from ui.runner import QtRunner

log = logging.getLogger(__name__)

_QUIET = ("This plugin does not support propagateSizeHints()",)


def _qt_messages(kind: QtMsgType, context: object, message: str) -> None:
    """Qt's own warnings, minus the offscreen platform's harmless noise."""
    if message not in _QUIET:
        print(f"qt: {message}", file=sys.stderr)


def application() -> QApplication:
    qInstallMessageHandler(_qt_messages)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    if theme.FONT_FAMILY not in QFontDatabase.families():
        print(
            f"warning: font {theme.FONT_FAMILY!r} is missing; Chinese may not render "
            "(install fonts-noto-cjk)",
            file=sys.stderr,
        )
    app.setFont(QFont(theme.FONT_FAMILY, theme.NORMAL.body_pt))
    return app


def make_window(core: KioskCore, staff_panel: bool = True) -> MainWindow:
    """The kiosk window; ``staff_panel=False`` leaves the panel to ``add_staff_panel`` (the
    kiosk adds it once the home screen is shown, to show that sooner)."""
    window = MainWindow(core.flow, core.guide, core.virtual_cards(), core.present_virtual_card)
    if staff_panel:
        add_staff_panel(window, core)
    return window


def add_staff_panel(window: MainWindow, core: KioskCore) -> None:
    from ui.staff.panel import install_staff_panel

    install_staff_panel(window, core)  # long press on the top-left corner, then the PIN


def run_kiosk(
    settings: Settings,
    windowed: bool = False,
    exit_after_start: bool = False,
    hall_server: HallServerFactory | None = None,
) -> int:
    """The kiosk until it is told to stop: SIGINT/SIGTERM (see ``ui/lifecycle.py``) stop it
    cleanly — the OCR worker ends, the print job in progress finishes (or stays in the print
    journal, reprinted at the next start), devices close, the outbox is closed —, exit 0."""
    app = application()
    runner = QtRunner()
    stopping: list[int] = []

    def on_stop(signum: int) -> None:
        stopping.append(signum)
        app.quit()

    # before the devices open: a signal during start-up is delivered when the loop starts
    signals = StopSignals(on_stop)
    try:
        core = build_core(settings, runner, start_hall=False, hall_server=hall_server)
    except BaseException:
        signals.close()
        raise
    watchdog = Watchdog()
    journal = PrintJournal(settings.data_dir / "print-journal.json", core.flow.ticket.ticket_print)
    core.flow.changed.connect(journal.follow)
    try:
        window = make_window(core, staff_panel=False)
        if settings.display.hide_cursor:
            app.setOverrideCursor(Qt.CursorShape.BlankCursor)
        if windowed:
            window.resize(1280, 900)
            window.show()
        else:
            show_full_screen(app, window, settings.display.screen)
        if exit_after_start:

            def shown() -> None:
                print(f"home screen shown: {window.current_screen().title.text()}", flush=True)
                give_up = time.monotonic() + 10
                seen: list[object] = []

                def geometry() -> None:
                    # The geometry the display server gave the window, once it is exposed and
                    # has not changed for 0.3 s: under a Wayland compositor the window is
                    # exposed at the first configure, and a title bar Qt draws itself (if
                    # any) takes its room from the window only some frames later.
                    handle = window.windowHandle()
                    now = time.monotonic()
                    rect = (window.geometry(), window.screen().geometry())
                    if not seen or seen[0] != rect:
                        seen[:] = [rect, now]
                    exposed = handle is not None and handle.isExposed()
                    settled = now - float(seen[1]) >= 0.3  # type: ignore[arg-type]
                    if not (exposed and settled) and now < give_up:
                        QTimer.singleShot(20, geometry)
                        return
                    g, sg = window.geometry(), window.screen().geometry()
                    print(f"window geometry: {g.width()}x{g.height()}+{g.x()}+{g.y()} on screen "
                          f"{window.screen().name()} {sg.width()}x{sg.height()}+{sg.x()}+{sg.y()}",
                          flush=True)  # fmt: skip
                    ready = getattr(window, "staff_panel", None) is not None
                    print(f"staff panel ready: {ready}", flush=True)  # deferred work done
                    app.quit()

                QTimer.singleShot(0, geometry)

            QTimer.singleShot(0, shown)

        def after_home_shown() -> None:
            watchdog.ready()
            core.warm_up()  # the embedded server, python-escpos, the OCR worker
            add_staff_panel(window, core)
            journal.reprint_pending(core)  # tickets a crash or stop cut short
            window.build_screens_later()  # only the home screen was built for the start
            scenario = os.environ.get("KIOSK_AUTOPILOT", "")
            if scenario:
                from ui.autopilot import Autopilot

                Autopilot(core.flow, scenario).start()

        QTimer.singleShot(0, after_home_shown)
        app.exec()
    finally:
        watchdog.stop()
        unfinished = stop_core(app, core, runner)
        signals.close()
    if stopping or unfinished:
        # Everything that matters is closed and on disk (outbox, print journal). Leave now:
        # tearing down Qt and the interpreter costs seconds on a loaded kiosk, and a
        # thread still blocked in a device call would hold the exit for ever.
        log.info("stopped by %s", signal.Signals(stopping[0]).name if stopping else "quit")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def pick_screen(app: QApplication, name: str) -> QScreen:
    """The screen named ``name`` (``[display] screen``), else the primary one."""
    screens = app.screens()
    log.info("screens: %s", ", ".join(
        f"{s.name()} {s.geometry().width()}x{s.geometry().height()}+{s.geometry().x()}"
        f"+{s.geometry().y()}" for s in screens))  # fmt: skip
    for screen in screens:
        if name and screen.name() == name:
            return screen
    if name:
        log.warning("display.screen %r not found (screens: %s); using the primary screen",
                    name, [s.name() for s in screens])  # fmt: skip
    primary = app.primaryScreen()
    assert primary is not None, "Qt found no screen"
    return primary


def show_full_screen(app: QApplication, window: QWidget, screen_name: str = "") -> QScreen:
    """Cover the whole screen, with or without a window manager.

    ``showFullScreen()`` only asks a window manager; on X11 without one (a kiosk PC under
    xinit) the window kept its requested size in the top-left corner. So on xcb the window
    is frameless and its geometry is set from the screen's, and follows it if the screen
    changes (rotation, another resolution). Wayland compositors (cage) and eglfs honour
    ``showFullScreen()`` themselves; on Wayland the window is frameless too: cage without
    ``-d`` gives it the output's size *including* the title bar Qt draws itself (measured
    under headless cage: a 1274x687 window with a 30 px title bar on a 1280x720 output).
    """
    screen = pick_screen(app, screen_name)
    window.setScreen(screen)
    if app.platformName() == "xcb":
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)

        def fit() -> None:
            window.setGeometry(screen.geometry())

        fit()
        screen.geometryChanged.connect(lambda _rect: fit())
        window.showFullScreen()  # a window manager, if there is one, knows it is full screen
        fit()
    else:
        if app.platformName().startswith("wayland"):
            window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.setGeometry(screen.geometry())
        window.showFullScreen()
    return screen


def stop_core(
    app: QApplication,
    core: KioskCore,
    runner: QtRunner,
    grace_s: float = 2.5,
    close_s: float = 1.0,
) -> int:
    """End the kiosk's work in order; returns how many jobs did not finish in ``grace_s``
    and parts did not close in ``close_s`` (the process then leaves with ``os._exit``).

    The OCR worker first (a page in progress is of no use any more), then up to ``grace_s``
    for the jobs in flight — a ticket printing — with their results delivered (so a printed
    ticket leaves the print journal), then every device, the outbox and the hall server.
    """
    t0 = time.monotonic()
    if core.precheck is not None:
        precheck = core.precheck

        def close_precheck() -> None:
            try:
                precheck.close()
            except Exception:
                log.exception("closing the pre-check worker failed")

        # terminated, not waited for; a worker that does not end in 0.5 s is killed at the exit
        closing = threading.Thread(target=close_precheck, name="close-pre-check", daemon=True)
        closing.start()
        closing.join(0.5)
    t1 = time.monotonic()
    deadline = t1 + grace_s
    while runner.pending and time.monotonic() < deadline:
        runner.pool.waitForDone(50)
        app.processEvents()
    unfinished = runner.pending
    if unfinished:
        state = core.flow.state
        if state.busy == "printing" and state.ticket is not None:
            log.warning("ticket %s still printing at stop: kept for reprint", state.ticket.number)
        log.warning("%d job(s) unfinished at stop", unfinished)
    t2 = time.monotonic()
    stuck = core.close(deadline_s=close_s)
    if not unfinished and not stuck:
        runner.shutdown()
    t3 = time.monotonic()
    left = descendants()
    if left:
        log.info(
            "processes left at stop (e.g. multiprocessing's resource tracker), ended: %s", left
        )
        kill_descendants(signal.SIGTERM)
    log.info("stop took %.0f ms: OCR worker %.0f, jobs in flight %.0f, devices and hall %.0f",
             (t3 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)  # fmt: skip
    return unfinished + len(stuck)


def run_demo(
    settings: Settings, out_dir: Path, hall_server: HallServerFactory | None = None
) -> int:
    from ui.demo import Demo

    app = application()
    runner = QtRunner()
    settings.printer.out_dir = out_dir / "printed"
    core = build_core(settings, runner, hall_server=hall_server)
    try:
        report = Demo(app, core, runner, out_dir).run()
    finally:
        runner.shutdown()
        core.close()
    hall = report["hall"]
    if "rating" in hall:
        print(
            f"hall: {hall['ticket_number']} called at window {hall['counter']} (board event"
            f" after {hall['call_latency_ms']} ms), completed, rated {hall['rating']['level']}"
            f" (HTTP {hall['rating']['status']}); browser: {hall['browser']}"
        )
    print(
        f"demo finished: {len(report['tickets'])} tickets; screenshots, printed tickets and "
        f"report.json are in {out_dir}"
    )
    if "error" in hall:
        print(f"demo: the hall half failed: {hall['error']}", file=sys.stderr)
        return 1
    return 0


def run_screenshots(
    settings: Settings,
    out_dir: Path,
    hall_server: HallServerFactory | None = None,
    size: tuple[int, int] = (1280, 960),
) -> int:
    """Render every screen and overlay, both modes, both languages, to PNG in ``out_dir``,
    at window ``size`` (a hall screen's, e.g. 1080x1920)."""
    from ui.tour import save_screenshots

    app = application()
    runner = QtRunner()
    settings.printer.out_dir = out_dir / "printed"
    core = build_core(settings, runner, hall_server=hall_server)
    try:
        window = make_window(core)
        window.resize(*size)
        window.show()
        names = save_screenshots(app, window, core, out_dir)
        window.close()
    finally:
        runner.shutdown()
        core.close()
    print(f"{len(names)} screenshots in {out_dir}")
    return 0
