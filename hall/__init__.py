"""The hall server: issues queue tickets to kiosks and lets counters call them, and around
that the hall's other services — ratings (kiosk, counter evaluator, phone) and their
follow-ups, 办不成事 cases, pre-checks, help calls, call boards, the citizen's phone pages,
the staff and counter web pages, statistics and the dashboard, SMS reminders.

FastAPI + SQLAlchemy 2 + Alembic; SQLite for a single small hall, PostgreSQL when several
server processes (or a city's halls) share one database. ``create_app`` picks one ticket
store and one rating store for the database (``tickets_sqlite`` / ``tickets_pg``,
``rating_store`` / ``ratings_pg``); the rules they share are plain functions
(``queue_rules``, ``rating_rules``). Entry points:

- ``hall.app.create_app`` builds the ASGI app,
- ``hall.db.migrate`` / ``add_kiosk`` / ``add_staff`` administer a database,
- ``python -m hall serve | migrate | add-kiosk | add-staff | add-evaluator | backup |
  restore | purge | …`` is the command line (``python -m hall --help`` lists it all).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hall-kiosk")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0"
