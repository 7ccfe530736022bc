"""Pre-aggregated queue statistics: one row per closed service day × kind × key
(``stats_day_parts``) and the closed days (``stats_closed_days``), so that a month or a
year of statistics reads some thousand small rows instead of a million tickets.

And the 复核 (re-check) step of bad-review follow-ups: after the answer (new status
``answered``) another member of staff re-checks by ``recheck_due_on``, then it is closed.

Revision ID: 0120
Revises: 0110
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0120"
down_revision: str | None = "0110"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "status IN ({})"
_OLD = "'open', 'verified', 'rectified', 'closed'"
_NEW = "'open', 'verified', 'rectified', 'answered', 'closed'"


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
    with op.batch_alter_table("rating_followups", recreate="always") as batch:
        batch.add_column(sa.Column("recheck_due_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("rechecked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("rechecked_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recheck_note", sa.String(500), nullable=True))
        batch.create_foreign_key(
            op.f("fk_rating_followups_rechecked_by_staff"), "staff", ["rechecked_by"], ["id"]
        )
        batch.drop_constraint(op.f("ck_rating_followups_status"), type_="check")
        batch.create_check_constraint(op.f("ck_rating_followups_status"), _STATUSES.format(_NEW))


def downgrade() -> None:
    with op.batch_alter_table("rating_followups", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_rating_followups_status"), type_="check")
        batch.drop_constraint(op.f("fk_rating_followups_rechecked_by_staff"), type_="foreignkey")
        batch.drop_column("recheck_note")
        batch.drop_column("rechecked_by")
        batch.drop_column("rechecked_at")
        batch.drop_column("recheck_due_on")
    op.execute("UPDATE rating_followups SET status = 'closed' WHERE status = 'answered'")
    with op.batch_alter_table("rating_followups", recreate="always") as batch:
        batch.create_check_constraint(op.f("ck_rating_followups_status"), _STATUSES.format(_OLD))
    op.drop_index("ix_stats_day_parts_kind_day", table_name="stats_day_parts")
    op.drop_table("stats_day_parts")
    op.drop_table("stats_closed_days")
