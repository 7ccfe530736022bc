"""Personal data rules: the server never keeps a plain ID number or a full name.

An ID number is turned into an HMAC-SHA256 keyed hash as soon as the request is parsed, so
tickets of the same person can be linked (e.g. for ratings) without the number itself. The
key is ``HallKeys.id_hash`` (``hall.keys``): from the caller, the environment, or the key
file, never from the database.
"""

from __future__ import annotations

from contract.idnumber import is_masked_name, keyed_hash

__all__ = ["hash_id_number", "is_masked_name"]


hash_id_number = keyed_hash
"""HMAC-SHA256 of the compacted ID number, hex: the construction is the contract's."""
