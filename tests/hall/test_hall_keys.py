"""Secrets apart from data (hall/keys.py): the keys live in a key file (0600), never in the
database; open cases' phone numbers are encrypted, closed ones' deleted; an older
version's keys and plain phone numbers are moved out on the first start; keys rotate."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import FakeClock

from contract.errors import ConfigError
from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.feedback_settings import FeedbackSettings, app_timezone
from hall.keys import HallKeys, default_key_file, read_key_file, write_key_file
from hall.testing import REPO_ROOT

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"


def _database_bytes(db_path: Path) -> bytes:
    parts = [db_path, db_path.with_name(db_path.name + "-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@contextmanager
def _hall(db_path: Path, **kwargs: Any) -> Iterator[tuple[TestClient, str, str]]:
    db_url = f"sqlite:///{db_path}"
    migrate(db_url)
    kiosk = add_kiosk(db_url, "kiosk-1")
    staff = add_staff(db_url, "王*")
    app = create_app(db_url, clock=FakeClock(), **kwargs)
    app.state.feedback = FeedbackSettings(tz=app_timezone(app), division_code="110105")
    with TestClient(app) as client:
        yield client, kiosk, staff


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _case(client: TestClient, kiosk: str, key: str) -> str:
    body = {
        "idempotency_key": key,
        "tried_normal_channel": True,
        "overlapping_duties": False,
        "policy_room": False,
        "categories": ["跨部门协调"],
        "description": "两个部门要求的证明互相矛盾",
        "phone": PHONE,
        "privacy_consent": True,
    }
    resp = client.post("/api/v1/cases", json=body, headers=_bearer(kiosk))
    assert resp.status_code == 201, resp.text
    number: str = resp.json()["case_number"]
    return number


def _contact(client: TestClient, staff: str, number: str) -> Any:
    client.post(f"/api/v1/cases/{number}/events", json={"kind": "take"}, headers=_bearer(staff))
    return client.get(f"/api/v1/cases/{number}/contact", headers=_bearer(staff))


def test_a_copy_of_the_database_holds_no_key_and_no_phone_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALL_ID_HASH_KEY", raising=False)
    monkeypatch.delenv("HALL_KEY_FILE", raising=False)
    db_path = tmp_path / "data" / "hall.sqlite3"
    db_path.parent.mkdir()
    with _hall(db_path) as (client, kiosk, staff):
        holder = {"id_number": ID_NUMBER, "masked_name": "张*"}
        body = {"service_id": "hukou-transfer", "idempotency_key": "t1", "holder": holder}
        assert client.post("/api/v1/tickets", json=body, headers=_bearer(kiosk)).status_code == 201
        number = _case(client, kiosk, "c1")
        assert _contact(client, staff, number).json()["phone"] == PHONE  # decrypts
    key_file = db_path.with_name("hall.sqlite3.keys.json")
    assert key_file.stat().st_mode & 0o777 == 0o600
    keys = read_key_file(key_file)
    data = _database_bytes(db_path)
    for key in (keys.id_hash, keys.phone, keys.session):
        assert key not in data and key.hex().encode() not in data
    assert PHONE.encode() not in data and ID_NUMBER.encode() not in data
    with sqlite3.connect(db_path) as conn:
        (sealed,) = conn.execute("SELECT phone_ciphertext FROM cases").fetchone()
        assert sealed.startswith("g1:")
        assert conn.execute("SELECT name FROM server_secrets").fetchall() == [("key_fingerprint",)]


def test_an_older_versions_keys_and_plain_phones_move_out_on_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade path: keys in ``server_secrets`` and a plain phone number, as an older
    version left them; the first start writes the key file, then deletes them."""
    monkeypatch.delenv("HALL_ID_HASH_KEY", raising=False)
    monkeypatch.delenv("HALL_KEY_FILE", raising=False)
    db_path = tmp_path / "hall.sqlite3"
    old_id_key, old_session = bytes(range(32)), bytes(range(32, 64))
    with _hall(db_path, id_hash_key=old_id_key) as (client, kiosk, _staff):
        open_case, closed_case = _case(client, kiosk, "c1"), _case(client, kiosk, "c2")
    with (
        closing(sqlite3.connect(db_path)) as conn,
        conn,
    ):  # back to how the older version stored things
        conn.execute("DELETE FROM server_secrets")
        conn.execute(
            "INSERT INTO server_secrets VALUES ('id_hash_key', ?, '2026-01-01 00:00:00'),"
            " ('staff_session_hmac', ?, '2026-01-01 00:00:00')",
            (old_id_key.hex(), old_session.hex()),
        )
        conn.execute("UPDATE cases SET phone = ?, phone_ciphertext = NULL", (PHONE,))
        conn.execute("UPDATE cases SET status = 'closed' WHERE case_number = ?", (closed_case,))
    with _hall(db_path) as (client, _kiosk, staff):
        assert _contact(client, staff, open_case).json()["phone"] == PHONE
        assert client.app.state.keys.session == old_session  # type: ignore[attr-defined]
    keys = read_key_file(db_path.with_name("hall.sqlite3.keys.json"))
    assert keys.id_hash == old_id_key  # the ticket hashes made before still match
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT name FROM server_secrets").fetchall() == [("key_fingerprint",)]
        rows = conn.execute(
            "SELECT case_number, phone, phone_ciphertext IS NOT NULL, phone_masked, phone_hash"
            " FROM cases ORDER BY case_number"
        ).fetchall()
    assert rows[0][:3] == (open_case, None, 1)
    assert rows[1] == (closed_case, None, 0, None, None)
    assert PHONE.encode() not in _database_bytes(db_path)


def test_keys_that_do_not_belong_to_the_database_stop_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALL_ID_HASH_KEY", raising=False)
    db_path = tmp_path / "hall.sqlite3"
    with _hall(db_path):
        pass
    db_url = f"sqlite:///{db_path}"
    other = tmp_path / "other" / "keys.json"
    write_key_file(other, HallKeys.generate())
    with pytest.raises(ConfigError, match="not the ones this database"):
        create_app(db_url, key_file=other)  # another hall's key file
    db_path.with_name("hall.sqlite3.keys.json").unlink()
    with pytest.raises(ConfigError, match="missing"):
        create_app(db_url)  # the key file was lost: no new one silently hashing apart
    with pytest.raises(ConfigError, match="not the ones"):
        create_app(db_url, id_hash_key=b"k" * 32)


def test_a_new_key_directory_is_0700_and_postgres_needs_a_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALL_ID_HASH_KEY", raising=False)
    monkeypatch.delenv("HALL_KEY_FILE", raising=False)
    db_path = tmp_path / "hall.sqlite3"
    with _hall(db_path, key_file=tmp_path / "secret" / "keys.json"):
        pass
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "secret" / "keys.json").stat().st_mode & 0o777 == 0o600
    assert default_key_file("postgresql://hall@localhost/hall") is None
    monkeypatch.setenv("HALL_KEY_FILE", str(tmp_path / "k.json"))
    assert default_key_file("postgresql://hall@localhost/hall") == tmp_path / "k.json"


def test_phone_ciphertext_is_bound_to_its_case_and_key() -> None:
    keys, other = HallKeys.generate(), HallKeys.generate()
    sealed = keys.encrypt_phone(PHONE, "BC20261123-0001")
    assert keys.decrypt_phone(sealed, "BC20261123-0001") == PHONE
    assert PHONE not in sealed and sealed != keys.encrypt_phone(PHONE, "BC20261123-0001")
    with pytest.raises(ValueError):
        keys.decrypt_phone(sealed, "BC20261123-0002")  # moved to another case
    with pytest.raises(ValueError):
        other.decrypt_phone(sealed, "BC20261123-0001")
    assert keys.id_hash.hex() not in repr(keys)
    assert len({keys.subkey("a"), keys.subkey("b"), keys.session}) == 3


def test_init_then_rotate_keys_keeps_open_cases_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALL_ID_HASH_KEY", raising=False)
    monkeypatch.delenv("HALL_KEY_FILE", raising=False)
    db_path = tmp_path / "hall.sqlite3"
    db_url = f"sqlite:///{db_path}"
    key_file = tmp_path / "keys" / "hall.json"

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "hall", *args, "--database-url", db_url, "--key-file", str(key_file)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert str(key_file) in cli("init")
    first = read_key_file(key_file)
    with _hall(db_path, key_file=key_file) as (client, kiosk, _staff):
        number = _case(client, kiosk, "c1")
    assert "1 open case(s) re-encrypted" in cli("rotate-keys")
    second = read_key_file(key_file)
    assert second.phone != first.phone and second.id_hash != first.id_hash
    assert read_key_file(key_file.with_name("hall.json.old")) == first
    with _hall(db_path, key_file=key_file) as (client, _kiosk, staff):
        assert _contact(client, staff, number).json()["phone"] == PHONE
