"""Queue operations as the API routes and the counter page run them: the ``TicketStore``
method (one committed transaction), then one ``HallEvent`` published for boards, counter
pages and evaluators (``hall.events``). Framework-free apart from the app object whose
``state`` holds the queue and the event hub.

Event kinds (``HallEvent.kind``): ``call`` (call-next and 指定叫号 alike), ``recall``,
``no_show``, ``complete``, ``transfer`` (``extra``: ``to_group``, ``to_counter``,
``from_counter``), ``hold``, ``resume``, ``pause``, ``open``. ``counter_id`` is the counter
that acted; no event carries personal data (numbers and codes only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contract.api import TicketOut
from hall.events import HallEvent, publish, publish_async
from hall.tickets import TicketStore

ACTION_EVENT = {
    "recall": "recall",
    "no-show": "no_show",
    "complete": "complete",
    "transfer": "transfer",
    "hold": "hold",
    "resume": "resume",
}
"""Ticket action (URL spelling) → event kind."""


def _queue(app: Any) -> TicketStore:
    queue: TicketStore = app.state.queue
    return queue


def ticket_event(
    kind: str, ticket: TicketOut, now: dt.datetime, counter_id: str | None, **extra: Any
) -> HallEvent:
    return HallEvent(
        kind=kind,
        at=now.astimezone(dt.UTC),
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        counter_id=counter_id,
        group_id=ticket.window_group,
        extra={k: v for k, v in extra.items() if v is not None},
    )


async def call_next_async(
    app: Any, counter_id: str, staff_id: int, now: dt.datetime
) -> TicketOut | None:
    """The next ticket for this counter (``TicketStore.call_next_async``: on PostgreSQL one
    statement from the event loop), then its ``call`` event."""
    ticket = await _queue(app).call_next_async(counter_id, staff_id, now)
    if ticket is not None:
        await publish_async(app, ticket_event("call", ticket, now, counter_id))
    return ticket


def call_ticket(
    app: Any, counter_id: str, ticket_id: str, staff_id: int, now: dt.datetime
) -> TicketOut:
    ticket = _queue(app).call_ticket(counter_id, ticket_id, staff_id, now)
    publish(app, ticket_event("call", ticket, now, counter_id, chosen=True))
    return ticket


def act(
    app: Any,
    ticket_id: str,
    action: str,
    staff_id: int,
    now: dt.datetime,
    **transfer: str | None,
) -> TicketOut:
    """recall / no-show / complete / hold / resume / transfer (``to_group`` or
    ``to_counter``, ``reason``), then its event."""
    queue = _queue(app)
    before = queue.get(ticket_id).counter if action in ("transfer", "resume") else None
    ticket = queue.act(ticket_id, action, staff_id, now, **transfer)
    extra: dict[str, Any] = {}
    if action == "transfer":
        extra = {"to_group": ticket.window_group, "to_counter": transfer.get("to_counter")}
    counter = before if action in ("transfer", "resume") else ticket.counter
    publish(app, ticket_event(ACTION_EVENT[action], ticket, now, counter, **extra))
    return ticket


def set_paused(
    app: Any, counter_id: str, paused: bool, staff_id: int, now: dt.datetime
) -> dict[str, Any]:
    status = _queue(app).set_paused(counter_id, paused, staff_id, now)
    publish(
        app,
        HallEvent(
            kind="pause" if paused else "open", at=now.astimezone(dt.UTC), counter_id=counter_id
        ),
    )
    return status
