"""``python -m kiosk install-service`` writes a unit systemd accepts, for each session kind.

``systemd-analyze verify`` loads the unit as systemd would (directives, the ExecStart
program being executable, dependencies); any warning about the unit fails the test.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.install import SESSION, render_unit

ROOT = Path(__file__).resolve().parents[2]
ANALYZE = shutil.which("systemd-analyze")


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "install-service", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing (Debian package systemd)")
@pytest.mark.parametrize("session", ["cage", "xinit", "eglfs"])
def test_unit_passes_systemd_analyze_verify(session: str, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[kiosk]\nid = "kiosk-07"\n', encoding="utf-8")
    user = getpass.getuser()
    result = install("--dest", str(tmp_path), "--user", user, "--session", session,
                     "--config", str(site))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    unit = tmp_path / "hall-kiosk.service"
    assert "systemd-analyze verify: ok" in result.stdout
    # run it again here, and read every line it says about our unit
    assert ANALYZE is not None
    done = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    about_unit = [line for line in (done.stdout + done.stderr).splitlines() if str(unit) in line]
    assert about_unit == [], about_unit

    text = unit.read_text(encoding="utf-8")
    options = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))  # the last value of each key
    assert options["Type"] == "notify"
    assert options["NotifyAccess"] == "all"  # the kiosk is the compositor's child
    assert options["Restart"] == "always"
    assert 0 < int(options["RestartSec"]) <= 5
    assert int(options["WatchdogSec"]) > 0
    assert options["StandardOutput"] == options["StandardError"] == "journal"
    assert options["ExecStart"] == f"{SESSION} {session}"
    assert f"Environment=KIOSK_SITE_FILE={site}" in text
    assert "Environment=KIOSK_DISPLAY__HIDE_CURSOR=true" in text
    assert options["WantedBy"] == "graphical.target"


def test_session_script_turns_off_blanking_and_the_pointer() -> None:
    text = SESSION.read_text(encoding="utf-8")
    assert os.access(SESSION, os.X_OK)
    subprocess.run(["sh", "-n", str(SESSION)], check=True)
    assert "xset s off s noblank -dpms" in text  # xinit: screen saver and DPMS off
    assert "-s 0 -dpms -nocursor" in text  # … and for the X server itself
    assert "exec cage" in text and "unset WATCHDOG_PID" in text


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="restart_s"):
        render_unit(user="kiosk", restart_s=10)
    with pytest.raises(ValueError, match="user"):
        render_unit(user="kiosk; rm -rf /")
    result = install("--print", "--user", "kiosk", "--tty", "pts/0")
    assert result.returncode == 2 and "tty" in result.stderr


def test_print_writes_nothing(tmp_path: Path) -> None:
    result = install("--print", "--user", "kiosk", "--dest", str(tmp_path))
    assert result.returncode == 0
    assert "Type=notify" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_kiosk_logs_to_the_journal_under_systemd() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "JOURNAL_STREAM": "8:12345"}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--windowed", "--exit-after-start"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "INFO ui.app: screens:" not in result.stderr  # windowed: no screen chosen
    assert re.search(r"^INFO ui\.app: stop took \d+ ms", result.stderr, flags=re.M), result.stderr
