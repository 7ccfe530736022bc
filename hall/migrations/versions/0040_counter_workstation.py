"""Counter workstation and queue operations: staff sign-in, 挂起, 转窗, 暂停, action log.

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0040"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUS = "status IN ('waiting', 'called', 'completed', 'no_show')"
_NEW_STATUS = "status IN ('waiting', 'called', 'completed', 'no_show', 'held')"
_KINDS = (
    "call", "recall", "no_show", "complete", "transfer", "hold", "resume", "pause", "open",
    "sign_in", "sign_out",
)  # fmt: skip


def _ticket_status(check: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table.
    with op.batch_alter_table("tickets", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_tickets_status"), type_="check")
        batch.create_check_constraint("status", check)


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("number", sa.String(32), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        batch.add_column(
            sa.Column("supervisor", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
    op.create_index("ix_staff_number", "staff", ["number"], unique=True)

    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("transferred_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("transfer_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("target_counter", sa.String(16), nullable=True))
        batch.add_column(sa.Column("held_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("front_at", UTCDateTime(), nullable=True))
    _ticket_status(_NEW_STATUS)

    op.create_table(
        "counter_state",
        sa.Column("counter_id", sa.String(16), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_counter_state_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("counter_id", name=op.f("pk_counter_state")),
    )
    op.create_table(
        "queue_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("counter_id", sa.String(16), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in _KINDS) + ")",
            name=op.f("ck_queue_actions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_queue_actions_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_queue_actions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_actions")),
    )
    op.create_index("ix_queue_actions_counter", "queue_actions", ["counter_id", "at"])
    op.create_index("ix_queue_actions_ticket", "queue_actions", ["ticket_id"])
    op.create_table(
        "counter_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.String(16), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_counter_sessions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_counter_sessions")),
    )
    op.create_index("ix_counter_sessions_staff", "counter_sessions", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_counter_sessions_staff", table_name="counter_sessions")
    op.drop_table("counter_sessions")
    op.drop_index("ix_queue_actions_ticket", table_name="queue_actions")
    op.drop_index("ix_queue_actions_counter", table_name="queue_actions")
    op.drop_table("queue_actions")
    op.drop_table("counter_state")
    op.execute("UPDATE tickets SET status = 'waiting' WHERE status = 'held'")
    _ticket_status(_OLD_STATUS)
    with op.batch_alter_table("tickets") as batch:
        for column in ("front_at", "held_at", "target_counter", "transfer_count", "transferred_at"):
            batch.drop_column(column)
    op.drop_index("ix_staff_number", table_name="staff")
    with op.batch_alter_table("staff") as batch:
        for column in ("locked_until", "failed_logins", "supervisor", "password_hash", "number"):
            batch.drop_column(column)
