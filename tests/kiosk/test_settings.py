"""kiosk/settings.py: layered settings and errors that name the file or variable, key and
what is allowed. Every call passes ``environ=`` so the real environment never leaks in."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.errors import ConfigError
from kiosk.settings import DEFAULT_FILE, ROOT, Settings, load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def defaults_file(tmp_path: Path) -> Path:
    """A stand-in for config/kiosk.toml so layer tests do not depend on the shipped values."""
    return write(
        tmp_path / "defaults.toml",
        '[kiosk]\nid = "from-defaults"\ninactivity_s = 100\nthanks_s = 10\n'
        "[printer]\npaper_width_mm = 58\n",
    )


# -- defaults -----------------------------------------------------------------------------
def test_shipped_defaults_load() -> None:
    s = load_settings(environ={})
    assert s.kiosk.id == "kiosk-01"
    assert s.kiosk.language == "zh"
    assert s.kiosk.inactivity_s == 90
    assert s.kiosk.inactivity_grace_s == 30
    assert s.kiosk.thanks_s == 8
    assert s.hall.mode == "embedded"
    assert s.printer.paper_width_mm == 80
    assert s.voice.enabled is False
    # relative paths in config/ are taken from the repository root, and exist
    assert s.kiosk.catalog == ROOT / "config" / "services.toml"
    assert s.kiosk.catalog.is_file()
    assert s.card_reader.cards_dir == ROOT / "config" / "cards"
    assert s.data_dir.is_absolute() and "~" not in str(s.data_dir)


def test_shipped_file_agrees_with_built_in_defaults(tmp_path: Path) -> None:
    """config/kiosk.toml documents the defaults; it must not silently differ from the code."""
    from_file = load_settings(environ={})
    built_in = load_settings(environ={}, default_file=tmp_path / "absent.toml")
    assert from_file.data_dir == built_in.data_dir  # "~" is expanded when used
    a, b = from_file.model_dump(), built_in.model_dump()
    del a["kiosk"]["data_dir"], b["kiosk"]["data_dir"]
    assert a == b
    assert DEFAULT_FILE.is_file()


def test_default_settings_grace_at_least_20s() -> None:
    assert load_settings(environ={}).kiosk.inactivity_grace_s >= 20


# -- layer order --------------------------------------------------------------------------
def test_default_file_overrides_built_in(defaults_file: Path) -> None:
    s = load_settings(environ={}, default_file=defaults_file)
    assert s.kiosk.id == "from-defaults"
    assert s.printer.paper_width_mm == 58
    assert s.kiosk.inactivity_grace_s == 30  # untouched: built-in


def test_layer_order_defaults_site_env(tmp_path: Path, defaults_file: Path) -> None:
    site = write(tmp_path / "site.toml", '[kiosk]\nid = "from-site"\ninactivity_s = 120\n')
    s = load_settings(
        site,
        environ={"KIOSK_KIOSK__ID": "from-env"},
        default_file=defaults_file,
    )
    assert s.kiosk.id == "from-env"  # env beats site beats defaults
    assert s.kiosk.inactivity_s == 120  # site beats defaults
    assert s.kiosk.thanks_s == 10  # defaults file, not overridden
    assert s.printer.paper_width_mm == 58  # defaults file; merging a section keeps siblings
    assert s.kiosk.inactivity_grace_s == 30  # built-in


def test_env_overrides_site_for_numbers(tmp_path: Path, defaults_file: Path) -> None:
    site = write(tmp_path / "site.toml", "[kiosk]\ninactivity_s = 120\n")
    env = {"KIOSK_KIOSK__INACTIVITY_S": "150"}
    s = load_settings(site, environ=env, default_file=defaults_file)
    assert s.kiosk.inactivity_s == 150


def test_site_file_can_come_from_kiosk_site_file(tmp_path: Path, defaults_file: Path) -> None:
    site = write(tmp_path / "site.toml", '[kiosk]\nid = "via-env-var"\n')
    s = load_settings(environ={"KIOSK_SITE_FILE": str(site)}, default_file=defaults_file)
    assert s.kiosk.id == "via-env-var"


def test_explicit_site_file_wins_over_kiosk_site_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[kiosk]\nid = "explicit"\n')
    b = write(tmp_path / "b.toml", '[kiosk]\nid = "from-variable"\n')
    assert load_settings(a, environ={"KIOSK_SITE_FILE": str(b)}).kiosk.id == "explicit"


def test_unrelated_environment_is_ignored() -> None:
    s = load_settings(environ={"KIOSK_TEST_HARDWARE": "1", "PATH": "/bin", "KIOSKX__Y": "1"})
    assert s == load_settings(environ={})


def test_env_section_and_key_are_case_insensitive_and_typed() -> None:
    s = load_settings(
        environ={
            "KIOSK_VOICE__ENABLED": "true",
            "KIOSK_HALL__TIMEOUT_S": "5.5",
            "KIOSK_HALL__MODE": "remote",
        }
    )
    assert s.voice.enabled is True
    assert s.hall.timeout_s == 5.5
    assert s.hall.mode == "remote"


def test_env_paper_width_overrides_site_file(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[printer]\npaper_width_mm = 80\n")
    s = load_settings(site, environ={"KIOSK_PRINTER__PAPER_WIDTH_MM": "58"})
    assert s.printer.paper_width_mm == 58


def test_site_relative_paths_are_taken_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "site.toml", '[kiosk]\ndata_dir = "data"\n')
    s = load_settings("site.toml", environ={})
    assert s.data_dir == tmp_path / "data"


def test_site_file_paths_expand_home(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", '[printer]\nout_dir = "~/printed"\n')
    s = load_settings(site, environ={})
    assert s.printer.out_dir == Path("~/printed").expanduser()


# -- errors name the file / variable, the key and what is allowed -------------------------
def test_bad_toml_in_site_file_names_the_file(tmp_path: Path) -> None:
    site = write(tmp_path / "broken-site.toml", "[kiosk\nid = 'x'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    assert str(site.resolve()) in str(info.value)
    assert "TOML" in str(info.value)


def test_bad_toml_in_default_file_names_the_file(tmp_path: Path) -> None:
    broken = write(tmp_path / "kiosk.toml", "inactivity_s = = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, default_file=broken)
    assert str(broken) in str(info.value)


def test_missing_site_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.toml", environ={})
    assert "nope.toml" in str(info.value)
    assert "not found" in str(info.value)


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[printer]\npaper_widht_mm = 58\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    msg = str(info.value)
    assert str(site.resolve()) in msg
    assert "printer.paper_widht_mm" in msg
    assert "unknown key" in msg
    for allowed in ("connection", "paper_width_mm", "out_dir", "on_unknown_status"):
        assert allowed in msg


def test_unknown_section_names_file_and_allowed_sections(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", '[printre]\nbackend = "virtual"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    msg = str(info.value)
    assert str(site.resolve()) in msg and "printre" in msg
    for allowed in ("kiosk", "hall", "card_reader", "printer", "scanner", "voice"):
        assert allowed in msg


def test_bad_value_in_site_file_names_file_key_and_value(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[kiosk]\ninactivity_grace_s = 5\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    msg = str(info.value)
    assert str(site.resolve()) in msg
    assert "kiosk.inactivity_grace_s" in msg
    assert "20" in msg  # what is allowed
    assert "5" in msg


def test_bad_literal_names_allowed_values(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[printer]\npaper_width_mm = 60\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    msg = str(info.value)
    assert "printer.paper_width_mm" in msg and "58" in msg and "80" in msg


def test_bad_value_from_env_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"KIOSK_KIOSK__INACTIVITY_S": "5"})
    msg = str(info.value)
    assert "KIOSK_KIOSK__INACTIVITY_S" in msg
    assert "kiosk.inactivity_s" in msg
    assert "'5'" in msg


def test_bad_type_from_env_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"KIOSK_HALL__TIMEOUT_S": "soon"})
    assert "KIOSK_HALL__TIMEOUT_S" in str(info.value)
    assert "soon" in str(info.value)


def test_env_error_is_blamed_on_env_not_on_the_site_file(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[kiosk]\ninactivity_s = 120\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={"KIOSK_KIOSK__INACTIVITY_S": "1"})
    msg = str(info.value)
    assert "KIOSK_KIOSK__INACTIVITY_S" in msg
    assert str(site.resolve()) not in msg


def test_unknown_key_from_env_names_variable_and_allowed_keys() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"KIOSK_PRINTER__PAPER": "58"})
    msg = str(info.value)
    assert "KIOSK_PRINTER__PAPER" in msg and "paper_width_mm" in msg


def test_unknown_section_from_env_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"KIOSK_PRINTR__BACKEND": "virtual"})
    assert "KIOSK_PRINTR__BACKEND" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", "[kiosk]\nthanks_s = 1\n[voice]\nvolume = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(site, environ={})
    assert "kiosk.thanks_s" in str(info.value) and "voice.volume" in str(info.value)


def test_settings_model_forbids_assignment_of_bad_values() -> None:
    s = Settings()
    with pytest.raises(ValueError):
        s.kiosk.inactivity_grace_s = 5
