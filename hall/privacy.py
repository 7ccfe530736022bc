"""Personal data rules: the server never keeps a plain ID number or a full name.

An ID number is turned into an HMAC-SHA256 keyed hash as soon as the request is parsed, so
tickets of the same person can be linked (e.g. for ratings) without the number itself. The
key comes from the caller, from ``HALL_ID_HASH_KEY`` (hex), or is generated once and kept
in the ``server_secrets`` table so that every server process hashes alike.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from sqlalchemy import Engine

from hall.db import get_or_create_secret
from kiosk.errors import ConfigError

log = logging.getLogger(__name__)

ID_HASH_KEY_ENV = "HALL_ID_HASH_KEY"
MIN_KEY_BYTES = 16


def resolve_id_hash_key(engine: Engine, explicit: bytes | None = None) -> bytes:
    """The HMAC key: argument, else env HALL_ID_HASH_KEY (hex), else the stored secret."""
    if explicit is not None:
        key = explicit
    elif env := os.environ.get(ID_HASH_KEY_ENV):
        try:
            key = bytes.fromhex(env.strip())
        except ValueError:
            raise ConfigError(f"{ID_HASH_KEY_ENV}: not a hex string") from None
    else:
        return get_or_create_secret(engine, "id_hash_key")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"id hash key: at least {MIN_KEY_BYTES} bytes needed, got {len(key)}")
    return key


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
