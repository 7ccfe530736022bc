"""Starting the Qt application: full screen kiosk, or the scripted demo (offscreen)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from kiosk.app import KioskCore, build_core
from kiosk.embedded import HallServerFactory
from kiosk.settings import Settings
from ui import theme
from ui.main_window import MainWindow
from ui.runner import QtRunner

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
    app = application()
    runner = QtRunner()
    core = build_core(settings, runner, start_hall=False, hall_server=hall_server)
    try:
        window = make_window(core, staff_panel=False)
        window.resize(1280, 900)
        if windowed:
            window.show()
        else:
            window.showFullScreen()
        if exit_after_start:

            def shown() -> None:
                print(f"home screen shown: {window.current_screen().title.text()}", flush=True)

                def done() -> None:  # after the deferred start-up work below
                    ready = getattr(window, "staff_panel", None) is not None
                    print(f"staff panel ready: {ready}", flush=True)
                    app.quit()

                QTimer.singleShot(0, done)

            QTimer.singleShot(0, shown)

        def after_home_shown() -> None:
            core.warm_up()  # the embedded server, python-escpos, the OCR worker
            add_staff_panel(window, core)

        QTimer.singleShot(0, after_home_shown)
        return app.exec()
    finally:
        runner.shutdown()
        core.close()


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
    print(
        f"demo finished: {len(report['tickets'])} tickets; screenshots, printed tickets and "
        f"report.json are in {out_dir}"
    )
    return 0


def run_screenshots(
    settings: Settings, out_dir: Path, hall_server: HallServerFactory | None = None
) -> int:
    """Render every screen and overlay, both modes, both languages, to PNG in ``out_dir``."""
    from ui.tour import save_screenshots

    app = application()
    runner = QtRunner()
    settings.printer.out_dir = out_dir / "printed"
    core = build_core(settings, runner, hall_server=hall_server)
    try:
        window = make_window(core)
        window.resize(1280, 960)
        window.show()
        names = save_screenshots(app, window, core, out_dir)
        window.close()
    finally:
        runner.shutdown()
        core.close()
    print(f"{len(names)} screenshots in {out_dir}")
    return 0
