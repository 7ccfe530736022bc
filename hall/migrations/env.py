"""Alembic environment, configured in code by ``hall.db.migrate`` (no alembic.ini).

``hall.db.migrate`` opens the connection, takes the migration lock and passes the
connection in ``config.attributes["connection"]``; all revisions then run in that one
transaction. For ``alembic revision --autogenerate`` during development, pass the URL with
``-x url=sqlite:///dev.sqlite3``.
"""

from __future__ import annotations

from alembic import context

from hall.db import make_engine
from hall.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or "sqlite:///hall.sqlite3"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; give a database URL")
run_migrations_online()
