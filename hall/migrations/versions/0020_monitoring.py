"""Kiosk monitoring: latest heartbeat per kiosk and a short problem history.

Revision ID: 0020
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall.models_monitoring  # noqa: F401  (registers the models whenever migrations load)
from hall.models import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kiosk_status",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("outbox_backlog", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("catalog_version", sa.String(64), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_kiosk_status_kiosk_id_kiosks")
        ),
        sa.PrimaryKeyConstraint("kiosk_id", name=op.f("pk_kiosk_status")),
    )
    op.create_table(
        "kiosk_problem_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_kiosk_problem_events_kiosk_id_kiosks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_problem_events")),
    )
    op.create_index(
        "ix_kiosk_problem_events_kiosk", "kiosk_problem_events", ["kiosk_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_kiosk_problem_events_kiosk", table_name="kiosk_problem_events")
    op.drop_table("kiosk_problem_events")
    op.drop_table("kiosk_status")
