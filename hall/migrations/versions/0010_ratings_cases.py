"""好差评 ratings (hash chain), their follow-ups, 办不成事 cases.

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
"""prev_hash of rating seq 1 (hall.ratings.GENESIS_HASH; copied: migrations are frozen)."""

_LEVELS = "level IN ('very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied')"


def upgrade() -> None:
    head = op.create_table(
        "rating_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_rating_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])

    op.create_table(
        "ratings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("ticket_number", sa.String(16), nullable=True),
        sa.Column("ticket_day", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rater", sa.String(64), nullable=False),
        sa.Column("rated_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("rating_day", sa.Date(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("reasons", sa.String(400), nullable=False),
        sa.Column("comment", sa.String(200), nullable=True),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("counter", sa.String(16), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("window_group", sa.String(64), nullable=True),
        sa.CheckConstraint(_LEVELS, name=op.f("ck_ratings_level")),
        sa.CheckConstraint(
            "target IN ('ticket', 'self_service_area')", name=op.f("ck_ratings_target")
        ),
        sa.CheckConstraint("rating_count IN (1, 2)", name=op.f("ck_ratings_rating_count")),
        sa.CheckConstraint(
            "(target = 'ticket' AND ticket_id IS NOT NULL)"
            " OR (target = 'self_service_area' AND ticket_id IS NULL)",
            name=op.f("ck_ratings_target_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_ratings_kiosk_id_kiosks")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ratings_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_ratings_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("seq", name=op.f("uq_ratings_seq")),
        sa.UniqueConstraint(
            "kiosk_id", "idempotency_key", name=op.f("uq_ratings_kiosk_idempotency")
        ),
        sa.UniqueConstraint("ticket_id", "rating_count", name=op.f("uq_ratings_ticket_count")),
    )
    op.create_index(op.f("ix_ratings_day"), "ratings", ["rating_day"])

    op.create_table(
        "rating_followups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rating_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("plan_due_on", sa.Date(), nullable=False),
        sa.Column("rectify_due_on", sa.Date(), nullable=False),
        sa.Column("substantiated", sa.Boolean(), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("verify_note", sa.String(500), nullable=True),
        sa.Column("rectified_at", UTCDateTime(), nullable=True),
        sa.Column("rectified_by", sa.Integer(), nullable=True),
        sa.Column("rectify_note", sa.String(500), nullable=True),
        sa.Column("feedback_at", UTCDateTime(), nullable=True),
        sa.Column("feedback_by", sa.Integer(), nullable=True),
        sa.Column("feedback_note", sa.String(500), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'verified', 'rectified', 'closed')",
            name=op.f("ck_rating_followups_status"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["ratings.id"], name=op.f("fk_rating_followups_rating_id_ratings")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["staff.id"], name=op.f("fk_rating_followups_verified_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["rectified_by"], ["staff.id"], name=op.f("fk_rating_followups_rectified_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_by"], ["staff.id"], name=op.f("fk_rating_followups_feedback_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_followups")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_rating_followups_rating_id")),
    )
    op.create_index(
        op.f("ix_rating_followups_status"), "rating_followups", ["status", "plan_due_on"]
    )

    op.create_table(
        "case_sequences",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_case_sequences")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.String(24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("tried_normal_channel", sa.Boolean(), nullable=False),
        sa.Column("overlapping_duties", sa.Boolean(), nullable=False),
        sa.Column("policy_room", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("phone", sa.String(11), nullable=True),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", UTCDateTime(), nullable=True),
        sa.Column("respond_due_at", UTCDateTime(), nullable=False),
        sa.Column("coordinate_due_on", sa.Date(), nullable=False),
        sa.Column("close_due_on", sa.Date(), nullable=False),
        sa.Column("responded_at", UTCDateTime(), nullable=True),
        sa.Column("coordinated_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('submitted', 'taken', 'responded', 'coordinating', 'closed')",
            name=op.f("ck_cases_status"),
        ),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"], name=op.f("fk_cases_kiosk_id_kiosks")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_cases_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["staff.id"], name=op.f("fk_cases_owner_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
        sa.UniqueConstraint("kiosk_id", "idempotency_key", name=op.f("uq_cases_kiosk_idempotency")),
        sa.UniqueConstraint("day", "seq", name=op.f("uq_cases_day_seq")),
    )
    op.create_index(op.f("ix_cases_status"), "cases", ["status", "close_due_on"])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('take', 'respond', 'coordinate', 'close', 'contact_viewed')",
            name=op.f("ck_case_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_case_events_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case"), "case_events", ["case_id", "id"])


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_table("cases")
    op.drop_table("case_sequences")
    op.drop_table("rating_followups")
    op.drop_table("ratings")
    op.drop_table("rating_chain_head")
