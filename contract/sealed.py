"""Sealing a card holder's ID number for the hall server alone (offline tickets).

A kiosk issuing offline keeps no ID number (its outbox is a file on its disk), yet the
ticket should still be linked to its holder once it reaches the server, as an online one is
(a card read at the rating screen lists it). So the server hands each kiosk, with every
number lease, an X25519 **public** key; the kiosk seals the number with it and keeps only
the sealed bytes. Only the server, which derives the private key from its own key file,
can open them — the kiosk, its disk and its outbox cannot.

The box: an ephemeral X25519 key pair, HKDF-SHA256 of the shared secret (salted with both
public keys) → an AES-256-GCM key, a random nonce, the ticket's idempotency key as
associated data (a sealed number cannot be moved to another ticket). Encoded as base64url
without padding: ``ephemeral public key (32) ‖ nonce (12) ‖ ciphertext + tag``.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = ["SEALED_MAX", "SealError", "public_key_of", "seal", "unseal"]

SEALED_MAX = 200
"""Longest sealed value accepted (an 18-character ID number seals to 104 characters)."""
_INFO = b"hallkiosk/sealed-holder/v1"


class SealError(ValueError):
    """Not a box this private key opens (another key, altered bytes, another ticket)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _box_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO)
    return hkdf.derive(shared)


def public_key_of(private_key: bytes) -> str:
    """The base64url public key of a 32-byte X25519 private key (what a lease carries)."""
    return _b64(_raw(X25519PrivateKey.from_private_bytes(private_key).public_key()))


def seal(public_key: str, plaintext: str, associated: str) -> str:
    """``plaintext`` sealed for the holder of ``public_key``'s private key."""
    recipient = _unb64(public_key)
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    ephemeral_raw = _raw(ephemeral.public_key())
    nonce = os.urandom(12)
    box = AESGCM(_box_key(shared, ephemeral_raw, recipient))
    return _b64(ephemeral_raw + nonce + box.encrypt(nonce, plaintext.encode(), associated.encode()))


def unseal(private_key: bytes, sealed: str, associated: str) -> str:
    """The plaintext of ``sealed``; SealError if this key (and ``associated``) cannot open it."""
    try:
        data = _unb64(sealed)
        if len(data) < 32 + 12 + 16:
            raise SealError("too short")
        own = X25519PrivateKey.from_private_bytes(private_key)
        shared = own.exchange(X25519PublicKey.from_public_bytes(data[:32]))
        box = AESGCM(_box_key(shared, data[:32], _raw(own.public_key())))
        return box.decrypt(data[32:44], data[44:], associated.encode()).decode()
    except (InvalidTag, ValueError, UnicodeDecodeError) as exc:
        raise SealError(type(exc).__name__) from None
