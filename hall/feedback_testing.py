"""Helpers for tests and benchmarks of ratings: served tickets without the HTTP round trips.

A rating needs a ticket that reached a window. Issuing, calling and completing thousands
of tickets over HTTP would dominate a rating benchmark, so ``seed_served_tickets`` inserts
completed tickets straight into the database (prefix ``Z``, their own numbering period, so
they never collide with numbers the queue issues).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert

from hall.db import make_engine, transaction
from hall.models import Ticket


def seed_served_tickets(
    database_url: str,
    kiosk_id: str,
    count: int,
    *,
    staff_id: int | None = None,
    counters: tuple[str, ...] = ("5", "6", "7"),
    service_id: str = "business-license",
    window_group: str = "market",
    day: dt.date | None = None,
    holder_hash: str | None = None,
) -> list[str]:
    """Insert ``count`` completed tickets (numbers Z001 …) and return their ids, in order."""
    now = dt.datetime.now(dt.UTC)
    day = day or now.date()
    period = f"seed{now.strftime('%H%M%S')}"[:10]
    rows = []
    for i in range(count):
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "kiosk_id": kiosk_id,
                "idempotency_key": f"seed-{uuid.uuid4()}",
                "service_id": service_id,
                "window_group": window_group,
                "prefix": "Z",
                "period": period,
                "service_day": day,
                "seq": i + 1,
                "number": f"Z{i + 1:03d}",
                "priority": False,
                "language": "zh",
                "holder_hash": holder_hash,
                "masked_name": None,
                "status": "completed",
                "counter": counters[i % len(counters)],
                "staff_id": staff_id,
                "recall_count": 0,
                "issued_at": now,
                "called_at": now,
                "completed_at": now,
                "no_show_at": None,
            }
        )
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            for start in range(0, len(rows), 1000):
                session.execute(insert(Ticket), rows[start : start + 1000])
    finally:
        engine.dispose()
    return [r["id"] for r in rows]
