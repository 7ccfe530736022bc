"""Reading a queue ticket's QR code from a captured image (评价: find the visit by scanning).

The printed ticket's QR carries the citizen's phone-page link
``<hall public address>/t/<ticket id>/<signature>`` (hall/phone.py), or
``HALLTICKET:<ticket id>`` when the hall has no public address and on tickets printed
before (``kiosk.tickets.Ticket.qr_data``), and an offline ticket's link
``<hall public address>/t/o/<lease>/<ticket id>/<signature>`` (kiosk/offline.py); all are
read here (the ticket id is found by the server once the offline ticket has synced). The kiosk does not check the
link's signature: it only needs the ticket id, and the server decides what may be rated.
``ticket_id_from_image`` decodes it with OpenCV's ``QRCodeDetector`` (opencv-python-headless
is already a dependency for the document camera), so no other QR library is needed.

Why several tries: a ticket-sized QR on a whole document-camera frame is small, a thermal
print is grey rather than black, and ``detectAndDecode`` is sensitive to both. The image is
tried as captured, then binarised (Otsu), then (small images only) scaled up ×2 — the first
answer wins. Measured here (2 shared cores, medians): a printed ticket's PNG 80–95 ms, a
1920×1080 camera frame with the ticket on it ~300 ms, a frame without any QR ~550 ms; the
call runs on a worker thread.

Pure: bytes in, a string or a typed error out; no devices, no clocks, no logging of content.
"""

from __future__ import annotations

import re

QR_PREFIX = "HALLTICKET:"
_TICKET_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")  # the server's ids are UUID strings
_PHONE_URL = re.compile(
    r"^https?://[^\s/]+(?:/[^\s]*)?/t/([0-9A-Za-z-]{1,36})/[A-Za-z0-9_-]{22}/?$"
)

_OFFLINE_URL = re.compile(
    r"^https?://[^\s/]+(?:/[^\s]*)?/t/o/[0-9]{1,10}/([0-9a-f-]{36})/[A-Za-z0-9_-]{22}/?$"
)
"""An offline ticket's link (kiosk/offline.py ``offline_link``): the id the kiosk chose."""


class QrError(Exception):
    """``code``: ``not_image`` (bytes are no picture), ``no_qr`` (no readable QR code) or
    ``not_ticket`` (a QR code, but not one of our tickets)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def decode_qr(image: bytes) -> list[str]:
    """Every QR text found in an encoded image (PNG/JPEG), first try that finds any."""
    import cv2
    import numpy as np

    array = np.frombuffer(image, dtype=np.uint8)
    frame = cv2.imdecode(array, cv2.IMREAD_GRAYSCALE) if array.size else None
    if frame is None:
        raise QrError("not_image")
    detector = cv2.QRCodeDetector()
    _, binary = cv2.threshold(frame, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for candidate in (frame, binary, None):
        if candidate is None:  # last resort: a small code, scaled up
            h, w = frame.shape
            if max(h, w) > 1200:  # a camera frame is large enough already
                break
            candidate = cv2.resize(frame, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
        try:
            ok, texts, _, _ = detector.detectAndDecodeMulti(candidate)
        except cv2.error:
            ok, texts = False, ()
        found = [t for t in texts if t] if ok else []
        if not found:
            text, _, _ = detector.detectAndDecode(candidate)
            found = [text] if text else []
        if found:
            return found
    return []


def ticket_id_from_qr(text: str) -> str:
    """The ticket id in a ticket's QR text (either form); QrError("not_ticket") for any
    other code."""
    link = _PHONE_URL.match(text.strip()) if len(text) <= 400 else None
    if link is not None:
        return link.group(1)
    offline = _OFFLINE_URL.match(text.strip()) if len(text) <= 400 else None
    if offline is not None:
        return offline.group(1)
    if not text.startswith(QR_PREFIX):
        raise QrError("not_ticket")
    ticket_id = text[len(QR_PREFIX) :].strip()
    if not _TICKET_ID.match(ticket_id):
        raise QrError("not_ticket")
    return ticket_id


def ticket_id_from_image(image: bytes) -> str:
    """The ticket id of the ticket in the picture. Raises QrError with what went wrong."""
    texts = decode_qr(image)
    if not texts:
        raise QrError("no_qr")
    for text in texts:
        try:
            return ticket_id_from_qr(text)
        except QrError:
            continue
    raise QrError("not_ticket")
