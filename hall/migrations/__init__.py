"""Alembic migration environment of the hall server (see env.py); run via hall.db.migrate."""
