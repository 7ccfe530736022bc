"""办不成事 cases say what went wrong (issue 17): the catalog item (or "not in the
catalog") and the severity that set the response clock. Existing cases are ordinary and
name no item. The citizen's rating of how a closed case was handled (by case number and
phone tail): the tail's keyed hash, failed tries, the level and when. Cases already in the
database have no tail hash, so they cannot be rated that way.

Revision ID: 0070
Revises: 0060
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0070"
down_revision: str | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("item_id", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("not_in_catalog", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("severity", sa.String(24), server_default="ordinary", nullable=False)
        )
        batch.add_column(sa.Column("phone_tail_hash", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("tail_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("handling_level", sa.String(24), nullable=True))
        batch.add_column(sa.Column("handling_rated_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("handling_rated_at")
        batch.drop_column("handling_level")
        batch.drop_column("tail_failures")
        batch.drop_column("phone_tail_hash")
        batch.drop_column("severity")
        batch.drop_column("not_in_catalog")
        batch.drop_column("item_id")
