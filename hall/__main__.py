"""Command line of the hall server.

    python -m hall init [--key-file PATH]  # migrate; create the key file (hall/keys.py)
    python -m hall serve --host 0.0.0.0 --port 8080 --database-url URL [--workers N]
        [--no-access-log] [--key-file PATH] [--certfile PEM --keyfile PEM] [--public-only]
    python -m hall make-ca DIR             # a CA for a hall without its own PKI (hall/tls.py)
    python -m hall make-cert HOST --ca-dir DIR [--ip IP ...]
    python -m hall rotate-keys [--key-file PATH]   # every server stopped first
    python -m hall backup DIR              # SQLite online backup / pg_dump (hall/backup.py)
    python -m hall restore FILE            # servers stopped; then verify-ratings
    python -m hall purge                   # retention (hall/retention.py); prints JSON
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

``serve --public-only`` (PostgreSQL) serves only the citizen's phone pages (``/t/…``,
``/c/…``) and the health check, beside the hall's server on its own port: the port the
public address (``HALL_PUBLIC_URL``, behind the hall's reverse proxy) leads to. The phones
of the whole hall then no longer share an event loop with the kiosks and counters, and
nothing but the phone pages is reachable from outside. Call events reach it by
LISTEN/NOTIFY like any other server process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from contract.errors import ConfigError
from hall.backup import backup, restore
from hall.db import (
    DEFAULT_DATABASE_URL,
    DatabaseError,
    add_kiosk,
    add_staff,
    make_engine,
    migrate,
)
from hall.rating_chain import verify_chain
from hall.retention import purge
from hall.retention import settings_from_env as retention_settings
from hall.tls import make_ca, make_cert

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

    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument(
        "--key-file",
        default=None,
        help="the hall's keys, 0600 (default: env HALL_KEY_FILE, else beside an SQLite file)",
    )
    serve = sub.add_parser("serve", parents=[db, keys], help="migrate, then run the HTTP server")
    serve.add_argument("--certfile", default=None, help="serve HTTPS: certificate chain (PEM)")
    serve.add_argument("--keyfile", default=None, help="serve HTTPS: its private key (PEM)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--catalog", default=None, help="services.toml (default: config/)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--public-only",
        action="store_true",
        help="serve only the citizen's phone pages (PostgreSQL; run beside the hall server)",
    )
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
        "init", parents=[db, keys], help="migrate and create the key file (or adopt old keys)"
    )
    sub.add_parser(
        "rotate-keys",
        parents=[db, keys],
        help="new keys: open cases re-encrypted, old ID hashes expired (stop servers first)",
    )
    backup_p = sub.add_parser("backup", parents=[db], help="back the database up into DIR")
    backup_p.add_argument("dir")
    restore_p = sub.add_parser("restore", parents=[db], help="restore a backup (servers stopped)")
    restore_p.add_argument("file")
    sub.add_parser("purge", parents=[db], help="delete what is past its keeping time")
    make_ca = sub.add_parser("make-ca", help="create a certificate authority in DIR")
    make_ca.add_argument("dir")
    make_cert = sub.add_parser("make-cert", help="a server certificate for HOST, signed by the CA")
    make_cert.add_argument("host")
    make_cert.add_argument("--ca-dir", required=True, help="the directory of make-ca")
    make_cert.add_argument("--ip", action="append", default=[], help="also valid for this IP")
    make_cert.add_argument("--out-dir", default=None, help="default: the CA directory")
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
            + (f"; seq 1–{report.purged} deleted past their keeping time" if report.purged else "")
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


def _init(database_url: str, key_file: str | None) -> int:
    """Migrate, then create the key file (or adopt an older version's keys from the
    database and delete them there); print where the keys are."""
    from hall.keys import default_key_file, resolve_keys

    migrate(database_url)
    engine = make_engine(database_url)
    try:
        keys = resolve_keys(engine, database_url, key_file=key_file)
    finally:
        engine.dispose()
    if os.environ.get("HALL_ID_HASH_KEY"):
        print(f"keys from the environment (fingerprint {keys.fingerprint()[:16]})")
    else:
        path = Path(key_file) if key_file else default_key_file(database_url)
        print(f"key file {path} (fingerprint {keys.fingerprint()[:16]}); back it up apart")
    return 0


def _rotate_keys(database_url: str, key_file: str | None) -> int:
    from hall.keys import default_key_file, resolve_keys, rotate_keys

    path = Path(key_file) if key_file else default_key_file(database_url)
    if path is None:
        raise ConfigError("rotate-keys needs the key file (--key-file or HALL_KEY_FILE)")
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        resolve_keys(engine, database_url, key_file=path)  # the file matches this database
        done = rotate_keys(engine, path)
    finally:
        engine.dispose()
    print(
        f"new keys in {path} (old ones in {path}.old: destroy it once you are sure);"
        f" {done['cases_reencrypted']} open case(s) re-encrypted,"
        f" {done['ticket_id_hashes_expired']} ticket ID hash(es) expired"
    )
    return 0


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from hall.app import create_app

    if bool(args.certfile) != bool(args.keyfile):
        raise ValueError("--certfile and --keyfile go together")
    migrate(args.database_url)
    if args.key_file:
        os.environ["HALL_KEY_FILE"] = str(Path(args.key_file).absolute())  # for the workers
    # Build once here so a bad catalog, key or database fails now with one clear line
    # (logging is configured only afterwards, so such a failure prints nothing else).
    app = create_app(
        args.database_url,
        args.catalog,
        migrate_schema=False,
        key_file=args.key_file,
        close_stats_days=not args.public_only,
        public_only=args.public_only,
    )
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    common = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": not args.no_access_log,
        # open board streams (SSE) never end by themselves: close them after 3 s
        "timeout_graceful_shutdown": 3,
    }
    if args.certfile:
        common["ssl_certfile"] = args.certfile
        common["ssl_keyfile"] = args.keyfile
    if args.workers <= 1:
        uvicorn.run(app, **common)  # type: ignore[arg-type]
        return
    os.environ["HALL_DATABASE_URL"] = args.database_url
    os.environ["HALL_PUBLIC_ONLY"] = "1" if args.public_only else "0"  # never inherited
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
        elif args.command == "init":
            return _init(args.database_url, args.key_file)
        elif args.command == "rotate-keys":
            return _rotate_keys(args.database_url, args.key_file)
        elif args.command == "backup":
            print(backup(args.database_url, Path(args.dir)))
        elif args.command == "restore":
            restore(args.database_url, Path(args.file))
            migrate(args.database_url)  # a backup of an older version: up to this schema
            print(f"restored {args.file}; check it: python -m hall verify-ratings")
        elif args.command == "purge":
            migrate(args.database_url)
            engine = make_engine(args.database_url)
            try:
                done = purge(engine, retention_settings(), dt.datetime.now(dt.UTC))
            finally:
                engine.dispose()
            print(json.dumps(done))
        elif args.command == "make-ca":
            files = make_ca(Path(args.dir))
            print(f"CA certificate (give to every kiosk as [hall] ca_file): {files.cert}")
            print(f"CA key (keep safe, needed for the next certificate): {files.key}")
        elif args.command == "make-cert":
            out = Path(args.out_dir) if args.out_dir else None
            files = make_cert(Path(args.ca_dir), args.host, ips=args.ip, out_dir=out)
            print(f"--certfile {files.cert} --keyfile {files.key}")
    except (DatabaseError, ConfigError, ValueError, OSError) as exc:
        print(f"hall: error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"hall: database error: {reason}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
