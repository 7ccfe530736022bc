"""Personal data rules: the server never keeps a plain ID number or a full name.

An ID number is turned into an HMAC-SHA256 keyed hash as soon as the request is parsed, so
tickets of the same person can be linked (e.g. for ratings) without the number itself. The
key comes from the caller, from ``HALL_ID_HASH_KEY`` (hex), or is generated once and kept
in the ``server_secrets`` table so that every server process hashes alike.
"""

from __future__ import annotations

import logging
import os

from sqlalchemy import Engine

from contract.errors import ConfigError
from contract.idnumber import is_masked_name, keyed_hash
from hall.db import get_or_create_secret

__all__ = ["hash_id_number", "is_masked_name", "resolve_id_hash_key"]

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


hash_id_number = keyed_hash
"""HMAC-SHA256 of the compacted ID number, hex: the construction is the contract's."""
