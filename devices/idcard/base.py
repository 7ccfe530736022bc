"""Abstract ID-card reader: backends report card placements as events.

A backend calls ``_emit_card`` exactly once per placement (a card left on the reader does
not repeat; lifting it re-arms), ``_emit_state`` when its health changes and ``report``
for a failure (a typed error). Listeners may
be called from the backend's own thread: the kiosk core marshals to wherever it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from devices.base import Device, Listeners, load_backend
from devices.errors import DeviceUnavailable
from devices.idcard.card import IdCard

log = logging.getLogger(__name__)

ReaderState = Literal["ok", "offline", "sam_fault", "closed"]

BACKENDS = {
    "virtual": "devices.idcard.virtual:VirtualCardReader",
    "serial": "devices.idcard.reader:SerialCardReader",
    "simulator": "devices.idcard.simulator:SimulatedCardReader",
}


@dataclass(frozen=True)
class SamProbe:
    """The staff test of a reader's security module (SAM)."""

    status: str  # "ok", "sam_fault", "no_answer", "virtual" (no SAM)
    sam_id: str = ""  # hex groups of the SAM id answer


class CardReader(Device):
    """Capabilities, declared here so nobody above this layer guesses by attribute:

    - cards and health as events (``subscribe``), failures as typed errors
      (``subscribe_errors``, from ``Device``);
    - ``probe()``: the SAM self-test through the reader's own transport (virtual: none);
    - ``recheck()``: check the SAM again after a fault (staff);
    - ``can_present``: a simulated reader (virtual, simulator) takes ``present(name)``,
      ``present_card(card)``, ``remove()`` and lists ``card_names()``/``cards`` (demo,
      training, tests); a real reader raises ``DeviceUnavailable``.
    """

    kind = "card reader"
    can_present = False

    def __init__(self) -> None:
        super().__init__()
        self.cards_seen: Listeners[IdCard] = Listeners("card")
        self.states: Listeners[tuple[ReaderState, str]] = Listeners("card reader state")
        self.state: ReaderState = "closed"
        self.state_detail = ""

    def subscribe(
        self,
        on_card: Callable[[IdCard], None],
        on_state: Callable[[ReaderState, str], None] | None = None,
    ) -> None:
        self.cards_seen.add(on_card)
        if on_state is not None:
            self.states.add(lambda change: on_state(*change))

    def unsubscribe(self, on_card: Callable[[IdCard], None]) -> None:
        """Stop calling ``on_card`` (a test read's listener that is done)."""
        self.cards_seen.remove(on_card)

    def unsubscribe_all(self) -> None:
        self.cards_seen.clear()
        self.states.clear()
        self.errors.clear()

    def _emit_card(self, card: IdCard) -> None:
        log.info("card read: %r", card)  # masked repr
        self.cards_seen.emit(card)

    def _emit_state(self, state: ReaderState, detail: str = "") -> None:
        self.state, self.state_detail = state, detail
        self.states.emit((state, detail))

    def open(self) -> None:
        super().open()
        if self.state == "closed":
            self._emit_state("ok")

    def close(self) -> None:
        was_open = self.is_open
        super().close()
        if was_open:
            self._emit_state("closed")

    # -- capabilities ---------------------------------------------------------------------
    def probe(self) -> SamProbe:
        """SAM status and id (the reader pauses meanwhile); run off the GUI thread."""
        return SamProbe("virtual")

    def recheck(self) -> None:
        """Check the SAM again after a "sam_fault" (readers without a SAM: nothing)."""

    @property
    def cards(self) -> dict[str, IdCard]:
        return {}

    def card_names(self) -> list[str]:
        return []

    def present(self, name: str) -> None:
        raise DeviceUnavailable(f"a {self.kind} of this kind cannot be given a card")

    def present_card(self, card: IdCard) -> None:
        raise DeviceUnavailable(f"a {self.kind} of this kind cannot be given a card")

    def remove(self) -> None:
        """Lift the simulated card (real readers: nothing to do)."""


def create_card_reader(backend: str, **options: object) -> CardReader:
    cls = load_backend(BACKENDS, backend, "card reader")
    reader: CardReader = cls(**options)
    return reader
