"""Alembic revisions of the hall database, applied in order by hall.db.migrate."""
