"""A card reader with imaginary cards: JSON files placed on it by hand (or by a test).

For development, staff training and tests. ``open()`` loads every ``*.json`` in
``cards_dir``; each file holds the fields of ``devices.idcard.card.IdCard``:

    {"kind": "resident", "name": "…", "id_number": "…", "sex": "M",
     "birth_date": "1988-06-15", "valid_from": "2015-07-01", "valid_to": null, …}

Dates are "YYYY-MM-DD"; ``valid_to`` null means 长期 (no expiry); ``photo`` and
``fingerprint`` are never in a file. Unknown fields are refused, so a typo is caught when
the reader opens rather than being silently ignored. ``present(name)`` puts the card from
``name.json`` on the reader: it is reported once, as a real reader reports one placement,
until ``remove()`` lifts it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any, get_args

from devices.errors import DeviceUnavailable
from devices.idcard.base import CardReader
from devices.idcard.card import CardKind, IdCard

log = logging.getLogger(__name__)

_KINDS: tuple[str, ...] = get_args(CardKind)
_SEXES = ("M", "F", "U")
_DATE_FIELDS = ("birth_date", "valid_from", "valid_to")
_TEXT_FIELDS = (
    "name",
    "id_number",
    "name_en",
    "nation",
    "nationality",
    "address",
    "issuer",
    "pass_number",
)
_NOT_IN_FILES = ("photo", "fingerprint")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _field_error(path: Path, name: str, problem: str) -> DeviceUnavailable:
    # The value itself is left out: it may be a name or an ID number.
    return DeviceUnavailable(f"card file {path.name}: field {name!r} {problem}")


def card_from_dict(data: Any, path: Path) -> IdCard:
    """Build an IdCard from parsed JSON; ``path`` is only used in error messages.

    Raises DeviceUnavailable naming the file and the field.
    """
    if not isinstance(data, dict):
        raise DeviceUnavailable(f"card file {path.name}: expected a JSON object")
    known = {f.name for f in dataclasses.fields(IdCard)} - set(_NOT_IN_FILES)
    for key in data:
        if key in _NOT_IN_FILES:
            raise _field_error(path, key, "must not be stored in a file (in memory only)")
        if key not in known:
            raise _field_error(path, key, f"is unknown; allowed: {', '.join(sorted(known))}")
    for key in ("kind", "id_number"):
        if key not in data:
            raise _field_error(path, key, "is missing")
    values: dict[str, Any] = {}
    if data["kind"] not in _KINDS:
        raise _field_error(path, "kind", f"must be one of {', '.join(_KINDS)}")
    values["kind"] = data["kind"]
    for key in _TEXT_FIELDS:
        if key in data:
            if not isinstance(data[key], str):
                raise _field_error(path, key, "must be a string")
            values[key] = data[key]
    if not values.get("name") and not values.get("name_en"):
        raise _field_error(path, "name", "is missing (give name or name_en)")
    values.setdefault("name", "")
    if not values["id_number"].strip():
        raise _field_error(path, "id_number", "is empty")
    if "sex" in data:
        if data["sex"] not in _SEXES:
            raise _field_error(path, "sex", f"must be one of {', '.join(_SEXES)}")
        values["sex"] = data["sex"]
    for key in _DATE_FIELDS:
        if key not in data or data[key] is None:
            continue
        raw = data[key]
        try:
            if not isinstance(raw, str) or not _DATE_RE.match(raw):
                raise ValueError
            values[key] = dt.date.fromisoformat(raw)
        except ValueError:
            hint = " (null means 长期)" if key == "valid_to" else ""
            raise _field_error(path, key, f"must be a real date as YYYY-MM-DD{hint}") from None
    if data.get("issue_count") is not None:
        count = data["issue_count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _field_error(path, "issue_count", "must be a whole number ≥ 0 or null")
        values["issue_count"] = count
    return IdCard(**values)


def load_card(path: str | Path) -> IdCard:
    """Read one card file. Raises DeviceUnavailable naming the file (and field)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviceUnavailable(f"card file {path.name}: cannot be read: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceUnavailable(
            f"card file {path.name}: not valid JSON at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}"
        ) from None
    return card_from_dict(data, path)


class VirtualCardReader(CardReader):
    """Reads imaginary cards from ``cards_dir``; ``present``/``remove`` place and lift them."""

    can_present = True

    def __init__(self, cards_dir: str | Path) -> None:
        super().__init__()
        self.cards_dir = Path(cards_dir).expanduser()
        self._cards: dict[str, IdCard] = {}
        self._placement_lock = threading.Lock()
        self._on_reader: IdCard | None = None

    def _open(self) -> None:
        if not self.cards_dir.is_dir():
            raise DeviceUnavailable(f"card folder not found: {self.cards_dir}")
        cards = {path.stem: load_card(path) for path in sorted(self.cards_dir.glob("*.json"))}
        self._cards = cards
        log.info("virtual card reader: %d cards in %s", len(cards), self.cards_dir)

    def _close(self) -> None:
        self.remove()

    def card_names(self) -> list[str]:
        """Names (file stems) of the cards loaded at ``open()``, sorted; empty before."""
        return sorted(self._cards)

    def present(self, name: str) -> None:
        """Place the card from ``name.json`` on the reader (see ``present_card``)."""
        try:
            card = self._cards[name]
        except KeyError:
            known = ", ".join(self.card_names()) or "none (is the reader open?)"
            raise KeyError(f"no card named {name!r}; known: {known}") from None
        self.present_card(card)

    def present_card(self, card: IdCard) -> None:
        """Place ``card`` on the reader: reported once; ignored while a card is already on.

        Raises DeviceUnavailable when the reader is not open (a real one would not read).
        """
        if not self.is_open:
            raise DeviceUnavailable("card reader is not open")
        with self._placement_lock:
            if self._on_reader is not None:
                return
            self._on_reader = card
        self._emit_card(card)

    def remove(self) -> None:
        """Lift the card; the next placement is reported again."""
        with self._placement_lock:
            self._on_reader = None

    @property
    def card_present(self) -> bool:
        return self._on_reader is not None
