"""Where a 办不成事 case's handling was rated: ``kiosk`` (case number + phone tail) or
``phone`` (the signed link on the printed slip, hall/case_page.py), so that a second try on
the other channel is told where the first one was made. Ratings made before are NULL.

Revision ID: 0100
Revises: 0090
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100"
down_revision: str | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("handling_channel", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("handling_channel")
