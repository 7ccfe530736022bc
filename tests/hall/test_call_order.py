"""The call rule as plain functions (hall.call_order): resumed first, then green channel,
then the longest wait by original issue time; reservations; 无差别受理's scope."""

from __future__ import annotations

import datetime as dt

from contract.catalog import DEFAULT_PATH, load_catalog
from hall.call_order import Candidate, counter_scope, in_order, pick

T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def _c(id: str, minute: int, **kw: object) -> Candidate:
    return Candidate(id=id, window_group=str(kw.pop("group", "market")), priority=bool(
        kw.pop("priority", False)), issued_at=T0 + dt.timedelta(minutes=minute), seq=minute,
        **kw)  # type: ignore[arg-type]  # fmt: skip


def test_resumed_then_green_channel_then_longest_waiting() -> None:
    tickets = [
        _c("late", 9),
        _c("early", 1),
        _c("green", 8, priority=True),
        _c("resumed", 12, front_at=T0 + dt.timedelta(minutes=20), target_counter="5"),
        _c("tie-b", 3, group="livelihood"),
    ]
    assert [c.id for c in in_order(tickets, "5")] == ["resumed", "green", "early", "tie-b", "late"]
    # Reserved for counter 5: another counter never sees it.
    assert [c.id for c in in_order(tickets, "6")] == ["green", "early", "tie-b", "late"]
    assert pick([], "5") is None


def test_a_transferred_ticket_keeps_its_original_issue_time() -> None:
    transferred = _c("B001", 0, group="livelihood")  # issued first, elsewhere
    local = [_c("C001", 5, group="livelihood"), _c("C002", 6, group="livelihood")]
    assert pick([*local, transferred], "10") == transferred


def test_any_item_counters_call_every_shared_group() -> None:
    catalog = load_catalog(DEFAULT_PATH)
    scope = [g.id for g in counter_scope(catalog, "16")]
    assert scope[0] == "general"
    assert set(scope) == {"general", "market", "livelihood", "construction"}
    assert [g.id for g in counter_scope(catalog, "5")] == ["market"]
    assert counter_scope(catalog, "99") == []
