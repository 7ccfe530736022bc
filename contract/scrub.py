"""Free-text scrubbing: ID and mobile numbers and names a citizen typed into a comment or a
case description (or staff into a note) are masked before anything is stored, however they
were spaced. The one scrubber: the kiosk runs it before text is written to its outbox, the
hall server before text is stored.

Comments travel upward and are read by staff; a citizen who types their ID or phone
number into one should not have it stored. People write numbers in groups — "138 1234
5678", "138-1234-5678", "1101 0519 4912 3100 2X", full-width digits or spaces from a
Chinese input method, "+86 138…" — so between any two characters of a number up to
``MAX_GAP`` separators (spaces of any kind, dashes, dots, slashes, underscores) are allowed.
18-character IDs keep their first 4 and last 4 characters (1101**********002X), mobiles the
first 3 and last 4 (138****8000), written without the separators. Control characters are
dropped (newlines and tabs stay).

Names: ``contract.names.scrub_names`` masks the names the words around them point at
(我叫王小明, 姓名：李建国, 刘小红老师, 窗口的张伟态度很差 …; see that module for what it
finds and what not) and the ``known`` names (the kiosk passes the card holder's own).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from contract.names import scrub_names

MAX_GAP = 3
_SEP = r"[\s\u00a0\u3000\-\u2010-\u2015\u2212\uff0d_./\u00b7\u30fb]"
_GAP = f"{_SEP}{{0,{MAX_GAP}}}"
_ID_LIKE = re.compile(rf"(?<![0-9A-Za-z])(?:\d{_GAP}){{17}}[\dXx](?![0-9A-Za-z])")
_MOBILE_LIKE = re.compile(
    rf"(?<![\d+])(?:(?:\+|00){_GAP}8{_GAP}6{_GAP})?1{_GAP}[3-9](?:{_GAP}\d){{9}}(?!{_GAP}\d)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _chars(match: re.Match[str]) -> str:
    """The number's own characters, separators removed, digits as ASCII."""
    kept = [c for c in match.group() if c.isdigit() or c in "Xx"]
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in kept)


def _mask_id(match: re.Match[str]) -> str:
    number = _chars(match)
    return number[:4] + "*" * 10 + number[-4:]


def _mask_mobile(match: re.Match[str]) -> str:
    number = _chars(match)[-11:]  # without +86 / 0086
    return number[:3] + "****" + number[-4:]


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with ID-like and mobile-like numbers, the names its words point at and the
    ``known`` names masked, and control characters gone."""
    text = _CONTROL.sub("", text)  # PostgreSQL text cannot hold NUL; others are noise
    text = _ID_LIKE.sub(_mask_id, text)
    return scrub_names(_MOBILE_LIKE.sub(_mask_mobile, text), known)
