"""Personal data rules: the server never keeps a plain ID number or a full name.

An ID number is turned into an HMAC-SHA256 keyed hash as soon as the request is parsed, so
tickets of the same person can be linked (e.g. for ratings) without the number itself. The
key is ``HallKeys.id_hash`` (``hall.keys``): from the caller, the environment, or the key
file, never from the database.
"""

from __future__ import annotations

import hashlib
import hmac


def normalize_id_number(id_number: str) -> str:
    """Same person, same hash: strip spaces and upper-case the check letter (x → X)."""
    return "".join(id_number.split()).upper()


def hash_id_number(key: bytes, id_number: str) -> str:
    """HMAC-SHA256 of the normalized ID number, hex (64 characters)."""
    digest = hmac.new(key, normalize_id_number(id_number).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def is_masked_name(name: str) -> bool:
    """A masked name as printed (张*, 欧阳**, J*** S****) or a single character."""
    return "*" in name or len(name) <= 1
