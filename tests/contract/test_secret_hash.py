"""The scrypt hash of staff PINs (kiosk) and counter passwords (hall), kept once."""

from __future__ import annotations

from contract.secret_hash import hash_secret, verify_secret

FAST = {"n": 2**10, "r": 8}  # a cheap cost for the test; records carry their parameters


def test_a_record_verifies_its_secret_only_and_keeps_no_plain_text() -> None:
    record = hash_secret("246810", **FAST)
    assert record["algorithm"] == "scrypt" and record["n"] == 2**10
    assert "246810" not in str(record)
    assert verify_secret("246810", record)
    assert not verify_secret("246811", record)
    assert hash_secret("246810", **FAST)["salt"] != record["salt"]  # a fresh salt each time


def test_a_malformed_record_never_verifies() -> None:
    record = hash_secret("246810", **FAST)
    assert not verify_secret("246810", {k: v for k, v in record.items() if k != "salt"})
    assert not verify_secret("246810", {**record, "n": "many"})
    assert not verify_secret("246810", {**record, "hash": "%%%"})
