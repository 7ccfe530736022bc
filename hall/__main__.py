"""Command line of the hall server.

    python -m hall serve --host 0.0.0.0 --port 8080 --database-url URL [--workers N]
        [--no-access-log]
    python -m hall add-kiosk KIOSK_ID      # prints only the new token
    python -m hall add-staff NAME [--number 工号 [--password PW | prompt]] [--supervisor | --auditor]
                                           # prints only the new token
    python -m hall add-evaluator COUNTER   # window evaluator's device token (/rate/)
    python -m hall migrate
    python -m hall verify-ratings          # exit 0 if the rating chain is intact, else 1

The database URL defaults to env HALL_DATABASE_URL, else ``sqlite:///hall.sqlite3`` in the
current directory. Every command migrates the schema first. A wrong URL, an unreachable
database or a bad catalog ends with one line on stderr and exit status 2.
``verify-ratings`` is read-only: it does not migrate.

Throughput: every ``--workers`` process is an event loop of its own (uvloop and httptools
when installed) with its own database connections. PostgreSQL: several workers, and
several ``serve`` processes on one or more machines, share the numbering safely; about
one worker per CPU core that the database leaves free. SQLite: keep one worker — each
process writes through one thread that commits many tickets at once, and processes only
queue on the file lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from contract.errors import ConfigError
from hall.db import (
    DEFAULT_DATABASE_URL,
    DatabaseError,
    add_kiosk,
    add_staff,
    make_engine,
    migrate,
)
from hall.rating_chain import verify_chain

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    default_url = os.environ.get("HALL_DATABASE_URL") or DEFAULT_DATABASE_URL
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--database-url",
        default=default_url,
        help="sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB (default: %(default)s)",
    )
    parser = argparse.ArgumentParser(prog="python -m hall", description="Hall queue server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[db], help="migrate, then run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--catalog", default=None, help="services.toml (default: config/)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--no-access-log",
        action="store_true",
        help="no log line per request (at full load: ~0.1 ms less CPU per request)",
    )

    kiosk = sub.add_parser("add-kiosk", parents=[db], help="create or rotate a kiosk token")
    kiosk.add_argument("kiosk_id")
    staff = sub.add_parser(
        "add-staff",
        parents=[db],
        help="create a member of staff: a token for machines, and with --number a counter sign-in",
    )
    staff.add_argument("name")
    staff.add_argument("--number", default=None, help="工号 to sign in at /counter/ with")
    staff.add_argument(
        "--password",
        default=None,
        help="sign-in password (at least 8 characters); without it, --number prompts for one",
    )
    staff.add_argument(
        "--supervisor", action="store_true", help="may act on every counter's tickets"
    )
    staff.add_argument(
        "--auditor", action="store_true", help="reads everything, changes nothing (审计)"
    )
    evaluator = sub.add_parser(
        "add-evaluator", parents=[db], help="create or rotate a window evaluator's token"
    )
    evaluator.add_argument("counter", help="the counter (window) number it stands at")
    evaluator.add_argument("--catalog", default=None, help="services.toml (default: config/)")
    sub.add_parser("migrate", parents=[db], help="upgrade the database schema to the newest")
    sub.add_parser(
        "verify-ratings",
        parents=[db],
        help="recompute the rating hash chain; exit 1 naming the first bad record",
    )
    return parser


def _prompt_password() -> str:
    import getpass

    first = getpass.getpass("password for the counter sign-in: ")
    if getpass.getpass("the same password again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _verify_ratings(database_url: str) -> int:
    """Print the chain check; 0 when intact, 1 when any rating was edited, deleted or
    reordered (the first bad record is named first)."""
    engine = make_engine(database_url)
    try:
        report = verify_chain(engine)
    finally:
        engine.dispose()
    if report.ok:
        print(
            f"{report.count} ratings verified"
            f" (chain head seq {report.head_seq}, sha256 {report.head_hash})"
        )
        return 0
    first = report.problems[0]
    print(f"rating chain BROKEN: first bad record {first.describe()}")
    print(f"{len(report.problems)} problem(s) in {report.count} ratings:")
    for problem in report.problems[:20]:
        print(f"  {problem.describe()}")
    if len(report.problems) > 20:
        print(f"  … and {len(report.problems) - 20} more")
    return 1


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hall.app import create_app

    migrate(args.database_url)
    # Build once here so a bad catalog, key or database fails now with one clear line
    # (logging is configured only afterwards, so such a failure prints nothing else).
    app = create_app(args.database_url, args.catalog, migrate_schema=False)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    common = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": not args.no_access_log,
        # open board streams (SSE) never end by themselves: close them after 3 s
        "timeout_graceful_shutdown": 3,
    }
    if args.workers <= 1:
        uvicorn.run(app, **common)  # type: ignore[arg-type]
        return
    os.environ["HALL_DATABASE_URL"] = args.database_url
    if args.catalog:
        os.environ["HALL_CATALOG"] = str(args.catalog)
    uvicorn.run("hall.app:app_from_env", factory=True, workers=args.workers, **common)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            _serve(args)
        elif args.command == "add-kiosk":
            migrate(args.database_url)
            print(add_kiosk(args.database_url, args.kiosk_id))
        elif args.command == "add-staff":
            migrate(args.database_url)
            password = args.password
            if args.number is not None and password is None:
                password = _prompt_password()
            token = add_staff(
                args.database_url,
                args.name,
                number=args.number,
                password=password,
                supervisor=args.supervisor,
                auditor=args.auditor,
            )
            print(token)
        elif args.command == "add-evaluator":
            from contract.catalog import DEFAULT_PATH, load_catalog
            from hall.evaluator import add_evaluator

            catalog = load_catalog(args.catalog or DEFAULT_PATH)
            counters = {c for g in catalog.groups for c in g.counters}
            migrate(args.database_url)
            print(add_evaluator(args.database_url, args.counter, counters))
        elif args.command == "migrate":
            migrate(args.database_url)
        elif args.command == "verify-ratings":
            return _verify_ratings(args.database_url)
    except (DatabaseError, ConfigError, ValueError) as exc:
        print(f"hall: error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"hall: database error: {reason}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
