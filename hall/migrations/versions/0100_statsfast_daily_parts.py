"""Pre-aggregated queue statistics: one row per closed service day × kind × key
(``stats_day_parts``) and the closed days (``stats_closed_days``), so that a month or a
year of statistics reads some thousand small rows instead of a million tickets.

Revision ID: 0100
Revises: 0090
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0100"
down_revision: str | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_closed_days",
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("service_day", name=op.f("pk_stats_closed_days")),
    )
    op.create_table(
        "stats_day_parts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("k", sa.String(64), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("transferred", sa.Integer(), nullable=False),
        sa.Column("items_handled", sa.Integer(), nullable=False),
        sa.Column("bundle_visits", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("wait_sum", sa.Double(), nullable=False),
        sa.Column("wait_max", sa.Double(), nullable=True),
        sa.Column("waits", sa.LargeBinary(), nullable=False),
        sa.Column("services", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_day_parts")),
    )
    op.create_index("ix_stats_day_parts_kind_day", "stats_day_parts", ["kind", "service_day"])


def downgrade() -> None:
    op.drop_index("ix_stats_day_parts_kind_day", table_name="stats_day_parts")
    op.drop_table("stats_day_parts")
    op.drop_table("stats_closed_days")
