"""The kiosk's visit and its journeys, put together for the screens (Qt-free).

home → groups → items (or bundles) → identify → one-time notice → ticket → thank you → home,
and beside it 材料预审, 评价, 办不成事反映 and 呼叫工作人员. Screens render ``flow.state``
and call the actions of the visit core (``flow.visit``: back, home, 长辈版, language) and of
the journeys (``flow.ticket``, ``flow.precheck``, ``flow.rating``, ``flow.case``,
``flow.help``); they never talk to devices or HTTP. Blocking work goes through a ``Runner``
and comes back as a new state, published on ``flow.changed``.

This module only wires: the core (kiosk/visit.py) knows no journey, each journey
(kiosk/journeys/) registers with the core; kiosk/app.py builds a ``Flow`` for the kiosk.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from contract.catalog import Catalog
from kiosk.events import Event
from kiosk.journeys.case import CaseJourney, CaseSink
from kiosk.journeys.help import HelpJourney
from kiosk.journeys.precheck import PrecheckJourney
from kiosk.journeys.rating import RatingJourney, RatingSink
from kiosk.journeys.ticket import TicketJourney
from kiosk.runner import Runner
from kiosk.visit import FlowConfig, State, Visit


class Flow:
    """One kiosk's visit core and its journeys."""

    def __init__(
        self,
        catalog: Catalog,
        hall: Any,
        printer: Any,
        runner: Runner,
        config: FlowConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        ratings: RatingSink | None = None,
        cases: CaseSink | None = None,
    ) -> None:
        self.visit = Visit(catalog, hall, printer, runner, config, clock, now)
        self.ticket = TicketJourney(self.visit)
        self.rating = RatingJourney(self.visit, ratings)
        self.case = CaseJourney(self.visit, self.ticket, cases)
        self.help = HelpJourney(self.visit)
        self._precheck: PrecheckJourney | None = None
        self.visit.add_part("precheck", None)  # read by the screens even with the pre-check off

    @property
    def precheck(self) -> PrecheckJourney | None:
        """材料预审, when the kiosk has it (``[precheck] enabled``)."""
        return self._precheck

    @precheck.setter
    def precheck(self, journey: PrecheckJourney | None) -> None:
        if self._precheck is not None:
            self.ticket.issued.disconnect(self._precheck.ticket_issued)
        self._precheck = journey
        self.ticket.precheck = journey
        if journey is not None:
            self.ticket.issued.connect(journey.ticket_issued)

    # -- the core, as the screens use it ---------------------------------------------------
    @property
    def state(self) -> State:
        return self.visit.state

    @property
    def changed(self) -> Event[State]:
        return self.visit.changed

    @property
    def staff_alert(self) -> Event[str]:
        return self.visit.staff_alert

    @property
    def catalog(self) -> Catalog:
        return self.visit.catalog

    @catalog.setter
    def catalog(self, catalog: Catalog) -> None:
        self.visit.catalog = catalog

    @property
    def language(self) -> str:
        return self.visit.language

    @property
    def config(self) -> FlowConfig:
        return self.visit.config

    def touch(self) -> None:
        self.visit.touch()

    def poll(self) -> None:
        self.visit.poll()

    def back(self) -> None:
        self.visit.back()

    def home(self) -> None:
        self.visit.home()

    def finish(self) -> None:
        self.visit.finish()
