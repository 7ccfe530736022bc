"""Which waiting ticket a counter calls next — the call rule, as plain functions.

The rule (also stated in ``config/services.toml`` and the README):

1. A ticket that was held (挂起) and resumed comes first, for the counter that held it.
2. Then 绿色通道 (priority) tickets.
3. Then the ticket that has waited longest: the earliest ORIGINAL issue time, so a
   transferred ticket (转窗) keeps its place; equal times by number.

A ticket reserved for one counter (``target_counter``: transferred to a named counter, or
resumed) is called only by that counter.

Which queues a counter calls from: the window groups that list it in ``counters``. A
counter of a group with ``any_item = true`` (无差别受理, the 大综窗) calls from its own
group AND from every group with ``served_by_any_item = true`` (the default; 出件 and
办不成事反映 set it false), by the same rule — so the longest-waiting citizen of any
item is served first, and a green-channel citizen before everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from contract.catalog import Catalog, WindowGroup

_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Candidate:
    """What the rule needs to know of a waiting ticket."""

    id: str
    window_group: str
    priority: bool
    issued_at: dt.datetime
    seq: int
    front_at: dt.datetime | None = None
    target_counter: str | None = None


def counter_scope(catalog: Catalog, counter_id: str) -> list[WindowGroup]:
    """The groups whose queues this counter calls from (own groups first); [] if unknown."""
    own = [g for g in catalog.groups if counter_id in g.counters]
    if any(g.any_item for g in own):
        own += [g for g in catalog.groups if g.served_by_any_item and g not in own]
    return own


def order_key(c: Candidate) -> tuple[object, ...]:
    """Sort key: smaller is called first (see the module's rule)."""
    return (c.front_at is None, c.front_at or _NEVER, not c.priority, c.issued_at, c.seq)


def may_call(c: Candidate, counter_id: str) -> bool:
    return c.target_counter is None or c.target_counter == counter_id


def pick(candidates: Iterable[Candidate], counter_id: str) -> Candidate | None:
    """The ticket this counter calls next, or None."""
    eligible = [c for c in candidates if may_call(c, counter_id)]
    return min(eligible, key=order_key, default=None)


def in_order(candidates: Iterable[Candidate], counter_id: str) -> list[Candidate]:
    """The counter's waiting list in calling order."""
    return sorted((c for c in candidates if may_call(c, counter_id)), key=order_key)
