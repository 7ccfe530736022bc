"""Full screen for real: on an X server with no window manager (as a kiosk PC under xinit)
the window covers the screen, portrait and landscape.

Xvfb (Debian's ``xvfb``) is started by the test with ``-displayfd`` (it picks a free display
number); the kiosk runs on Qt's xcb platform as ``./run`` would, and reports its window's
geometry once the home screen is shown.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
XVFB = shutil.which("Xvfb")

pytestmark = pytest.mark.skipif(XVFB is None, reason="Xvfb missing (Debian package xvfb)")


def start_xvfb(width: int, height: int) -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    assert XVFB is not None
    proc = subprocess.Popen(
        [
            XVFB,
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],  # fmt: skip
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()  # written once the server accepts clients
    assert number.isdigit(), "Xvfb did not start"
    return proc, f":{number}"


@pytest.fixture
def xvfb(request: pytest.FixtureRequest) -> Iterator[str]:
    width, height = request.param
    proc, display = start_xvfb(width, height)
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def run_kiosk_on(display: str, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", **(env or {})}
    full.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--exit-after-start", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("xvfb", [(1080, 1920), (1920, 1080)], indirect=True, ids=str)
def test_window_covers_the_screen_without_a_window_manager(xvfb: str) -> None:
    out = run_kiosk_on(xvfb)
    m = re.search(r"window geometry: (\S+) on screen (\S+) (\S+)", out)
    assert m, out
    window, _name, screen = m.groups()
    assert window == screen, out
    assert screen.split("+")[0] in ("1080x1920", "1920x1080")


@pytest.mark.parametrize("xvfb", [(1920, 1080)], indirect=True, ids=str)
def test_unknown_screen_name_falls_back_to_the_primary_screen(xvfb: str, tmp_path: Path) -> None:
    out = run_kiosk_on(xvfb, env={"KIOSK_DISPLAY__SCREEN": "HDMI-9"})
    m = re.search(r"window geometry: (\S+) on screen (\S+) (\S+)", out)
    assert m and m.group(1) == m.group(3) == "1920x1080+0+0", out
    log = (Path(os.environ["KIOSK_KIOSK__DATA_DIR"]) / "kiosk.log").read_text(encoding="utf-8")
    assert "display.screen 'HDMI-9' not found" in log


XRANDR = shutil.which("xrandr")


@pytest.fixture
def two_monitors() -> Iterator[str]:
    """One X screen 3000x1920 split into two RandR monitors, as a PC with two displays
    side by side shows them to Qt: ``HDMI-1`` 1080x1920 (portrait, at the left) and ``DP-2``
    1920x1080 at its right (Qt's xcb platform makes one QScreen of each monitor)."""
    if XRANDR is None:
        pytest.skip("xrandr missing (Debian package x11-xserver-utils)")
    proc, display = start_xvfb(3000, 1920)
    try:
        env = {**os.environ, "DISPLAY": display}
        for monitor in ("HDMI-1 1080/0x1920/0+0+0", "DP-2 1920/0x1080/0+1080+0"):
            name, geometry = monitor.split()
            subprocess.run([XRANDR, "--setmonitor", name, geometry, "none"], env=env,
                           check=True, timeout=30)  # fmt: skip
        listed = subprocess.run([XRANDR, "--listmonitors"], env=env, check=True, timeout=30,
                                capture_output=True, text=True).stdout  # fmt: skip
        assert "HDMI-1" in listed and "DP-2" in listed, listed
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_named_screen_of_two_is_covered_exactly(two_monitors: str) -> None:
    out = run_kiosk_on(two_monitors, env={"KIOSK_DISPLAY__SCREEN": "DP-2"})
    m = re.search(r"window geometry: (\S+) on screen (\S+) (\S+)", out)
    assert m, out
    assert m.groups() == ("1920x1080+1080+0", "DP-2", "1920x1080+1080+0"), out
    log = (Path(os.environ["KIOSK_KIOSK__DATA_DIR"]) / "kiosk.log").read_text(encoding="utf-8")
    # the log lists the names a site can put in [display] screen
    assert re.search(r"screens: HDMI-1 1080x1920\+0\+0, DP-2 1920x1080\+1080\+0", log), log


def test_a_missing_screen_name_of_two_logs_and_uses_the_primary(two_monitors: str) -> None:
    out = run_kiosk_on(two_monitors, env={"KIOSK_DISPLAY__SCREEN": "HDMI-7"})
    m = re.search(r"window geometry: (\S+) on screen (\S+) (\S+)", out)
    assert m, out
    assert m.groups() == ("1080x1920+0+0", "HDMI-1", "1080x1920+0+0"), out
    log = (Path(os.environ["KIOSK_KIOSK__DATA_DIR"]) / "kiosk.log").read_text(encoding="utf-8")
    assert "display.screen 'HDMI-7' not found" in log and "using the primary screen" in log
