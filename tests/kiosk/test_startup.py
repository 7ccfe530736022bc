"""Start-up refuses bad configuration with a message naming the file, the key and the problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--windowed", "--exit-after-start", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kiosk_starts_and_shows_home() -> None:
    result = run_kiosk()
    assert result.returncode == 0, result.stderr
    assert "home screen shown: 示范市政务服务中心" in result.stdout
    assert "staff panel ready: True" in result.stdout  # added right after the home screen


def test_malformed_settings_file_stops_startup(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[printer]\npaper_width_mm = 57\n[voice]\nvolum = 0.5\n", encoding="utf-8")
    result = run_kiosk("--config", str(site))
    assert result.returncode == 2
    assert str(site) in result.stderr
    assert "printer.paper_width_mm" in result.stderr and "58 or 80" in result.stderr
    assert "voice.volum" in result.stderr and "allowed:" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_file_that_is_not_toml_stops_startup(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[printer\n", encoding="utf-8")
    result = run_kiosk("--config", str(site))
    assert result.returncode == 2
    assert str(site) in result.stderr and "not valid TOML" in result.stderr


def test_malformed_catalog_stops_startup(tmp_path: Path) -> None:
    catalog = tmp_path / "services.toml"
    text = (ROOT / "config" / "services.toml").read_text(encoding="utf-8")
    catalog.write_text(text.replace('group = "market"', 'group = "markett"', 1), encoding="utf-8")
    result = run_kiosk(env={"KIOSK_KIOSK__CATALOG": str(catalog)})
    assert result.returncode == 2
    assert str(catalog) in result.stderr
    assert (
        "business-license" in result.stderr
        and "group" in result.stderr
        and "markett" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_remote_hall_without_address_or_token_stops_startup() -> None:
    result = run_kiosk(env={"KIOSK_HALL__MODE": "remote"})
    assert result.returncode == 2
    assert "hall.url and hall.token" in result.stderr and "add-kiosk" in result.stderr
