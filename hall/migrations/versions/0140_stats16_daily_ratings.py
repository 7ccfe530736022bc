"""Daily pre-aggregated satisfaction and the indexes the wall dashboard needs.

- ``stats_day_ratings``: the ratings of one closed service day per kind (``window``,
  ``service``, ``staff``, ``day``) × key × level (``hall.stats_daily``);
  ``stats_closed_days.rating_seq``: the last rating (chain ``seq``) the day's parts saw, so
  a rating stored later for that day, or a second rating superseding one of its first
  ratings, is added live. The existing closed days are forgotten (an aggregate cache: they
  are closed again, with their ratings, by the next statistics request).
- ``ix_tickets_waiting`` (status, period): who is waiting now, per group (the dashboard,
  the service-level alerts) was a sequential scan of every ticket on PostgreSQL.
- ``ix_ratings_second`` (rating_count, ticket_id): the second ratings that supersede a
  first one, read by every satisfaction figure; ``ix_ratings_day`` becomes
  ``ix_ratings_day_seq`` (rating_day, seq) for the ratings stored after their day closed.

Revision ID: 0140
Revises: 0130
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0140"
down_revision: str | None = "0130"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM stats_day_parts")
    op.execute("DELETE FROM stats_closed_days")
    with op.batch_alter_table("stats_closed_days") as batch:
        batch.add_column(sa.Column("rating_seq", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "stats_day_ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("k", sa.String(64), nullable=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_day_ratings")),
    )
    op.create_index("ix_stats_day_ratings_kind_day", "stats_day_ratings", ["kind", "service_day"])
    op.create_index("ix_tickets_waiting", "tickets", ["status", "period"])
    op.create_index("ix_ratings_second", "ratings", ["rating_count", "ticket_id"])
    op.drop_index("ix_ratings_day", table_name="ratings")
    op.create_index("ix_ratings_day_seq", "ratings", ["rating_day", "seq"])


def downgrade() -> None:
    op.drop_index("ix_ratings_day_seq", table_name="ratings")
    op.create_index("ix_ratings_day", "ratings", ["rating_day"])
    op.drop_index("ix_ratings_second", table_name="ratings")
    op.drop_index("ix_tickets_waiting", table_name="tickets")
    op.drop_index("ix_stats_day_ratings_kind_day", table_name="stats_day_ratings")
    op.drop_table("stats_day_ratings")
    op.execute("DELETE FROM stats_day_parts")
    op.execute("DELETE FROM stats_closed_days")
    with op.batch_alter_table("stats_closed_days") as batch:
        batch.drop_column("rating_seq")
