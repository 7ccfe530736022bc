"""Statistics: tickets by service day (hall.stats reads a range of days).

Revision ID: 0045
Revises: 0040
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0045"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_service_day", "tickets", ["service_day"])


def downgrade() -> None:
    op.drop_index("ix_tickets_service_day", table_name="tickets")
