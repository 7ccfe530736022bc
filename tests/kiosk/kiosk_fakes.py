"""Fakes for the kiosk core's tests: a clock you advance, a runner that can hold work
back, an in-memory ticket issuer and a printer that records what the flow sent it.

The issuer is a hand-written fake of ``kiosk.flow.TicketIssuer``: the real hall server is
tested in tests/hall. It behaves like the server where the flow depends on it: one number per
idempotency key, numbers per window-group prefix, the holder's *masked* name echoed back.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract.catalog import Catalog
from devices.idcard.card import IdCard
from devices.printer.base import PrintJob
from devices.printer.virtual import VirtualPrinter
from kiosk.identity import Holder
from kiosk.tickets import Ticket

#: An invented person with a well-formed number (check character computed by GB 11643).
PERSON_NAME = "王小明"
PERSON_ID = "110105199003071239"
START = dt.datetime(2026, 11, 20, 9, 30, 0)


def invented_card(name: str = PERSON_NAME, id_number: str = PERSON_ID) -> IdCard:
    return IdCard(
        kind="resident",
        name=name,
        id_number=id_number,
        sex="M",
        birth_date=dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
        nation="汉",
        address="示范市示范区测试路1号",
        issuer="示范市公安局示范分局",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2040, 1, 1),
        photo=b"\x89PNG not a real photo",
    )


class FakeClock:
    """Monotonic seconds for ``Flow(clock=...)`` and wall time for ``Flow(now=...)``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self._t0 = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> dt.datetime:
        return START + dt.timedelta(seconds=self.t - self._t0)


class DeferredRunner:
    """Holds submitted work until ``run_next``/``run_all``: lets a test act while busy."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.pending.append((work, done))

    def post(self, fn: Callable[[], None]) -> None:
        fn()

    def run_next(self) -> None:
        work, done = self.pending.pop(0)
        try:
            result: Any = work()
        except Exception as exc:
            result = exc
        done(result)

    def run_all(self) -> None:
        while self.pending:
            self.run_next()


@dataclass
class IssueCall:
    service_id: str
    idempotency_key: str
    holder: Holder | None
    priority: bool
    language: str


@dataclass
class FakeIssuer:
    """In-memory hall server: numbers tickets per group prefix, idempotent per key."""

    catalog: Catalog
    clock: FakeClock
    calls: list[IssueCall] = field(default_factory=list)
    by_key: dict[str, Ticket] = field(default_factory=dict)
    #: exceptions raised by the next calls, in order, *before* anything is issued
    fail_before: list[Exception] = field(default_factory=list)
    #: exceptions raised by the next calls *after* the number was issued (answer lost)
    fail_after: list[Exception] = field(default_factory=list)
    _seq: dict[str, itertools.count[int]] = field(default_factory=dict)

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
    ) -> Ticket:
        self.calls.append(IssueCall(service_id, idempotency_key, holder, priority, language))
        if self.fail_before:
            raise self.fail_before.pop(0)
        ticket = self.by_key.get(idempotency_key)
        if ticket is None:
            entry = self.catalog.entry(service_id)
            group = self.catalog.group(entry.group)
            n = next(self._seq.setdefault(group.prefix, itertools.count(1)))
            ticket = Ticket(
                id=f"t-{len(self.by_key) + 1:04d}",
                number=f"{group.prefix}{n:03d}",
                service_id=service_id,
                window_group=group.id,
                people_ahead=n - 1,
                estimated_wait_s=(n - 1) * group.avg_service_s,
                issued_at=self.clock.now(),
                priority=priority,
                masked_name=holder.masked_name if holder is not None else "",
            )
            self.by_key[idempotency_key] = ticket
        if self.fail_after:
            raise self.fail_after.pop(0)
        return ticket

    @property
    def numbers_issued(self) -> list[str]:
        return [t.number for t in self.by_key.values()]


class RecordingPrinter(VirtualPrinter):
    """The real virtual printer (in memory), also keeping what the flow handed it."""

    def __init__(self) -> None:
        super().__init__(out_dir=None, paper_width_mm=80)
        self.ticket_prints: list[Any] = []
        self.notice_prints: list[Any] = []

    def print_ticket(self, ticket: Any) -> PrintJob:
        self.ticket_prints.append(ticket)
        return super().print_ticket(ticket)

    def print_notice(self, notice: Any) -> PrintJob:
        self.notice_prints.append(notice)
        return super().print_notice(notice)
