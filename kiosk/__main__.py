"""Composition root: ``python -m kiosk`` starts the kiosk.

python -m kiosk                 full screen on a display; the scripted demo without one
python -m kiosk --windowed      in a window
python -m kiosk --demo DIR      the scripted demo (offscreen), output in DIR
python -m kiosk --screenshots DIR [--size 1080x1920]   every screen to PNG, at a screen size
python -m kiosk --config FILE   a site settings file on top of config/kiosk.toml
python -m kiosk install-service [--help]   the systemd unit that runs it as an appliance
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

# httpx imports its command-line client (click, rich: ~0.1 s, several times that on a busy
# kiosk) whenever those are installed, as the dev tools install them; the kiosk never runs
# it. A None entry makes that optional import fail, the case httpx itself handles.
sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]

from contract.errors import ConfigError  # noqa: E402 (after the line above)
from hall.embedded import EmbeddedHallServer  # noqa: E402 (the one place the kiosk knows hall)
from kiosk.settings import load_settings  # noqa: E402
from osfiles.private_files import private_dir  # noqa: E402


def _has_display() -> bool:
    """A screen to show on, or an explicit Qt platform (e.g. offscreen) chosen by the caller."""
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{3,4})x(\d{3,4})", text.strip())
    if not m:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 1080x1920")
    return int(m[1]), int(m[2])


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["install-service"]:
        from kiosk.install import main as install_main

        return install_main(args_in[1:])
    parser = argparse.ArgumentParser(
        prog="python -m kiosk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--demo", metavar="DIR", type=Path, help="run the scripted demo into DIR")
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="render every screen in both modes and languages to DIR",
    )
    parser.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        default=(1280, 960),
        help="--screenshots at this window size, e.g. 1080x1920 (portrait), 1920x1080,"
        " 1366x768, 1280x1024 (default 1280x960)",
    )
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument("--config", metavar="FILE", help="site settings file")
    parser.add_argument(
        "--exit-after-start",
        action="store_true",
        help="quit once the home screen is shown and the work deferred after it started"
        " (start-up check, benchmark)",
    )
    parser.add_argument(
        "--staff-setup",
        action="store_true",
        help="allow the first staff PIN to be set on the touchscreen (within 24 hours)",
    )
    args = parser.parse_args(args_in)

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 2

    data_dir = settings.data_dir
    private_dir(data_dir)  # 0700 (osfiles/private_files.py)
    if args.staff_setup:
        from kiosk.staff import PinStore

        store = PinStore(data_dir)
        if store.has_pin:
            print("kiosk: a staff PIN is already set (to reset it, delete"
                  f" {store.path} first)", file=sys.stderr)  # fmt: skip
            return 2
        store.allow_setup()
        print("the first staff PIN can now be set on the touchscreen (hold the top-left"
              " corner for 5 s) within 24 hours")  # fmt: skip
        return 0

    handlers: list[logging.Handler] = [
        logging.FileHandler(data_dir / "kiosk.log", encoding="utf-8")
    ]
    if os.environ.get("JOURNAL_STREAM"):  # run by systemd: the journal gets the log too
        journal = logging.StreamHandler(sys.stderr)
        journal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(journal)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )

    if args.screenshots is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from ui.app import run_screenshots

        try:
            return run_screenshots(
                settings, args.screenshots.resolve(), EmbeddedHallServer, args.size
            )
        except ConfigError as exc:
            print(f"kiosk: cannot start: {exc}", file=sys.stderr)
            return 2

    demo_dir = args.demo
    if demo_dir is None and not _has_display():
        demo_dir = data_dir / "demo"
        print(f"no display found: running the scripted demo into {demo_dir}")
    if demo_dir is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from ui.app import run_demo, run_kiosk

    try:
        if demo_dir is not None:
            return run_demo(settings, demo_dir.resolve(), EmbeddedHallServer)
        return run_kiosk(
            settings,
            windowed=args.windowed,
            exit_after_start=args.exit_after_start,
            hall_server=EmbeddedHallServer,
        )
    except ConfigError as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
