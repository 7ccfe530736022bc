"""Daily pre-aggregated satisfaction: the ratings of a closed service day, counted per kind
(``window``, ``service``, ``staff``, ``day``) × key × level in ``stats_day_ratings``, so
that a month or a year of ``hall.stats`` reads some thousand small rows instead of every
rating. Closed together with the day's queue parts (``hall.stats_daily.close_days``).

The figures stay EXACTLY those of ``hall.ratings.rating_stats`` (the live SQL), though
ratings can still arrive for a day after it closed (a kiosk's offline outbox delivers a
rating with its own ``rating_day``) and a second rating can supersede a first rating of a
closed day: a closed day remembers the last rating it saw (``stats_closed_days.rating_seq``;
the rating chain's ``seq`` grows in commit order), and a query adds, live,

- the ratings of a closed day stored after it closed (``seq`` > the day's ``rating_seq``,
  index ``ix_ratings_day_seq``: one range per run of days closed together), counted as the
  live SQL counts them, and
- minus each first rating counted in a day's parts whose second rating came after the day
  closed (the few second ratings, index ``ix_ratings_second``).

Ratings deleted after their day closed (``hall.retention``, years later) stay counted in
their day's parts until ``hall.stats_daily.reopen_days``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import Engine, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from hall.db import transaction
from hall.models import Rating, StatsClosedDay, StatsDayRating
from hall.ratings import STATS_KEYS, kept_condition

RatingKind = Literal["window", "service", "staff", "day"]
RATING_KINDS: tuple[RatingKind, ...] = ("window", "service", "staff", "day")
Counts = dict[str | None, dict[str, int]]
"""Key → level → ratings (the key as ``rating_stats`` shows it)."""


def _key_text(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind == "day":
        return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
    return str(value)


def read_day_ratings(
    session: Session, d0: dt.date, d1: dt.date
) -> tuple[int, list[dict[str, Any]]]:
    """The rating parts of days d0..d1 as of now: (last rating seq seen, rows to insert)."""
    upto = int(session.scalar(select(func.coalesce(func.max(Rating.seq), 0))) or 0)
    columns = [STATS_KEYS[kind] for kind in RATING_KINDS]
    query = (
        select(*columns, Rating.level, func.count())
        .where(
            kept_condition(upto),
            Rating.seq <= upto,
            Rating.rating_day >= d0,
            Rating.rating_day <= d1,
        )
        .group_by(*columns, Rating.level)
    )
    parts: dict[tuple[dt.date, str, str | None, str], int] = {}
    for *keys, level, n in session.execute(query):
        day = dt.date.fromisoformat(_key_text("day", keys[-1]) or "")
        for kind, value in zip(RATING_KINDS, keys, strict=True):
            part = (day, kind, _key_text(kind, value), level)
            parts[part] = parts.get(part, 0) + int(n)
    rows = [
        {"service_day": day, "kind": kind, "k": k, "level": level, "n": n}
        for (day, kind, k, level), n in parts.items()
    ]
    return upto, rows


def _add(counts: Counts, rows: Iterable[Any], kind: str | None, sign: int = 1) -> None:
    """Add (key, level, n) rows; ``kind`` None: the key is stored text already."""
    for key, level, n in rows:
        shown = key if kind is None else _key_text(kind, key)
        levels = counts.setdefault(shown, {})
        levels[level] = levels.get(level, 0) + sign * int(n)


def _runs(marks: Iterable[Any]) -> list[tuple[dt.date, dt.date, int]]:
    """(first day, last day, rating_seq) of each run of consecutive closed days with the
    same ``rating_seq`` (days closed together): one index range per run, where a join on
    the closed days made PostgreSQL read every rating of the range."""
    runs: list[list[Any]] = []
    for day, seq in marks:
        day = dt.date.fromisoformat(_key_text("day", day) or "")
        last = runs[-1] if runs else None
        if last is not None and last[2] == seq and (day - last[1]).days == 1:
            last[1] = day
        else:
            runs.append([day, day, seq])
    return [(a, b, int(seq)) for a, b, seq in runs]


def rating_counts(
    engine: Engine,
    kind: RatingKind,
    d0: dt.date,
    d1: dt.date,
    last_closed: dt.date | None,
    session: Session | None = None,
) -> Counts:
    """Ratings per key and level of days d0..d1 (target all), as ``rating_stats`` counts
    them: closed days d0..``last_closed`` (already closed) from their parts plus the live
    corrections, later days live; in ``session`` if given, else in a transaction of its
    own."""
    if session is None:
        with transaction(engine, readonly=True) as own:
            return rating_counts(engine, kind, d0, d1, last_closed, own)
    counts: Counts = {}
    key = STATS_KEYS[kind]
    if last_closed is not None and d0 <= last_closed:
        part = StatsDayRating
        stored = (
            select(part.k, part.level, func.sum(part.n))
            .where(part.kind == kind, part.service_day >= d0, part.service_day <= last_closed)
            .group_by(part.k, part.level)
        )
        _add(counts, session.execute(stored), None)
        closed = StatsClosedDay
        marks = session.execute(
            select(closed.service_day, closed.rating_seq)
            .where(closed.service_day >= d0, closed.service_day <= last_closed)
            .order_by(closed.service_day)
        ).all()
        late_ones = [
            and_(Rating.rating_day >= a, Rating.rating_day <= b, Rating.seq > seq)
            for a, b, seq in _runs(marks)
        ]
        if late_ones:
            late = (
                select(key, Rating.level, func.count())
                .where(or_(*late_ones), kept_condition())
                .group_by(key, Rating.level)
            )
            _add(counts, session.execute(late), kind)
        second = aliased(Rating)
        is_second: Any = second.rating_count == 2
        if session.get_bind().dialect.name == "sqlite":
            # Second ratings are few, but ANALYZE cannot tell SQLite so (one index entry
            # per rating): it scanned a year's first ratings (~160 ms) instead of starting
            # from the index of the second ones.
            is_second = func.likelihood(is_second, literal_column("0.001"))
        superseded = (
            select(key, Rating.level, func.count())
            .join(second, second.ticket_id == Rating.ticket_id)
            .join(closed, closed.service_day == Rating.rating_day)
            .where(
                is_second,
                Rating.rating_count == 1,
                closed.service_day >= d0,
                closed.service_day <= last_closed,
                Rating.seq <= closed.rating_seq,
                second.seq > closed.rating_seq,
            )
            .group_by(key, Rating.level)
        )
        _add(counts, session.execute(superseded), kind, sign=-1)
    live_from = d0 if last_closed is None else max(d0, last_closed + dt.timedelta(days=1))
    if live_from <= d1:
        live = (
            select(key, Rating.level, func.count())
            .where(kept_condition(), Rating.rating_day >= live_from, Rating.rating_day <= d1)
            .group_by(key, Rating.level)
        )
        _add(counts, session.execute(live), kind)
    return {k: levels for k, levels in counts.items() if any(levels.values())}
