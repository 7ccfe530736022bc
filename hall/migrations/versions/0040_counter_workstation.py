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


def _ticket_status(old: str, new: str) -> None:
    """Change the CHECK constraint on tickets.status.

    SQLite cannot alter a constraint, and copying the table (batch mode) would drop a
    table that ratings, prechecks and cases reference, which its foreign keys refuse
    inside the migration's transaction. So on SQLite the table's stored definition is
    edited in place, by the procedure SQLite documents for changing CHECK constraints
    (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
    Changes"): every existing row satisfies the new constraint ('held' is new; the
    downgrade first turns held tickets back into waiting ones).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_tickets_status"), "tickets", type_="check")
        op.create_check_constraint("status", "tickets", new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        changed = bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?)"
            " WHERE type = 'table' AND name = 'tickets' AND instr(sql, ?) > 0",
            (old, new, old),
        ).rowcount
        if changed != 1:
            raise RuntimeError("tickets.status CHECK constraint not found as expected")
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode: copying tables that others reference fails on SQLite).
    for column in (
        sa.Column("number", sa.String(32), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("supervisor", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
    ):
        op.add_column("staff", column)
    op.create_index("ix_staff_number", "staff", ["number"], unique=True)

    for column in (
        sa.Column("transferred_at", UTCDateTime(), nullable=True),
        sa.Column("transfer_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("target_counter", sa.String(16), nullable=True),
        sa.Column("held_at", UTCDateTime(), nullable=True),
        sa.Column("front_at", UTCDateTime(), nullable=True),
    ):
        op.add_column("tickets", column)
    _ticket_status(_OLD_STATUS, _NEW_STATUS)

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
    _ticket_status(_NEW_STATUS, _OLD_STATUS)
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): batch mode would copy and drop tables
    # that other tables' foreign keys reference.
    op.drop_index("ix_staff_number", table_name="staff")
    for table, columns in (
        ("tickets", ("front_at", "held_at", "target_counter", "transfer_count", "transferred_at")),
        ("staff", ("locked_until", "failed_logins", "supervisor", "password_hash", "number")),
    ):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
