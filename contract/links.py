"""The signatures of the citizen's phone links (the printed QR codes), kept once.

A link's signature is the first 16 bytes of an HMAC-SHA256 over a versioned message,
base64url without padding: 22 characters. The hall server signs and checks the ticket and
case links (hall/phone.py, hall/case_page.py); an offline ticket's link is signed by the
kiosk that issued it (kiosk/offline.py) under its number lease's link key and checked by
the hall (``offline_link_signature`` on both sides). Pure: ``hmac`` and ``hashlib`` only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIG_BYTES = 16
SIG_PATTERN = r"^[A-Za-z0-9_-]{22}\Z"
"""What a signature looks like (a malformed one is refused before any HMAC is made)."""


def link_signature(key: bytes, message: str) -> str:
    """16 bytes of HMAC-SHA256 of ``message`` under ``key``, base64url, 22 characters."""
    mac = hmac.new(key, message.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:SIG_BYTES]).rstrip(b"=").decode()


def offline_link_signature(key: bytes, lease_id: int, ticket_id: str) -> str:
    """An offline ticket's link signature: ``key`` is its number lease's link key."""
    return link_signature(key, f"offline-link:v1:{lease_id}:{ticket_id}")
