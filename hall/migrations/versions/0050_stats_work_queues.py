"""Statistics and staff work queues: tickets by service day, their first call and 退件
(hall.stats; filled in from queue_actions for existing tickets), the auditor
role, the staff audit log and window-score review tasks (hall.work_queues).

Revision ID: 0050
Revises: 0045
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0050"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode: copying tables that others reference fails on SQLite).
    op.add_column("tickets", sa.Column("first_called_at", UTCDateTime(), nullable=True))
    op.add_column(
        "tickets", sa.Column("returned", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE tickets SET first_called_at = (SELECT MIN(a.at) FROM queue_actions a"
        " WHERE a.ticket_id = tickets.id AND a.kind = 'call') WHERE called_at IS NOT NULL"
        " OR transfer_count > 0"
    )
    op.execute(
        "UPDATE tickets SET returned = TRUE WHERE EXISTS (SELECT 1 FROM queue_actions a"
        " WHERE a.ticket_id = tickets.id AND a.kind = 'complete'"
        " AND a.detail = 'outcome:return')"
    )
    op.create_index("ix_tickets_service_day", "tickets", ["service_day"])
    op.add_column(
        "staff", sa.Column("auditor", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "staff_audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_audit_log_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit_log")),
    )
    op.create_index("ix_staff_audit_log_at", "staff_audit_log", ["at"])
    op.create_table(
        "review_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("previous_score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_review_tasks_status")),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_review_tasks_closed_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_tasks")),
        sa.UniqueConstraint("counter", "period", name="uq_review_tasks_counter_period"),
    )


def downgrade() -> None:
    op.drop_table("review_tasks")
    op.drop_index("ix_staff_audit_log_at", table_name="staff_audit_log")
    op.drop_table("staff_audit_log")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as in 0040.
    op.drop_column("staff", "auditor")
    op.drop_index("ix_tickets_service_day", table_name="tickets")
    op.drop_column("tickets", "returned")
    op.drop_column("tickets", "first_called_at")
