"""Full screen for real on Wayland: the kiosk under cage (Debian's ``cage``, the session
``deploy/kiosk-session cage`` starts) covers the compositor's output.

cage runs headless here — wlroots' headless backend (``WLR_BACKENDS=headless``) with its
software renderer (``WLR_RENDERER=pixman``), no input devices, no GPU — and its output is
1280x720. The kiosk runs inside it on Qt's wayland platform with ``--exit-after-start`` and
prints its window's and its screen's geometry once the home screen is shown.

cage refuses to run as root (it checks that root cannot be regained); a test running as
root starts it in a new user namespace (``unshare --user``), where uid 0 does not exist, so
the check passes while every file stays accessible as before.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CAGE = shutil.which("cage")
UNSHARE = shutil.which("unshare")

pytestmark = pytest.mark.skipif(CAGE is None, reason="cage missing (Debian package cage)")


def _as_non_root() -> list[str]:
    if os.geteuid() != 0:
        return []
    if UNSHARE is None:
        pytest.skip("running as root and unshare (util-linux) is missing: cage refuses root")
    probe = subprocess.run([UNSHARE, "--user", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("running as root and user namespaces are not allowed: cage refuses root")
    return [UNSHARE, "--user", "--"]


def test_window_covers_the_output_under_cage(tmp_path: Path) -> None:
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "QT_QPA_PLATFORM": "wayland",
    }
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    assert CAGE is not None
    # no -d: the kiosk itself must not draw a title bar (the session adds -d as well)
    cmd = [*_as_non_root(), CAGE, "--", sys.executable, "-m", "kiosk", "--exit-after-start"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    out = result.stdout
    m = re.search(r"window geometry: (\S+) on screen (\S+) (\S+)", out)
    assert m, f"no geometry reported (exit {result.returncode}):\n{out}\n{result.stderr[-3000:]}"
    window, screen_name, screen = m.groups()
    assert screen_name.startswith("HEADLESS-"), out
    assert window == screen, out
    width, height = (int(v) for v in screen.split("+")[0].split("x"))
    assert width >= 640 and height >= 480, out
    assert "staff panel ready: True" in out, out
