"""Staff page logouts: a /staff/ session cookie ended by logout is refused server-side.

The cookie is signed (hall/staff_web.py), so without this a copied cookie kept working for
its 12 hours after logout. Only the SHA-256 of the cookie and its expiry are kept; rows
past their expiry are deleted at the next logout.

Revision ID: 0090
Revises: 0080
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall.models import UTCDateTime

revision: str = "0090"
down_revision: str | None = "0080"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_web_logouts",
        sa.Column("cookie_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("cookie_hash", name=op.f("pk_staff_web_logouts")),
    )


def downgrade() -> None:
    op.drop_table("staff_web_logouts")
