"""Composition root: ``python -m kiosk`` starts the kiosk.

python -m kiosk                 full screen on a display; the scripted demo without one
python -m kiosk --windowed      in a window
python -m kiosk --demo DIR      the scripted demo (offscreen), output in DIR
python -m kiosk --config FILE   a site settings file on top of config/kiosk.toml
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from contract.errors import ConfigError
from hall.embedded import EmbeddedHallServer  # the one place the kiosk knows the hall package
from kiosk.settings import load_settings


def _has_display() -> bool:
    """A screen to show on, or an explicit Qt platform (e.g. offscreen) chosen by the caller."""
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 2

    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
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

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(data_dir / "kiosk.log", encoding="utf-8")],
    )

    if args.screenshots is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from ui.app import run_screenshots

        try:
            return run_screenshots(settings, args.screenshots.resolve(), EmbeddedHallServer)
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
