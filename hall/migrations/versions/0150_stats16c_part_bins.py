"""Wait and service-time bins of the daily statistics parts (``hall.stats_daily``).

``stats_day_parts.wait_bins`` / ``service_bins``: how many of the part's (sorted) waits
and service times fall in each 10-second bin, so a month or a year reads the bins of
every part and then only the values of the bin holding each percentile — still exactly
the live SQL's nearest-rank percentiles — instead of every value. The existing parts have
no bins: the closed days are forgotten (an aggregate cache, as in 0140; with their rating
parts) and closed again, by the server's startup closer or by the next request.

Revision ID: 0150_stats16c
Revises: 0140
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0150_stats16c"
down_revision: str | None = "0140"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _forget() -> None:
    op.execute("DELETE FROM stats_day_parts")
    op.execute("DELETE FROM stats_day_ratings")
    op.execute("DELETE FROM stats_closed_days")


def upgrade() -> None:
    _forget()
    with op.batch_alter_table("stats_day_parts") as batch:
        batch.add_column(sa.Column("wait_bins", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("service_bins", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    _forget()
    with op.batch_alter_table("stats_day_parts") as batch:
        batch.drop_column("service_bins")
        batch.drop_column("wait_bins")
