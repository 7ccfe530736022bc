"""The daily aggregates (hall/stats_daily.py) give EXACTLY the figures of the live SQL
(hall/stats.py, ``live=True``) on a generated multi-day dataset, on SQLite and PostgreSQL:
every ``by``, ranges of closed days only, closed days plus the live current day, and one
day (up to ``EXACT_DAYS``; longer ranges estimate the percentiles from bins, within one
bin: waits past the last bin and below zero included); days are closed once and a
reopened day is closed again from the tickets, also around a day closed before or by
another closer meanwhile, and the server's startup closer closes the past days. The
satisfaction figures too (hall/stats_daily_ratings.py), also when a rating arrives for a
closed day or a second rating supersedes a first one of a closed day after it closed."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hall_support import fresh_pg_database
from sqlalchemy import Engine, event, func, insert, select, update

import hall.stats_daily as stats_daily
from contract.catalog import DEFAULT_PATH, load_catalog
from contract.vocab import LEVELS
from hall.app import create_app
from hall.db import add_kiosk, add_staff, make_engine, migrate, transaction
from hall.models import Rating, Staff, StatsClosedDay, StatsDayPart, StatsDayRating, Ticket
from hall.stats import MAX_RANGE_DAYS, queue_stats
from hall.stats_daily import close_days, reopen_days

TZ = ZoneInfo("Asia/Shanghai")
FIRST = dt.date(2026, 10, 1)
DAYS = 6
TODAY = FIRST + dt.timedelta(days=DAYS - 1)  # the last generated day is "today" (live)
BYS = ("total", "day", "hour", "group", "counter", "item", "bundle", "staff")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    def run(url: str) -> Iterator[Engine]:
        migrate(url)
        add_kiosk(url, "kiosk-1")
        for name in ("甲*", "乙*", "丙*"):
            add_staff(url, name)
        engine = make_engine(url)
        _generate(engine)
        yield engine
        engine.dispose()

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    else:
        with fresh_pg_database("hall_stats_daily") as url:
            yield from run(url)


def _generate(engine: Engine) -> None:
    """Six days of tickets at microsecond times: completed, missed, still waiting or
    called, transferred, returned, bundles, green channel, no staff member."""
    rng = random.Random(1616)
    catalog = load_catalog(DEFAULT_PATH)
    groups = {g.id: g for g in catalog.groups}
    entries = [(s.id, s.group) for s in catalog.services]
    entries += [(b.id, b.group) for b in catalog.bundles] * 3
    with transaction(engine) as session:
        staff = list(session.scalars(select(Staff.id)))
    rows = []
    for d in range(DAYS):
        day = FIRST + dt.timedelta(days=d)
        opening = dt.datetime(day.year, day.month, day.day, 8, 30, tzinfo=TZ)
        seqs: dict[str, int] = {}
        for _ in range(rng.randrange(40, 90)):
            service_id, group_id = entries[rng.randrange(len(entries))]
            group = groups[group_id]
            seqs[group.prefix] = seqs.get(group.prefix, 0) + 1
            issued = opening + dt.timedelta(microseconds=rng.randrange(9 * 3600 * 10**6))
            roll = rng.random()
            status = (
                "waiting"
                if roll < 0.05
                else "called"
                if roll < 0.08
                else "no_show"
                if roll < 0.15
                else "completed"
            )
            first = issued + dt.timedelta(microseconds=rng.randrange(1, 3600 * 10**6))
            called = first + dt.timedelta(seconds=rng.choice([0, 0, 0, 300.5]))
            done = called + dt.timedelta(microseconds=rng.randrange(60 * 10**6, 1800 * 10**6))
            tid = str(uuid.uuid4())
            rows.append(
                {
                    "id": tid, "kiosk_id": "kiosk-1", "idempotency_key": tid,
                    "service_id": service_id, "window_group": group_id,
                    "prefix": group.prefix, "period": day.isoformat(), "service_day": day,
                    "seq": seqs[group.prefix], "number": f"{group.prefix}{seqs[group.prefix]:03d}",
                    "priority": rng.random() < 0.05, "language": "zh", "status": status,
                    "counter": None if status == "waiting" else rng.choice(group.counters),
                    "staff_id": None if status == "waiting" or roll > 0.97
                    else rng.choice(staff),
                    "recall_count": 0, "issued_at": issued,
                    "called_at": None if status == "waiting" else called,
                    "first_called_at": None if status == "waiting" or roll > 0.9 else first,
                    "completed_at": done if status == "completed" else None,
                    "no_show_at": called if status == "no_show" else None,
                    "transfer_count": 1 if 0.15 <= roll < 0.25 else 0,
                    "returned": status == "completed" and roll > 0.85,
                }
            )  # fmt: skip
    for i, t in enumerate(rows):  # waits past the last bin (4 h), and one before its issue
        if t["first_called_at"] is not None and i % 37 == 5:
            t["first_called_at"] = t["issued_at"] + dt.timedelta(hours=5, microseconds=i)
        elif t["first_called_at"] is not None and i % 53 == 7:
            t["first_called_at"] = t["issued_at"] - dt.timedelta(seconds=2)
    ratings = []
    for t in rows:
        if t["status"] != "completed" or rng.random() < 0.4:
            continue
        # Some ratings of staff-less tickets, some a day late (rated the next day).
        rated_day = t["service_day"] + dt.timedelta(days=rng.random() < 0.1)
        ratings.append(_rating(len(ratings) + 1, t, rng.choice(LEVELS), 1, rated_day))
        if rng.random() < 0.15:  # re-rated after the bad review was answered
            ratings.append(_rating(len(ratings) + 1, t, rng.choice(LEVELS), 2, rated_day))
    for d in range(DAYS):  # the self-service area, no ticket
        day = FIRST + dt.timedelta(days=d)
        ratings.append(_rating(len(ratings) + 1, None, rng.choice(LEVELS), 1, day))
    with transaction(engine) as session:
        session.execute(insert(Ticket), rows)
        session.execute(insert(Rating), ratings)


def _rating(
    seq: int, ticket: dict | None, level: str, count: int, day: dt.date
) -> dict[str, object]:
    at = dt.datetime(day.year, day.month, day.day, 18, tzinfo=TZ) + dt.timedelta(seconds=seq)
    t = ticket or {}
    return {
        "id": str(uuid.uuid4()), "seq": seq, "prev_hash": "0" * 64, "hash": f"{seq:064x}",
        "kiosk_id": "kiosk-1", "idempotency_key": f"r{seq}",
        "target": "ticket" if ticket else "self_service_area", "ticket_id": t.get("id"),
        "ticket_number": t.get("number"), "ticket_day": t.get("service_day"),
        "channel": "kiosk", "rater": "anonymous", "rated_at": at, "received_at": at,
        "rating_day": day, "rating_count": count, "level": level, "reasons": "[]",
        "comment": None, "division_code": "000000", "counter": t.get("counter"),
        "staff_id": t.get("staff_id"), "service_id": t.get("service_id"),
        "window_group": t.get("window_group"),
    }  # fmt: skip


def _both(engine: Engine, by: str, d0: dt.date, d1: dt.date) -> tuple[dict, dict]:
    catalog = load_catalog(DEFAULT_PATH)
    live = queue_stats(engine, catalog, TZ, by, d0, d1, live=True)  # type: ignore[arg-type]
    aggregated = queue_stats(engine, catalog, TZ, by, d0, d1, today=TODAY)  # type: ignore[arg-type]
    return live.model_dump(), aggregated.model_dump()


def test_aggregated_figures_equal_the_live_sql_for_every_key_and_range(engine: Engine) -> None:
    last = FIRST + dt.timedelta(days=DAYS - 1)
    ranges = [
        (FIRST, last - dt.timedelta(days=1)),  # closed days only
        (FIRST, last),  # closed days and today (live)
        (FIRST + dt.timedelta(days=2), FIRST + dt.timedelta(days=2)),  # one closed day
        (last, last),  # today only
        (last + dt.timedelta(days=1), last + dt.timedelta(days=3)),  # nothing yet
    ]
    for d0, d1 in ranges:
        for by in BYS:
            live, aggregated = _both(engine, by, d0, d1)
            assert aggregated == live, (by, d0, d1)
    live, _ = _both(engine, "day", FIRST, last)
    assert len(live["rows"]) == DAYS and live["total"]["issued"] > 200
    assert live["total"]["returned"] > 0 and live["total"]["transferred"] > 0
    assert live["total"]["bundle_visits"] > 0 and live["total"]["wait_p90_s"] is not None
    rates = [r["satisfaction_rate"] for r in live["rows"]]
    assert None not in rates and len(set(rates)) > 1  # every day rated, not all alike


def test_days_are_closed_once_and_reopened_days_are_read_again(engine: Engine) -> None:
    catalog = load_catalog(DEFAULT_PATH)
    queue_stats(engine, catalog, TZ, "group", FIRST, TODAY, today=TODAY)
    with transaction(engine, readonly=True) as session:
        closed = sorted(session.scalars(select(StatsClosedDay.service_day)))
        parts = session.scalar(select(func.count()).select_from(StatsDayPart))
    assert closed == [FIRST + dt.timedelta(days=i) for i in range(DAYS - 1)]  # not today
    assert close_days(engine, catalog, TZ, FIRST, TODAY - dt.timedelta(days=1)) == 0
    # A ticket of a closed day changed afterwards: the closed figures stay until reopened.
    day = FIRST + dt.timedelta(days=1)
    with transaction(engine) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.service_day == day)).first()
        assert ticket is not None
        ticket.status, ticket.completed_at, ticket.returned = "no_show", None, False
        ticket.no_show_at = ticket.called_at
    live, aggregated = _both(engine, "day", day, day)
    assert live != aggregated
    reopen_days(engine, day, day)
    live, aggregated = _both(engine, "day", day, day)
    assert live == aggregated
    with transaction(engine, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(StatsDayPart)) == parts


def test_ratings_stored_after_their_day_closed_count_as_in_the_live_sql(engine: Engine) -> None:
    """A rating delivered late for a closed day (a kiosk's offline outbox) and a second
    rating superseding a first rating of a closed day are both counted as the live SQL
    counts them, without reopening the day."""
    catalog = load_catalog(DEFAULT_PATH)
    day = FIRST + dt.timedelta(days=2)
    queue_stats(engine, catalog, TZ, "day", FIRST, TODAY, today=TODAY)  # closes the days
    with transaction(engine, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(StatsDayRating)) > 0
        top = session.scalar(select(func.max(Rating.seq)))
        rated = {r.ticket_id for r in session.scalars(select(Rating)) if r.ticket_id}
        late = session.scalars(
            select(Ticket).where(
                Ticket.service_day == day, Ticket.status == "completed", Ticket.id.not_in(rated)
            )
        ).all()[:3]
        first = session.scalars(
            select(Rating).where(
                Rating.rating_day == day,
                Rating.rating_count == 1,
                Rating.level.in_(("very_satisfied", "satisfied")),
                Rating.ticket_id.not_in(select(Rating.ticket_id).where(Rating.rating_count == 2)),
            )
        ).first()
    assert late and first is not None and top is not None
    before = {by: _both(engine, by, FIRST, TODAY)[1] for by in BYS}
    extra = [
        _rating(top + 1 + i, _ticket_dict(t), "very_dissatisfied", 1, day)
        for i, t in enumerate(late)
    ]
    with transaction(engine, readonly=True) as session:
        ticket = session.get(Ticket, first.ticket_id)
        assert ticket is not None
        extra.append(
            _rating(top + 10, _ticket_dict(ticket), "dissatisfied", 2, TODAY - dt.timedelta(days=1))
        )
    with transaction(engine) as session:
        session.execute(insert(Rating), extra)
    for by in BYS:
        for d0, d1 in ((FIRST, TODAY), (day, day), (FIRST, TODAY - dt.timedelta(days=1))):
            live, aggregated = _both(engine, by, d0, d1)
            assert aggregated == live, (by, d0, d1)
        after = _both(engine, by, FIRST, TODAY)[1]["total"]["satisfaction_rate"]
        assert after != before[by]["total"]["satisfaction_rate"], by
    with transaction(engine, readonly=True) as session:  # no day was closed again
        assert session.scalar(select(func.max(StatsClosedDay.rating_seq))) == top


def _ticket_dict(ticket: Ticket) -> dict[str, object]:
    return {
        c: getattr(ticket, c)
        for c in (
            "id",
            "number",
            "service_day",
            "counter",
            "staff_id",
            "service_id",
            "window_group",
        )
    }


def test_long_ranges_estimate_percentiles_from_bins_within_one_bin(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``EXACT_DAYS`` closed days (here: any) the percentiles come from the parts'
    10-second bins: every count, the average and the maximum stay exact, each percentile
    within one bin of the live SQL's (a wait past the last bin, 4 h, or below zero: that
    bin's edge); no whole array is read."""
    percentiles = ("wait_p50_s", "wait_p90_s", "service_p50_s", "service_p90_s")

    def whole(*_: object) -> None:
        raise AssertionError("the whole arrays were read")

    with monkeypatch.context() as patch:
        patch.setattr(stats_daily, "EXACT_DAYS", 0)
        patch.setattr(stats_daily, "_combine", whole)
        differ = 0
        for by in BYS:
            for d0, d1 in ((FIRST, TODAY), (FIRST, TODAY - dt.timedelta(days=1))):
                live, binned = _both(engine, by, d0, d1)
                assert len(binned["rows"]) == len(live["rows"]), (by, d0, d1)
                for exact, estimate in zip(
                    [*live["rows"], live["total"]], [*binned["rows"], binned["total"]], strict=True
                ):
                    for name in percentiles:
                        a, b = exact.pop(name), estimate.pop(name)
                        assert (a is None) == (b is None), (by, name)
                        if a is not None:
                            edge = a > 4 * 3600 or a < 0
                            assert abs(a - b) <= stats_daily.BIN_S + 0.1 or edge, (by, name)
                            differ += a != b
                    assert estimate == exact, (by, d0, d1)
        assert differ > 0  # estimated, not read exactly
    assert live["total"]["wait_max_s"] > 4 * 3600  # past the last bin
    # Short ranges are exact; parts stored without bins (an older server's) are read
    # whole, exactly too, at any length.
    with transaction(engine) as session:
        session.execute(
            update(StatsDayPart)
            .where(StatsDayPart.service_day == FIRST + dt.timedelta(days=1))
            .values(wait_bins=None)
        )
    for exact_days in (stats_daily.EXACT_DAYS, 0):
        monkeypatch.setattr(stats_daily, "EXACT_DAYS", exact_days)
        for by in ("group", "day"):
            live, aggregated = _both(engine, by, FIRST, TODAY)
            assert aggregated == live, by


def test_closing_around_a_closed_day_counts_its_ratings_once(engine: Engine) -> None:
    """Days 1-2 and 4-5 closed in one chunk around day 3, closed before: day 3's ratings
    are not stored a second time."""
    catalog = load_catalog(DEFAULT_PATH)
    middle = FIRST + dt.timedelta(days=2)
    assert close_days(engine, catalog, TZ, middle, middle) == 1
    for by in ("day", "staff", "counter"):
        live, aggregated = _both(engine, by, FIRST, TODAY)
        assert aggregated == live, by


def test_a_day_closed_meanwhile_by_another_closer_leaves_none_unclosed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another closer (a request, the startup closer) commits a day of this closer's
    chunk first: the chunk rolls back and the days still missing are closed."""
    catalog = load_catalog(DEFAULT_PATH)
    real = stats_daily.read_day_ratings
    raced: list[dt.date] = []

    def racing(session: object, d0: dt.date, d1: dt.date) -> object:
        if not raced:
            raced.append(d0 + dt.timedelta(days=1))
            assert close_days(engine, catalog, TZ, raced[0], raced[0]) == 1
        return real(session, d0, d1)  # type: ignore[arg-type]

    monkeypatch.setattr(stats_daily, "read_day_ratings", racing)
    last = TODAY - dt.timedelta(days=1)
    assert close_days(engine, catalog, TZ, FIRST, last) == DAYS - 2  # one the other's
    with transaction(engine, readonly=True) as session:
        closed = sorted(session.scalars(select(StatsClosedDay.service_day)))
    assert closed == [FIRST + dt.timedelta(days=i) for i in range(DAYS - 1)]
    for by in ("day", "group"):
        live, aggregated = _both(engine, by, FIRST, TODAY)
        assert aggregated == live, by


def test_the_server_closes_past_days_in_the_background_at_startup(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    now = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 15, tzinfo=TZ)
    app = create_app(
        url, clock=lambda: now, migrate_schema=False, id_hash_key=bytes(32),
        close_stats_days=True,
    )  # fmt: skip
    with TestClient(app):
        closer = app.state.stats_closer
        # A request meanwhile closes what it needs itself and is right either way.
        live, aggregated = _both(engine, "group", FIRST, TODAY)
        assert aggregated == live
        closer.thread.join(60)
        assert not closer.thread.is_alive()
    assert closer.closed is not None and closer.closed >= MAX_RANGE_DAYS - (DAYS - 1)
    with transaction(engine, readonly=True) as session:
        closed = set(session.scalars(select(StatsClosedDay.service_day)))
    assert closed == {TODAY - dt.timedelta(days=i) for i in range(1, MAX_RANGE_DAYS + 1)}
    catalog = load_catalog(DEFAULT_PATH)
    assert close_days(engine, catalog, TZ, FIRST, TODAY - dt.timedelta(days=1)) == 0


def test_a_statistics_request_reads_in_one_transaction(engine: Engine) -> None:
    """Once its days are closed, a request opens one transaction (parts, today's tickets,
    ratings, prechecks, labels), not one per part of the answer."""
    catalog = load_catalog(DEFAULT_PATH)
    queue_stats(engine, catalog, TZ, "staff", FIRST, TODAY, today=TODAY)  # closes the days
    begins: list[object] = []

    def count(conn: object) -> None:
        begins.append(conn)

    event.listen(engine, "begin", count)
    try:
        for by in BYS:
            begins.clear()
            queue_stats(engine, catalog, TZ, by, FIRST, TODAY, today=TODAY)  # type: ignore[arg-type]
            assert len(begins) == 1, by
    finally:
        event.remove(engine, "begin", count)
