"""Secrets apart from data: open cases' phone numbers encrypted, closed cases' erased;
the rating chain's retention anchor (``rating_chain_head.purged_seq``/``purged_hash``).

The keys themselves move from ``server_secrets`` into the key file at the first start
(``hall.keys.resolve_keys``: it needs the file, which a migration does not know), and the
plain phone numbers of open cases are encrypted then too. This migration adds the column
for the ciphertext and deletes what a closed case still kept of its phone number.

Revision ID: 0060
Revises: 0050
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("phone_ciphertext", sa.String(96), nullable=True))
        batch.alter_column("phone_masked", existing_type=sa.String(16), nullable=True)
        batch.alter_column("phone_hash", existing_type=sa.String(64), nullable=True)
    op.execute(
        "UPDATE cases SET phone = NULL, phone_masked = NULL, phone_hash = NULL"
        " WHERE status = 'closed'"
    )
    with op.batch_alter_table("rating_chain_head") as batch:
        batch.add_column(sa.Column("purged_seq", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("purged_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rating_chain_head") as batch:
        batch.drop_column("purged_hash")
        batch.drop_column("purged_seq")
    op.execute("UPDATE cases SET phone_masked = '', phone_hash = '' WHERE phone_masked IS NULL")
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("phone_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("phone_masked", existing_type=sa.String(16), nullable=False)
        batch.drop_column("phone_ciphertext")
