"""Files with secrets or personal data are 0600, their new directories 0700
(osfiles/private_files.py): the hall's SQLite database with its WAL, the kiosk's site.toml
(its hall token) and the outbox (phone numbers of cases in flight); older 0644 files are
tightened. The hall's key file is checked in tests/hall/test_hall_keys.py."""

from __future__ import annotations

import stat
from pathlib import Path

from hall.db import add_kiosk, migrate
from kiosk.config_store import ConfigStore
from kiosk.outbox import Outbox
from osfiles.private_files import private_dir, private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_hall_sqlite_database_and_its_wal_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "hall.sqlite3"
    migrate(f"sqlite:///{db}")
    add_kiosk(f"sqlite:///{db}", "kiosk-1")
    assert mode(db) == 0o600
    for side in tmp_path.glob("hall.sqlite3-*"):
        assert mode(side) == 0o600, side


def test_an_older_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "hall.sqlite3"
    migrate(f"sqlite:///{db}")
    db.chmod(0o644)
    migrate(f"sqlite:///{db}")
    assert mode(db) == 0o600


def test_the_site_file_and_its_previous_copy_are_0600(tmp_path: Path) -> None:
    site = tmp_path / "data" / "site.toml"
    store = ConfigStore(site, {})
    store.save({"hall": {"token": "kiosk-secret-token"}})
    assert mode(site) == 0o600
    site.chmod(0o644)  # as an older version wrote it
    store.save({"kiosk": {"inactivity_s": 45}})
    assert mode(site) == 0o600
    assert mode(store.previous) == 0o600


def test_the_outbox_is_0600(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put("case", "k1", {"phone": "13912345678"})
    for path in tmp_path.glob("outbox.sqlite3*"):
        assert mode(path) == 0o600, path


def test_a_data_directory_is_0700_and_an_existing_file_is_tightened(tmp_path: Path) -> None:
    data = private_dir(tmp_path / "a" / "data")
    assert mode(data) == 0o700
    loose = tmp_path / "loose"
    loose.write_text("x")
    loose.chmod(0o644)
    private_file(loose)
    assert mode(loose) == 0o600 and loose.read_text() == "x"


def test_the_embedded_hall_creates_its_key_file_in_the_data_directory(tmp_path: Path) -> None:
    """No manual step for the kiosk's embedded server: its keys appear beside its database,
    0600, and the database holds none of them."""
    from hall.embedded import EmbeddedHallServer
    from hall.keys import read_key_file
    from kiosk.settings import ROOT

    data = private_dir(tmp_path / "data")
    server = EmbeddedHallServer(data, ROOT / "config" / "services.toml", "kiosk-1")
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()
    key_file = data / "hall.sqlite3.keys.json"
    assert mode(key_file) == 0o600 and mode(data / "hall.sqlite3") == 0o600
    keys = read_key_file(key_file)
    stored = (data / "hall.sqlite3").read_bytes()
    assert keys.id_hash.hex().encode() not in stored and keys.id_hash not in stored
