"""Window evaluators (现场评价器): device tokens bound to a counter.

Revision ID: 0045
Revises: 0040
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0045"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluators",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["kiosks.id"], name=op.f("fk_evaluators_id_kiosks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluators")),
        sa.UniqueConstraint("counter", name=op.f("uq_evaluators_counter")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_evaluators_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("evaluators")
