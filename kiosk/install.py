"""``python -m kiosk install-service``: the systemd unit that runs the kiosk as an appliance.

Writes ``hall-kiosk.service`` (from ``deploy/hall-kiosk.service.in``) for this checkout and
its ``.venv``: the kiosk in its own session (``deploy/kiosk-session``: cage, xinit or eglfs)
at boot, restarted within ``--restart-s`` seconds after any exit, with systemd's watchdog fed
from the GUI thread. It only writes the file and says what to run next; ``./run`` never
installs it. Run as root for the default destination, /etc/systemd/system.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "hall-kiosk.service.in"
SESSION = ROOT / "deploy" / "kiosk-session"
UNIT_NAME = "hall-kiosk.service"
SESSIONS = ("cage", "xinit", "eglfs")
PACKAGES = {
    "cage": "cage",
    "xinit": "xserver-xorg xinit x11-xserver-utils",
    "eglfs": "(none: Qt's eglfs platform needs only the GPU's EGL/KMS driver)",
}


def render_unit(
    *,
    user: str,
    session: str = "cage",
    tty: str = "tty1",
    python: Path | None = None,
    site_file: Path | None = None,
    watchdog_s: int = 30,
    restart_s: int = 3,
) -> str:
    """The unit's text. ``restart_s`` ≤ 5 (the hall's requirement), ``watchdog_s`` ≥ 5."""
    if session not in SESSIONS:
        raise ValueError(f"session must be one of {SESSIONS}")
    if not re.fullmatch(r"tty[0-9]{1,2}", tty):
        raise ValueError("tty must look like tty1")
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        raise ValueError("user must be a system user name")
    if not 1 <= restart_s <= 5:
        raise ValueError("restart_s must be 1 to 5 seconds")
    if not 5 <= watchdog_s <= 600:
        raise ValueError("watchdog_s must be 5 to 600 seconds")
    extra = f"Environment=KIOSK_SITE_FILE={site_file.resolve()}" if site_file else ""
    values = {
        "DATE": dt.date.today().isoformat(),
        "ROOT": str(ROOT),
        "PYTHON": str(python or ROOT / ".venv" / "bin" / "python"),
        "USER": user,
        "SESSION": session,
        "TTY": tty,
        "WATCHDOG_S": str(watchdog_s),
        "RESTART_S": str(restart_s),
        "EXTRA_ENV": extra,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return re.sub(r"\n{3,}", "\n\n", text)


def verify(unit: Path) -> tuple[bool, str]:
    """``systemd-analyze verify`` on the unit file: (passed, what it said)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return False, "systemd-analyze not found (Debian package systemd)"
    done = subprocess.run(
        [tool, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    said = (done.stdout + done.stderr).strip()
    return done.returncode == 0, said


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk install-service",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--user", default=None, help="the system user the kiosk runs as"
                        " (default: the one running this; create one, e.g. 'kiosk')")  # fmt: skip
    parser.add_argument("--session", choices=SESSIONS, default="cage",
                        help="cage (Wayland, default), xinit (X11, no window manager) or eglfs")  # fmt: skip
    parser.add_argument("--tty", default="tty1", help="the console it takes (default tty1)")
    parser.add_argument("--config", type=Path, help="the site settings file (KIOSK_SITE_FILE)")
    parser.add_argument("--watchdog-s", type=int, default=30, help="WatchdogSec (default 30)")
    parser.add_argument("--restart-s", type=int, default=3, help="RestartSec, 1-5 (default 3)")
    parser.add_argument("--dest", type=Path, default=Path("/etc/systemd/system"),
                        help="where to write hall-kiosk.service")  # fmt: skip
    parser.add_argument("--print", action="store_true", help="print the unit, write nothing")
    args = parser.parse_args(argv)
    try:
        text = render_unit(
            user=args.user or getpass.getuser(),
            session=args.session,
            tty=args.tty,
            site_file=args.config,
            watchdog_s=args.watchdog_s,
            restart_s=args.restart_s,
        )
    except ValueError as exc:
        print(f"install-service: {exc}", file=sys.stderr)
        return 2
    if args.print:
        print(text, end="")
        return 0
    unit = args.dest / UNIT_NAME
    try:
        args.dest.mkdir(parents=True, exist_ok=True)
        unit.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"install-service: cannot write {unit}: {exc} (run as root?)", file=sys.stderr)
        return 2
    ok, said = verify(unit)
    print(f"wrote {unit}")
    print(f"systemd-analyze verify: {'ok' if ok else 'FAILED'}" + (f"\n{said}" if said else ""))
    print(f"packages this session needs: {PACKAGES[args.session]}")
    print("then: systemctl daemon-reload && systemctl enable --now hall-kiosk.service")
    print("log:  journalctl -u hall-kiosk -f")
    return 0 if ok else 1
