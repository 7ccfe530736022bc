"""The staff panel's core without a display: PIN rules and storage, validated atomic saves of
the site file, and new settings applied to a running kiosk core."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from contract.errors import ConfigError
from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.config_store import ConfigStore
from kiosk.settings import load_settings
from kiosk.staff import MAX_ATTEMPTS, PinStore, StaffGate, corner_hit, pin_problem


@pytest.mark.parametrize(
    ("pin", "problem"),
    [("123456", "trivial"), ("000000", "trivial"), ("987654", "trivial"), ("12345", "length"),
     ("12a456", "digits"), ("4802719", ""), ("480271", "")],
)  # fmt: skip
def test_staff_pin_rules(pin: str, problem: str) -> None:
    assert pin_problem(pin) == problem


def test_staff_pin_is_a_salted_scrypt_hash_and_lockout_persists(tmp_path: Path) -> None:
    now = [5000.0]
    a, b = PinStore(tmp_path / "a", lambda: now[0]), PinStore(tmp_path / "b", lambda: now[0])
    assert a.set_pin("480271", "480271").ok and b.set_pin("480271", "480271").ok
    ra = json.loads(a.path.read_text())["pin"]
    rb = json.loads(b.path.read_text())["pin"]
    assert ra["algorithm"] == "scrypt" and ra["n"] >= 2**14 and ra["salt"] != rb["salt"]
    assert ra["hash"] != rb["hash"] and "480271" not in a.path.read_text()
    assert oct(a.path.stat().st_mode & 0o777) == "0o600"
    for _ in range(MAX_ATTEMPTS - 1):
        assert a.check("111111").reason == "wrong"
    assert a.check("111111").reason == "locked"
    assert PinStore(tmp_path / "a", lambda: now[0]).check("480271").reason == "locked"
    now[0] += 300
    assert PinStore(tmp_path / "a", lambda: now[0]).check("480271").ok


def test_staff_damaged_pin_file_keeps_the_panel_shut(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.path.write_text("{ not json")
    assert store.has_pin  # no first-run setup for whoever damaged it
    assert not store.check("480271").ok


def test_staff_corner() -> None:
    assert corner_hit(0, 0) and corner_hit(90, 90)
    assert not corner_hit(100, 5) and not corner_hit(5, 200)


def test_staff_gate_ends_the_visit_and_sets_staff_mode(flow, tmp_path: Path) -> None:  # noqa: ANN001
    store = PinStore(tmp_path)
    store.set_pin("480271", "480271")
    gate = StaffGate(store, flow, idle_s=60, clock=lambda: 0.0)
    flow.ticket.take_number()
    assert not gate.enter("999999").ok and not getattr(flow, "staff_mode", False)
    assert gate.enter("480271").ok
    assert flow.rating.staff_mode is True and flow.state.screen.value == "home"
    gate.close()
    assert flow.rating.staff_mode is False


def test_staff_save_is_validated_atomic_and_keeps_the_previous_copy(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    env = {"KIOSK_KIOSK__DATA_DIR": str(tmp_path / "data")}
    store = ConfigStore(site, env)
    first = store.save({"printer": {"connection": "virtual"}, "kiosk": {"elder_age": 65}})
    assert first.printer.connection == "virtual" and first.site_file == site
    assert not store.previous.exists()
    first_text = site.read_text()
    second = store.save({"printer": {"paper_width_mm": 58}, "voice": {"volume": 0.5}})
    assert store.previous.read_text() == first_text  # the previous copy is kept
    saved = tomllib.loads(site.read_text())
    assert saved["printer"] == {"connection": "virtual", "paper_width_mm": 58}
    assert saved["kiosk"] == {"elder_age": 65} and second.voice.volume == 0.5
    # the same loader reads it back at the next start
    assert load_settings(site, environ=env) == second

    before = site.read_text()
    with pytest.raises(ConfigError) as bad:
        store.save({"card_reader": {"baud": 12345}})
    assert "card_reader.baud" in str(bad.value) and str(site) in str(bad.value)
    assert ".tmp" not in str(bad.value)
    with pytest.raises(ConfigError, match="printer.connection"):
        store.save({"printer": {"connection": "network:"}})
    assert site.read_text() == before and store.previous.read_text() == first_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.toml", "site.toml.previous"]
    assert store.overridden({"kiosk": {"data_dir": "x"}, "voice": {"rate": 100}}) == [
        "kiosk.data_dir"
    ]


def test_staff_site_file_in_the_data_dir_is_read_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"KIOSK_KIOSK__DATA_DIR": str(data)}
    assert load_settings(environ=env).site_file == data / "site.toml"
    ConfigStore(data / "site.toml", env).save({"kiosk": {"inactivity_s": 45}})
    assert load_settings(environ=env).kiosk.inactivity_s == 45


def test_staff_apply_switches_reader_voice_and_timeouts_and_names_restarts() -> None:
    settings = load_settings()
    core = build_core(settings, start_hall=False, hall_server=EmbeddedHallServer)
    try:
        old_reader, old_voice = core.reader, core.voice
        new = settings.model_copy(deep=True)
        new.card_reader.backend = "virtual"
        new.voice.volume = 0.3
        new.voice.enabled = True
        new.kiosk.inactivity_s = 40
        new.kiosk.elder_default = True
        new.kiosk.id = "kiosk-99"
        new.hall.heartbeat_s = 30
        new.scanner.folder = settings.data_dir / "other-scans"
        new.precheck.engine = "tesseract"
        outcome = core.apply(new)
        assert set(outcome["applied"]) >= {"card_reader", "voice", "kiosk", "hall", "scanner"}
        assert sorted(outcome["restart"]) == ["kiosk.id", "precheck"]
        # every user of the camera takes the next page with the new one
        assert core.precheck is not None and core.precheck.scanner is core.scanner
        assert core.flow.rating.sink.scan == core.scanner.capture  # type: ignore[union-attr]
        assert not old_reader.is_open and core.reader.is_open
        assert type(core.reader).__name__ == "VirtualCardReader"
        assert core.voice is old_voice and core.voice.volume == 0.3 and core.guide.normal_mode
        assert core.flow.config.inactivity_s == 40 and core.flow.config.elder_default
        assert core.heartbeat is not None and core.heartbeat.interval_s == 30
        # the new reader reaches the flow: a card on the identify screen identifies
        core.flow.ticket.take_number()
        core.flow.ticket.choose_group("market")
        core.flow.ticket.choose_entry("business-license")
        core.present_virtual_card(core.virtual_cards()[0][0])
        assert core.flow.state.screen.value == "notice"
    finally:
        core.close()


def test_staff_apply_keeps_the_old_reader_when_the_new_one_cannot_open() -> None:
    settings = load_settings()
    core = build_core(settings, start_hall=False, hall_server=EmbeddedHallServer)
    try:
        old_reader = core.reader
        new = settings.model_copy(deep=True)
        new.printer.connection = "virtual"
        new.card_reader.backend = "serial"
        new.card_reader.url = "nosuch://reader"  # pyserial knows no such URL scheme
        with pytest.raises(Exception, match="nosuch"):
            core.apply(new)
        assert core.reader is old_reader and old_reader.is_open
        assert core.settings.card_reader == settings.card_reader
        assert core.settings.printer.connection == "virtual"  # switched, and remembered
        assert type(core.flow.visit.printer).__name__ == "VirtualPrinter"
    finally:
        core.close()


def test_staff_setup_window_expires(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    store = PinStore(tmp_path, now=lambda: clock[0])
    assert not store.setup_allowed
    store.allow_setup()
    assert store.setup_allowed
    clock[0] += 24 * 3600 + 1
    assert not store.setup_allowed  # a forgotten setup does not stay open for ever
