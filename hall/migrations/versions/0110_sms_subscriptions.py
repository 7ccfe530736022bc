"""Opt-in text messages: subscriptions (the number encrypted) and their outgoing messages.

See hall/models_sms.py and hall/sms.py.

Revision ID: 0110
Revises: 0100
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall.models_sms  # noqa: F401  (registers the models whenever migrations load)
from hall.models import UTCDateTime

revision: str = "0110"
down_revision: str | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("phone_ciphertext", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ahead_done", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_subscriptions")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_sms_subscriptions_ticket_id")),
    )
    op.create_index(op.f("ix_sms_subscriptions_expires_at"), "sms_subscriptions", ["expires_at"])
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("gave_up", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["sms_subscriptions.id"],
            name=op.f("fk_sms_messages_subscription_id_sms_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_messages_dedupe_key")),
    )
    op.create_index(op.f("ix_sms_messages_subscription_id"), "sms_messages", ["subscription_id"])
    op.create_index("ix_sms_messages_due", "sms_messages", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("sms_messages")
    op.drop_table("sms_subscriptions")
