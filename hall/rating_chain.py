"""The tamper-evident rating chain: canonical form, hashing, appending, verification.

Ratings decide staff appraisal, so an edited, deleted or reordered rating must be
detectable. Each rating row stores

- ``seq``: 1, 2, 3 … without gaps, in the order the server accepted the ratings,
- ``prev_hash``: the ``hash`` of rating ``seq - 1`` (``GENESIS_HASH`` for seq 1),
- ``hash``: SHA-256 (hex) of the canonical serialisation of all its other columns,
  ``seq`` and ``prev_hash`` included.

Canonical serialisation (``CHAIN_VERSION`` "hall-rating-v1"): the compact JSON array
(no spaces, UTF-8, non-ASCII kept as is)
``["hall-rating-v1", seq, prev_hash, <the columns of TAIL_FIELDS in that order>]``, with
datetimes as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, dates as ``YYYY-MM-DD``, ``reasons`` as
the stored JSON text and NULL as ``null``. ``seq`` (an integer) and ``prev_hash`` (64 hex
digits) come first and need no escaping, so PostgreSQL can splice them in front of the
rest, which Python serialises (``canonical_tail``) — one serialiser, used by both. A new
column means a new version string: old rows keep verifying with the old field list.

Appending is serialised on the single ``rating_chain_head`` row, so two server processes
can never fork the chain, and the head is updated with the rating, so a rolled-back
rating leaves no gap (the head also lets ``verify_chain`` notice deleted *newest* rows):

- PostgreSQL: one statement locks the head (``SELECT … FOR UPDATE`` in a CTE), computes
  the hash (``sha256()``), inserts the rating (and its follow-up) and moves the head. The
  lock is held only while that statement runs — no network round trip inside it.
- SQLite: ``BEGIN IMMEDIATE`` already admits one writer at a time; the hash is computed in
  Python between reading the head and inserting.

What this does not prevent: someone with write access who rewrites every hash from the
tampered row onwards, head included. Against that, record the head hash that
``python -m hall verify-ratings`` prints somewhere outside the database (e.g. with each
upward export) and compare later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from hall.db import transaction
from hall.models import Rating, RatingChainHead, RatingFollowup

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
CHAIN_VERSION = "hall-rating-v1"
TAIL_FIELDS: tuple[str, ...] = (
    "id",
    "kiosk_id",
    "idempotency_key",
    "target",
    "ticket_id",
    "ticket_number",
    "ticket_day",
    "channel",
    "rater",
    "rated_at",
    "received_at",
    "rating_day",
    "rating_count",
    "level",
    "reasons",
    "comment",
    "division_code",
    "counter",
    "staff_id",
    "service_id",
    "window_group",
)
"""Columns serialised after ``seq`` and ``prev_hash``, in this order."""
CHAIN_FIELDS: tuple[str, ...] = ("seq", "prev_hash", *TAIL_FIELDS)
"""Every column of ``ratings`` except ``hash`` itself."""

_RATINGS = Rating.__table__
_HEAD = RatingChainHead.__table__
_FOLLOWUPS = RatingFollowup.__table__


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("rating times must be aware")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _dumps(items: list[Any]) -> str:
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def canonical_tail(values: Mapping[str, Any]) -> str:
    """The canonical form after ``prev_hash``: ``<TAIL_FIELDS values>]`` (no ``[``)."""
    return _dumps([_canonical_value(values[name]) for name in TAIL_FIELDS])[1:]


def canonical_text(values: Mapping[str, Any]) -> str:
    """The canonical serialisation of a rating's columns (see the module docstring)."""
    seq, prev_hash = values["seq"], values["prev_hash"]
    if not isinstance(seq, int) or len(prev_hash) != 64 or prev_hash.strip("0123456789abcdef"):
        raise ValueError("seq must be an integer and prev_hash 64 lower-case hex digits")
    return f'["{CHAIN_VERSION}",{seq},"{prev_hash}",' + canonical_tail(values)


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    return canonical_text(values).encode("utf-8")


def rating_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical form; ``values`` must hold every CHAIN_FIELDS column."""
    return hashlib.sha256(canonical_bytes(values)).hexdigest()


# -- appending ----------------------------------------------------------------------------
_LOCK_HEAD = select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_UPDATE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=bindparam("head_seq"), last_hash=bindparam("head_hash"))
)
_INSERT_RATING = insert(_RATINGS)
_INSERT_FOLLOWUP = insert(_FOLLOWUPS)

_PG_TYPES = {
    "ticket_day": "date",
    "rated_at": "timestamptz",
    "received_at": "timestamptz",
    "rating_day": "date",
    "rating_count": "integer",
    "staff_id": "integer",
}
"""Casts for parameters that are not text (INSERT … SELECT does not infer them)."""


def _pg_append_sql(with_followup: bool) -> str:
    columns = ", ".join(TAIL_FIELDS)
    params = ", ".join(
        f"CAST(:{name} AS {_PG_TYPES[name]})" if name in _PG_TYPES else f"CAST(:{name} AS text)"
        for name in TAIL_FIELDS
    )
    followup = (
        """, new_followup AS (
    INSERT INTO rating_followups (rating_id, status, created_at, plan_due_on, rectify_due_on)
    SELECT CAST(:id AS text), 'open', CAST(:f_created_at AS timestamptz),
           CAST(:f_plan_due_on AS date), CAST(:f_rectify_due_on AS date)
    FROM new_rating
    RETURNING id
)"""
        if with_followup
        else ""
    )
    returned = "(SELECT id FROM new_followup)" if with_followup else "NULL"
    return f"""
WITH head AS (
    SELECT last_seq + 1 AS seq, last_hash AS prev_hash
    FROM rating_chain_head WHERE id = 1
    FOR UPDATE
), chained AS (
    SELECT seq, prev_hash, encode(sha256(convert_to(
        '["{CHAIN_VERSION}",' || seq::text || ',"' || prev_hash || '",' || CAST(:tail AS text),
        'UTF8')), 'hex') AS hash
    FROM head
), new_rating AS (
    INSERT INTO ratings (seq, prev_hash, hash, {columns})
    SELECT seq, prev_hash, hash, {params} FROM chained
    RETURNING seq, prev_hash, hash
), new_head AS (
    UPDATE rating_chain_head SET last_seq = chained.seq, last_hash = chained.hash
    FROM chained WHERE rating_chain_head.id = 1
){followup}
SELECT seq, prev_hash, hash, {returned} AS followup_id FROM new_rating
"""


_PG_APPEND = {flag: text(_pg_append_sql(flag)) for flag in (False, True)}


def append_rating(
    conn: Connection, values: dict[str, Any], followup: dict[str, Any] | None = None
) -> int | None:
    """Chain and insert one rating (and its bad-review follow-up), atomically.

    ``values`` holds every column except ``seq``, ``prev_hash`` and ``hash``; they are
    filled in here (``values`` is updated in place). ``followup``: ``created_at``,
    ``plan_due_on`` and ``rectify_due_on`` of the ``rating_followups`` row to insert with
    it. Returns the follow-up's id, or None.

    PostgreSQL: one statement, atomic even on an autocommit connection. SQLite: call it in
    a write transaction (``hall.db.transaction``), last, as it holds the write lock.
    """
    if conn.dialect.name == "postgresql":
        params = {name: values[name] for name in TAIL_FIELDS}
        params["tail"] = canonical_tail(values)
        if followup is not None:
            params.update({f"f_{key}": value for key, value in followup.items()})
        row = conn.execute(_PG_APPEND[followup is not None], params).one()
        values["seq"], values["prev_hash"], values["hash"] = row.seq, row.prev_hash, row.hash
        return int(row.followup_id) if row.followup_id is not None else None
    head = conn.execute(_LOCK_HEAD).one_or_none()
    if head is None:
        raise RuntimeError("rating_chain_head row missing: the database was not migrated")
    values["seq"] = head.last_seq + 1
    values["prev_hash"] = head.last_hash
    values["hash"] = rating_hash(values)
    conn.execute(_INSERT_RATING, values)
    conn.execute(_UPDATE_HEAD, {"head_seq": values["seq"], "head_hash": values["hash"]})
    if followup is None:
        return None
    row_values = {"rating_id": values["id"], "status": "open", **followup}
    return int(conn.execute(_INSERT_FOLLOWUP, row_values).inserted_primary_key[0])


# -- verification ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored chain disagrees with what was written."""

    seq: int
    ticket_number: str | None
    reason: str

    def describe(self) -> str:
        ticket = f"ticket {self.ticket_number}" if self.ticket_number else "no ticket"
        return f"seq {self.seq} ({ticket}): {self.reason}"


@dataclass
class ChainReport:
    """Result of ``verify_chain``: ``ok`` when no problem was found."""

    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    purged: int = 0  # the oldest ratings, seq 1..purged, deleted by the retention job
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_rows(
    rows: Iterable[Mapping[str, Any]],
    report: ChainReport,
    start_seq: int = 1,
    start_hash: str = GENESIS_HASH,
) -> str:
    """Walk rows in ``seq`` order, appending problems to ``report``; return the last hash.

    Each row is checked against the *stored* hash of the row before it, so one edited row
    is reported once (not every row after it). The chain starts at ``start_seq`` after
    ``start_hash`` when the retention job deleted the oldest ratings.
    """
    expected_seq, prev_hash = start_seq, start_hash
    for row in rows:
        report.count += 1
        seq, number = row["seq"], row["ticket_number"]
        if seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if seq == expected_seq + 1
                else f"seq {expected_seq}–{seq - 1}"
            )
            report.problems.append(
                ChainProblem(seq, number, f"{missing} missing before it (deleted or renumbered)")
            )
        elif row["prev_hash"] != prev_hash:
            report.problems.append(
                ChainProblem(
                    seq, number, "does not follow the record before it (reordered or replaced)"
                )
            )
        if rating_hash(row) != row["hash"]:
            report.problems.append(
                ChainProblem(seq, number, "contents changed since it was written (hash mismatch)")
            )
        expected_seq, prev_hash = seq + 1, row["hash"]
    return prev_hash


def verify_chain(engine: Engine, batch: int = 2000) -> ChainReport:
    """Recompute the whole chain from the database (read-only; streams ``batch`` rows)."""
    report = ChainReport()
    with transaction(engine, readonly=True) as session:
        head = session.execute(
            select(_HEAD.c.last_seq, _HEAD.c.last_hash, _HEAD.c.purged_seq, _HEAD.c.purged_hash)
        ).one_or_none()
        purged = head.purged_seq if head is not None else 0
        start_hash = head.purged_hash if head is not None and purged else GENESIS_HASH
        report.purged = purged
        result = session.execute(
            select(_RATINGS).order_by(_RATINGS.c.seq), execution_options={"yield_per": batch}
        ).mappings()
        last_hash = check_rows(result, report, purged + 1, start_hash)
        last_seq = session.scalar(select(_RATINGS.c.seq).order_by(_RATINGS.c.seq.desc()).limit(1))
    last_seq = last_seq or purged
    if head is None:
        report.problems.append(ChainProblem(last_seq, None, "the chain head row is missing"))
        return report
    report.head_seq, report.head_hash = head.last_seq, head.last_hash
    if head.last_seq > last_seq:
        first_missing = last_seq + 1
        report.problems.append(
            ChainProblem(
                first_missing,
                None,
                f"the newest ratings seq {first_missing}–{head.last_seq} are missing (deleted)",
            )
        )
    elif head.last_seq < last_seq or head.last_hash != last_hash:
        report.problems.append(
            ChainProblem(last_seq, None, "the chain head does not match the newest rating")
        )
    return report
