"""Abstract ID-card reader: backends report card placements as events.

A backend calls ``_emit_card`` exactly once per placement (a card left on the reader does
not repeat; lifting it re-arms) and ``_emit_state`` when its health changes. Listeners may
be called from the backend's own thread: the kiosk core marshals to wherever it needs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from devices.base import Device, load_backend
from devices.idcard.card import IdCard

log = logging.getLogger(__name__)

ReaderState = Literal["ok", "offline", "sam_fault", "closed"]

BACKENDS = {
    "virtual": "devices.idcard.virtual:VirtualCardReader",
    "serial": "devices.idcard.reader:SerialCardReader",
    "simulator": "devices.idcard.simulator:SimulatedCardReader",
}


class CardReader(Device):
    kind = "card reader"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._on_card: list[Callable[[IdCard], None]] = []
        self._on_state: list[Callable[[ReaderState, str], None]] = []
        self.state: ReaderState = "closed"
        self.state_detail = ""

    def subscribe(
        self,
        on_card: Callable[[IdCard], None],
        on_state: Callable[[ReaderState, str], None] | None = None,
    ) -> None:
        with self._lock:
            self._on_card.append(on_card)
            if on_state is not None:
                self._on_state.append(on_state)

    def unsubscribe(self, on_card: Callable[[IdCard], None]) -> None:
        """Stop calling ``on_card`` (a test read's listener that is done)."""
        with self._lock:
            if on_card in self._on_card:
                self._on_card.remove(on_card)

    def unsubscribe_all(self) -> None:
        with self._lock:
            self._on_card.clear()
            self._on_state.clear()

    def _emit_card(self, card: IdCard) -> None:
        log.info("card read: %r", card)
        with self._lock:
            listeners = list(self._on_card)
        for listener in listeners:
            listener(card)

    def _emit_state(self, state: ReaderState, detail: str = "") -> None:
        self.state, self.state_detail = state, detail
        with self._lock:
            listeners = list(self._on_state)
        for listener in listeners:
            listener(state, detail)

    def open(self) -> None:
        super().open()
        if self.state == "closed":
            self._emit_state("ok")

    def close(self) -> None:
        was_open = self.is_open
        super().close()
        if was_open:
            self._emit_state("closed")


def create_card_reader(backend: str, **options: object) -> CardReader:
    cls = load_backend(BACKENDS, backend, "card reader")
    reader: CardReader = cls(**options)
    return reader
