"""The hall server: issues queue tickets to kiosks and lets counters call them.

FastAPI + SQLAlchemy 2 + Alembic; SQLite for a single small hall, PostgreSQL when several
server processes (or a city's halls) share one database. Entry points:

- ``hall.app.create_app`` builds the ASGI app,
- ``hall.db.migrate`` / ``add_kiosk`` / ``add_staff`` administer a database,
- ``python -m hall serve | add-kiosk | add-staff`` is the command line.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hall-kiosk")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0"
