"""Salted scrypt hashes of short secrets: the kiosk's staff PIN (``kiosk.staff``) and the
counter staff's password (``hall.staff_accounts``), kept once.

Pure computation (``hashlib``); the callers decide where the record is stored. A record is
a JSON-ready dict holding the parameters that made it, so the cost can change later
without invalidating the hashes already stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

# scrypt cost: n=2**14, r=8 (16 MiB, ~50 ms): slow enough against guessing a stolen table
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_secret(secret: str, salt: bytes | None = None, **params: int) -> dict[str, Any]:
    """A salted scrypt hash and the parameters that made it (so they can change later)."""
    p = {**SCRYPT, **params}
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=p["n"], r=p["r"], p=p["p"],
                            dklen=p["dklen"], maxmem=128 * p["n"] * p["r"] * 2)  # fmt: skip
    return {
        "algorithm": "scrypt",
        **p,
        "salt": base64.b64encode(salt).decode(),
        "hash": base64.b64encode(digest).decode(),
    }


def verify_secret(secret: str, record: dict[str, Any]) -> bool:
    """Does ``secret`` match this record of ``hash_secret``? False for a malformed record."""
    try:
        salt = base64.b64decode(record["salt"])
        params = {k: int(record[k]) for k in ("n", "r", "p", "dklen")}
        expected = base64.b64decode(record["hash"])
    except (KeyError, ValueError, TypeError):
        return False
    computed = base64.b64decode(hash_secret(secret, salt, **params)["hash"])
    return hmac.compare_digest(computed, expected)
