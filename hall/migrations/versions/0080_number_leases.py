"""Number leases: blocks of queue numbers a kiosk issues offline tickets from (issue 14).

Revision ID: 0080
Revises: 0070
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0080"
down_revision: str | None = "0070"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_leases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("window_group", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_number_leases_kiosk_id_kiosks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_leases")),
    )
    op.create_index("ix_number_leases_kiosk", "number_leases", ["kiosk_id", "service_day"])


def downgrade() -> None:
    op.drop_index("ix_number_leases_kiosk", table_name="number_leases")
    op.drop_table("number_leases")
