"""Personal data: no plain ID number or full name is stored, logged or echoed."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall

from hall.app import create_app
from hall.privacy import hash_id_number

ID_NUMBER = "11010519491231002X"
SERVICE = "hukou-transfer"


def _database_bytes(db_path: Path) -> bytes:
    """The SQLite file with its WAL and shared-memory side files."""
    parts = [
        db_path,
        db_path.with_name(db_path.name + "-wal"),
        db_path.with_name(db_path.name + "-shm"),
    ]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def test_no_plain_id_number_in_the_database_file_or_the_logs(
    hall: Hall, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, SQLAlchemy's statement log included
    holder = {"id_number": ID_NUMBER.lower(), "masked_name": "张*"}
    ticket = hall.issue(SERVICE, holder=holder)
    assert ticket["masked_name"] == "张*"
    hall.client.get(f"/api/v1/tickets/{ticket['id']}", headers=hall.kiosk())

    stored = _database_bytes(hall.db_path)
    for form in (ID_NUMBER, ID_NUMBER.lower(), ID_NUMBER[:17]):
        assert form.encode() not in stored
        assert form.encode("utf-16-le") not in stored
        assert form not in caplog.text
    assert ID_NUMBER not in str(ticket)
    assert "张*".encode() in stored  # the masked name is what we keep

    with sqlite3.connect(hall.db_path) as conn:
        (holder_hash,) = conn.execute("SELECT holder_hash FROM tickets").fetchone()
    assert holder_hash == hash_id_number(ID_HASH_KEY, ID_NUMBER)  # keyed, case-normalized


def test_a_plain_name_is_rejected_and_not_echoed(hall: Hall) -> None:
    body = {
        "service_id": SERVICE,
        "idempotency_key": "k",
        "holder": {"id_number": ID_NUMBER, "masked_name": "张三丰"},
    }
    resp = hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk())
    assert resp.status_code == 422
    assert "masked" in resp.text
    assert "张三丰" not in resp.text
    assert ID_NUMBER not in resp.text


def test_names_as_the_card_reader_masks_them_are_accepted(hall: Hall) -> None:
    for name in ("张*", "欧***", "J*********", "*"):  # mask_name of 张三, 欧阳娜娜, John Smith, 李
        holder = {"id_number": ID_NUMBER, "masked_name": name}
        assert hall.issue(SERVICE, holder=holder)["masked_name"] == name


def test_names_masking_cannot_produce_are_refused(hall: Hall) -> None:
    """Only what ``contract.fields.mask_name`` produces: no plain characters after the
    first (欧阳**), no plain single character (李), no other shapes."""
    for name in ("欧阳**", "J*** S****", "李", "王小明*"):
        holder = {"id_number": ID_NUMBER, "masked_name": name}
        hall.issue(SERVICE, holder=holder, expect=422)


def test_a_masked_id_number_is_rejected(hall: Hall) -> None:
    holder = {"id_number": "1101**********002X", "masked_name": "张*"}
    hall.issue(SERVICE, holder=holder, expect=422)


def test_without_a_key_one_is_generated_once_in_a_key_file_and_shared(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    first = create_app(db_url, clock=FakeClock())
    second = create_app(db_url, clock=FakeClock())
    key_a = first.state.queue._id_hash_key
    key_b = second.state.queue._id_hash_key
    assert key_a == key_b
    assert len(key_a) == 32
    assert key_a != ID_HASH_KEY
    key_file = tmp_path / "hall.sqlite3.keys.json"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_a.hex() in key_file.read_text()
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:  # only the keys' fingerprint
        assert conn.execute("SELECT name FROM server_secrets").fetchall() == [("key_fingerprint",)]
    assert key_a.hex().encode() not in _database_bytes(tmp_path / "hall.sqlite3")
    with TestClient(first):
        pass  # the lifespan runs and disposes of the engine


def test_env_key_is_used_when_no_argument_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALL_ID_HASH_KEY", "ab" * 32)
    app = create_app(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    assert app.state.queue._id_hash_key == bytes.fromhex("ab" * 32)
