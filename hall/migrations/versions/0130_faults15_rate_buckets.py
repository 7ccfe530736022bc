"""Rate-limit buckets shared by the server processes on PostgreSQL (hall/ratelimit_pg.py).

UNLOGGED: a bucket is worth nothing after a crash (it refills within minutes), so it is
written without WAL — cheap, and emptied by crash recovery. One row per limit kind and key
(a client address or a token's SHA-256): tokens left and when they were counted. SQLite (one
server process) keeps its limits in memory and gets no table.

Revision ID: 0130
Revises: 0120
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0130"
down_revision: str | None = "0120"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE UNLOGGED TABLE rate_buckets ("
        " kind text NOT NULL,"
        " key text NOT NULL,"
        " tokens double precision NOT NULL,"
        " granted integer NOT NULL DEFAULT 0,"
        " at timestamptz NOT NULL,"
        " CONSTRAINT pk_rate_buckets PRIMARY KEY (kind, key))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE rate_buckets")
