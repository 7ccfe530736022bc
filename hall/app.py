"""The hall server's HTTP API (FastAPI); documented at /openapi.json and /docs.

Paths are stable (``/api/v1/...``); kiosks and the staff pages depend on them. Endpoints
are plain ``def`` functions: FastAPI runs them in its thread pool, each with a short
database transaction. Issuing a ticket, the hot path, is ``async``
(``TicketStore.issue_async``): one statement from the event loop on PostgreSQL, a writer
thread committing several kiosks' tickets at once on SQLite. The ticket and rating stores
of the database's backend are chosen once, here (``make_stores``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from contract.api import Health, TicketOut, TicketRequest
from contract.catalog import DEFAULT_PATH as DEFAULT_CATALOG_PATH
from contract.catalog import Catalog, load_catalog
from contract.errors import ConfigError
from contract.fields import CounterId, TicketId
from hall import __version__, queue_ops
from hall.announcements import Announcer, warm_on_calls
from hall.announcements import router as announcements_router
from hall.api_docs import router as api_docs_router
from hall.auth import AnyPrincipal, StaffPrincipal, VerifiedKiosk
from hall.board import router as board_router
from hall.body_limit import BodyLimitMiddleware, max_body_from_env
from hall.case_page import router as case_page_router
from hall.catalog_api import router as catalog_router
from hall.counter_bodies import CounterStatus, TransferRequest
from hall.counter_web import router as counter_web_router
from hall.dashboard import router as dashboard_router
from hall.db import AsyncPgPool, database_kind, make_engine, migrate
from hall.evaluator import router as evaluator_router
from hall.events import make_event_hub
from hall.feedback import feedback_router
from hall.help import router as help_router
from hall.keys import resolve_keys
from hall.monitoring import router as monitoring_router
from hall.numbering import DEFAULT_TIMEZONE, service_day
from hall.offline import router as offline_router
from hall.phone import install as install_phone
from hall.phone import router as phone_router
from hall.phone import with_public_url
from hall.precheck import router as precheck_router
from hall.queue_rules import (
    CounterPaused,
    IdempotencyConflict,
    InvalidTransition,
    KioskNotAuthorized,
    NotYourTicket,
    QueueError,
    TicketNotFound,
    UnknownCounter,
    UnknownGroup,
    UnknownService,
)
from hall.ratelimit import Limit, RateLimits, limits_from_env
from hall.ratelimit_pg import SharedStore
from hall.rating_store import RatingStore, SqlRatingStore
from hall.ratings_pg import PgRatingStore
from hall.retention import router as retention_router
from hall.service_levels import router as service_levels_router
from hall.service_levels import thresholds_from_env
from hall.sms import install as install_sms
from hall.sms import router as sms_router
from hall.staff_web import router as staff_web_router
from hall.stats import router as stats_router
from hall.stats import session_router as stats_session_router
from hall.tickets import SqlTicketStore, TicketStore
from hall.tickets_pg import PostgresTicketStore
from hall.tickets_sqlite import SqliteTicketStore
from hall.work_queues import router as work_queues_router
from hall.work_queues import window_score_min_from_env

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

_ERROR_STATUS: dict[type[QueueError], int] = {
    UnknownService: status.HTTP_422_UNPROCESSABLE_CONTENT,
    UnknownCounter: status.HTTP_404_NOT_FOUND,
    TicketNotFound: status.HTTP_404_NOT_FOUND,
    InvalidTransition: status.HTTP_409_CONFLICT,
    IdempotencyConflict: status.HTTP_409_CONFLICT,
    UnknownGroup: status.HTTP_422_UNPROCESSABLE_CONTENT,
    NotYourTicket: status.HTTP_403_FORBIDDEN,
    CounterPaused: status.HTTP_409_CONFLICT,
}


def error_status(exc: QueueError) -> int:
    """The HTTP status of a queue error (also for the counter page's actions)."""
    return _ERROR_STATUS.get(type(exc), status.HTTP_409_CONFLICT)


FULL_GC_EVERY = 100
"""The server's third GC threshold: a full collection at most once per this many
collections of the middle generation (Python's default is 10); see ``lifespan``."""


def _freeze_when_done(loop: asyncio.AbstractEventLoop, serving: Callable[[], bool]) -> Any:
    """A future's done-callback: ``gc.freeze()`` on ``loop`` while ``serving()`` (the
    objects a background load made stay out of every later collection; nothing once the
    app has stopped and unfrozen, or its loop has closed)."""

    def freeze() -> None:
        if serving():
            gc.freeze()

    def done(_future: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
            loop.call_soon_threadsafe(freeze)

    return done


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def current_time(request: Request) -> dt.datetime:
    """The request's "now" (aware). Tests replace it via ``create_app(clock=...)``.

    ``async`` like ``get_queue``: FastAPI runs a plain ``def`` dependency in its thread
    pool, a thread round trip per request for a one-line function.
    """
    now = request.app.state.clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return aware datetimes")
    return now


async def get_queue(request: Request) -> TicketStore:
    return request.app.state.queue


Now = Annotated[dt.datetime, Depends(current_time)]
QueueDep = Annotated[TicketStore, Depends(get_queue)]


def make_stores(
    engine: Engine, catalog: Catalog, tz: ZoneInfo, id_hash_key: bytes
) -> tuple[TicketStore, RatingStore, AsyncPgPool | None]:
    """The ticket and rating stores of this database's backend, and the PostgreSQL
    fast-path connections they share (None elsewhere; the caller closes them)."""
    backend = engine.dialect.name
    if backend == "postgresql":
        pool = AsyncPgPool(engine)
        tickets = PostgresTicketStore(engine, catalog, tz, id_hash_key, pool)
        return tickets, PgRatingStore(engine, pool), pool
    if backend == "sqlite":
        return SqliteTicketStore(engine, catalog, tz, id_hash_key), SqlRatingStore(engine), None
    return SqlTicketStore(engine, catalog, tz, id_hash_key), SqlRatingStore(engine), None


def create_app(
    database_url: str,
    catalog_path: str | Path | None = None,
    *,
    id_hash_key: bytes | None = None,
    key_file: str | Path | None = None,
    clock: Clock | None = None,
    timezone: str | None = None,
    migrate_schema: bool = True,
    rate_limits: dict[str, Limit] | bool | None = None,
    close_stats_days: bool = False,
    public_only: bool = False,
) -> FastAPI:
    """Build the hall server app on one database.

    ``timezone`` (default env HALL_TIMEZONE or Asia/Shanghai) decides the service day.
    ``migrate_schema`` upgrades the schema first (a no-op when already at head).
    Keys (``hall.keys``): ``id_hash_key`` (tests, embedders), else env HALL_ID_HASH_KEY,
    else ``key_file`` / env HALL_KEY_FILE / beside an SQLite file (created on first use).
    ``rate_limits`` (hall/ratelimit.py): None — the defaults unless HALL_RATE_LIMITS=off;
    False — none; a dict — those limits over the defaults.
    ``close_stats_days`` (the server: ``serve`` and its workers) closes the past service
    days' statistics in a background thread at startup (``start_stats_closer``).
    ``public_only`` (``serve --public-only``) serves only what faces the public — the
    citizen's phone pages (``/t/…``, ``/c/…``, ``/phone/static/…``) and the health check —
    so that the kiosks' and counters' requests do not share an event loop with every
    phone of the hall; PostgreSQL only (the call events reach it by LISTEN/NOTIFY).
    Raises ConfigError (catalog, key, time zone) or hall.db.DatabaseError.
    """
    catalog = load_catalog(catalog_path or DEFAULT_CATALOG_PATH)
    tz_name = timezone or os.environ.get("HALL_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"time zone {tz_name!r} is unknown (e.g. Asia/Shanghai)") from None
    if migrate_schema:
        migrate(database_url)
    engine = make_engine(database_url)
    if public_only and engine.dialect.name != "postgresql":
        engine.dispose()
        raise ConfigError(
            "--public-only needs PostgreSQL: on SQLite the call events never leave the"
            " process that made them, so a phone page served apart would never be called"
        )
    keys = resolve_keys(engine, database_url, id_hash_key=id_hash_key, key_file=key_file)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The ~100k objects of the loaded modules and the app live as long as the server;
        # frozen, a full garbage collection no longer walks them (≈100 ms, a latency spike
        # for every request in flight).
        gc.freeze()
        # What stays young after that is mostly the open connections' state (a push
        # stream is ~230 tracked objects: 500 phones' are ~120k), which a full collection
        # walks — ~50 ms on a busy 2-core machine, in every request in flight. Full
        # collections at most every FULL_GC_EVERY younger ones instead of every 10
        # (cycles among long-lived objects are freed a minute later instead of seconds).
        thresholds, stopped = gc.get_threshold(), False
        gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_GC_EVERY))
        _app.state.events.start()
        wait_listening = getattr(_app.state.events, "wait_listening", None)
        if wait_listening is not None:  # PostgreSQL: listen before the first request
            await asyncio.to_thread(wait_listening, 5.0)
        # the spoken calls are the boards', not the public process's
        primed = None if public_only else _app.state.announcer.start()
        if primed is not None:
            # pypinyin's dictionaries (~190k lists, loaded by the priming in the background)
            # live as long as the server too: frozen as well once loaded, or every full
            # collection walks them (measured 60–230 ms under the phone benchmark's load,
            # the page's p99; benchmarks/phone_page.py)
            primed.add_done_callback(
                _freeze_when_done(asyncio.get_running_loop(), lambda: not stopped)
            )
        # every call and recall is synthesised at once, before the boards ask for it
        warming = None if public_only else asyncio.create_task(warm_on_calls(_app))
        _app.state.phone_view.attach()  # the phone pages' snapshots listen to the hub
        closer = start_stats_closer(_app) if close_stats_days else None
        try:
            yield
        finally:
            if closer is not None:
                closer.stop()
            _app.state.phone_view.close()
            stopped = True
            gc.unfreeze()
            gc.set_threshold(*thresholds)
            if warming is not None:
                warming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await warming
        await _app.state.queue.aclose()
        await _app.state.ratings.aclose()
        if pg_pool is not None:
            await pg_pool.close()
        await _app.state.events.aclose()
        if _app.state.rate_store is not None:
            await _app.state.rate_store.close()
        _app.state.announcer.close()
        engine.dispose()

    app = FastAPI(
        title="Hall server",
        version=__version__,
        summary="Queue tickets for the kiosks and counters of a government service hall",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs and /redoc load scripts from a CDN: hall/api_docs.py
        redoc_url=None,
        openapi_url=None if public_only else "/openapi.json",  # the public side: pages only
    )
    app.state.engine = engine
    app.state.catalog = catalog
    app.state.clock = clock or utc_now
    app.state.keys = keys
    app.state.queue, app.state.ratings, pg_pool = make_stores(engine, catalog, tz, keys.id_hash)
    app.state.pg_pool = pg_pool  # PostgreSQL: also the token look-up's (hall/auth.py)
    # pushed to boards, counters, evaluators (hall/events.py): LISTEN/NOTIFY across the
    # server processes on PostgreSQL, an in-process hub on SQLite
    app.state.events = make_event_hub(engine)
    app.state.announcer = Announcer.from_env(database_url)  # spoken calls (hall/announcements.py)
    app.state.service_levels = thresholds_from_env()  # ConfigError now, not at first use
    app.state.window_score_min = window_score_min_from_env()  # the same
    # PostgreSQL: the rate-limit buckets are shared by all server processes
    # (hall/ratelimit_pg.py): the hall-wide limits' and the phone page's;
    # HALL_RATE_LIMIT_STORE=memory keeps them per process (one process, or measuring)
    app.state.rate_store = None
    if (
        engine.dialect.name == "postgresql"
        and os.environ.get("HALL_RATE_LIMIT_STORE", "database").lower() != "memory"
    ):
        app.state.rate_store = SharedStore(engine)
    install_phone(app)  # HALL_PUBLIC_URL and the phone page's rate limit (hall/phone.py)
    install_sms(app)  # the text message gateway's settings (hall/sms.py)
    _install_error_handlers(app)
    _declare_error_bodies(app)
    if rate_limits is None:
        try:
            from_env = limits_from_env()
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        rate_limits = False if from_env is None else from_env
    if rate_limits is not False:
        app.add_middleware(
            RateLimits,
            limits=rate_limits if isinstance(rate_limits, dict) else None,
            shared=app.state.rate_store,
        )
    # Added last, so outermost of the app's own middleware: runs before routing, the rate
    # limits and any token check.
    if max_body := max_body_from_env():
        app.add_middleware(BodyLimitMiddleware, max_bytes=max_body)
    _add_health(app)
    if public_only:
        app.include_router(phone_router)
        app.include_router(case_page_router)
        log.info("hall public server ready (phone pages only): catalog %s", catalog.version)
        return app
    _add_routes(app)
    app.include_router(help_router)
    app.include_router(precheck_router)
    app.include_router(feedback_router(app))
    app.include_router(monitoring_router)
    app.include_router(offline_router)
    app.include_router(catalog_router)
    app.include_router(staff_web_router)
    app.include_router(counter_web_router)
    app.include_router(board_router)
    app.include_router(announcements_router)
    app.include_router(evaluator_router)
    app.include_router(stats_router)
    app.include_router(stats_session_router)
    app.include_router(service_levels_router)
    app.include_router(dashboard_router)
    app.include_router(work_queues_router)
    app.include_router(retention_router)  # the daily purge (hall/retention.py)
    app.include_router(api_docs_router)  # /docs, served locally
    app.include_router(phone_router)
    app.include_router(case_page_router)  # a case's page on the citizen's phone
    app.include_router(sms_router)  # opt-in text messages and their sender (hall/sms.py)
    log.info("hall server ready: %s, catalog %s", database_kind(engine), catalog.version)
    return app


_CLOSER_LOCK = 16_0150
"""PostgreSQL advisory lock key of the startup closer."""


class StatsCloser:
    """The startup closer's thread (``hall.stats_daily.close_past_days``)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._stop = threading.Event()
        self.closed: int | None = None
        """Days closed, once done (None while running or after a failure)."""
        self.thread = threading.Thread(target=self._run, name="stats-closer", daemon=True)

    def _run(self) -> None:
        from hall.stats import MAX_RANGE_DAYS
        from hall.stats_daily import close_past_days

        app = self._app
        queue = app.state.queue
        engine = app.state.engine
        try:
            with contextlib.ExitStack() as stack:
                if engine.dialect.name == "postgresql":
                    # One closer for all the server's worker processes: the others skip.
                    conn = stack.enter_context(engine.connect())
                    if not conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": _CLOSER_LOCK}
                    ).scalar():
                        self.closed = 0
                        return
                    conn.commit()  # the lock is the session's; no transaction left open
                    stack.callback(
                        conn.execute, text("SELECT pg_advisory_unlock(:k)"), {"k": _CLOSER_LOCK}
                    )
                today = service_day(app.state.clock(), queue.tz)
                self.closed = close_past_days(
                    engine, queue.catalog, queue.tz, today, MAX_RANGE_DAYS, self._stop
                )
            log.info("statistics: %d past days closed at startup", self.closed)
        except Exception as exc:  # noqa: BLE001 - requests close what they need themselves
            log.warning("statistics: closing past days at startup stopped (%s)", type(exc).__name__)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the chunk in hand (one transaction) and wait for it."""
        self._stop.set()
        self.thread.join(timeout)


def start_stats_closer(app: FastAPI) -> StatsCloser:
    """Close the past ``MAX_RANGE_DAYS`` service days' statistics in a background thread
    with its own transactions: requests are served meanwhile (one reaching an unclosed day
    closes it itself, correctly; ``hall.stats_daily.close_days``). Without it the first
    statistics request after migration 0140 (which forgot the stored days) or after a long
    shutdown closed up to a year of days, tens of seconds."""
    closer = StatsCloser(app)
    app.state.stats_closer = closer
    closer.thread.start()
    return closer


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` worker processes; ``serve`` sets the env vars."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(
        os.environ["HALL_DATABASE_URL"],
        os.environ.get("HALL_CATALOG") or None,
        migrate_schema=False,
        close_stats_days=os.environ.get("HALL_PUBLIC_ONLY") != "1",
        public_only=os.environ.get("HALL_PUBLIC_ONLY") == "1",
    )


DATABASE_UNAVAILABLE_RETRY_S = 2


def _database_unavailable_errors() -> tuple[type[BaseException], ...]:
    """What a route raises when the database cannot answer now (restarting, unreachable,
    its connections broken, the pool exhausted): answered 503, not 500."""
    from sqlalchemy import exc as sa_exc

    errors: list[type[BaseException]] = [
        sa_exc.OperationalError,  # connection refused or lost; SQLite still locked
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,  # the engine's pool: no connection within pool_timeout
        sa_exc.InvalidatePoolError,
    ]
    try:
        import psycopg

        errors.append(psycopg.OperationalError)  # the PostgreSQL fast path (hall/db.py)
    except ImportError:  # no PostgreSQL driver: SQLite only
        pass
    return tuple(errors)


def _install_error_handlers(app: FastAPI) -> None:
    async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL restarting under the server: a clear, quick answer the kiosk's outbox
        # retries; the pools reconnect by themselves once it is back (pool_pre_ping, and
        # AsyncPgPool drops broken connections). No 500, no hang.
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            {"detail": "database unavailable; try again shortly", "code": "database_unavailable"},
            status_code=503,
            headers={"Retry-After": str(DATABASE_UNAVAILABLE_RETRY_S)},
        )

    for error in _database_unavailable_errors():
        app.add_exception_handler(error, _database_unavailable)

    @app.exception_handler(QueueError)
    async def _queue_error(_request: Request, exc: QueueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=error_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each offending input back; an input may be an ID number.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)


def _declare_error_bodies(app: FastAPI) -> None:
    """Declare the 422 body as the routes send it: the validation errors (a list of
    ``{loc, msg, type}``), or a rule's refusal (``{"detail": "message", "code": ...}``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        invalid = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if invalid is not None:
            listed = invalid["properties"]["detail"]
            invalid["properties"]["detail"] = {
                "anyOf": [listed, {"type": "string", "maxLength": 2000}],
                "title": "Detail",
            }
            invalid["properties"]["code"] = {"type": "string", "title": "Code"}
        _declare_common_statuses(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_ERROR_BODY = {
    "type": "object",
    "properties": {"detail": {"title": "Detail"}, "code": {"type": "string"}},
    "required": ["detail"],
}

_COMMON_STATUSES = {
    "400": "the body is not readable (not UTF-8 JSON, or not the declared content type)",
    "401": "missing or unknown token, or no session",
    "403": "a token of the wrong kind, or not this caller's record",
    "404": "no such record",
    "413": "request body too large",
    "429": "too many requests (hall/ratelimit.py); Retry-After says when to try again",
    "503": "the database is unavailable for a moment (e.g. restarting); retry after Retry-After",
}


def _declare_common_statuses(schema: dict[str, Any]) -> None:
    """Declare what any operation of its kind may answer: 429 (rate limits) and 503 (the
    database restarting) everywhere,
    400 and 413 with a body, 401/403 with a token, 404 with a path parameter."""
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["429", "503"]
            if "requestBody" in operation:
                codes += ["400", "413"]
            if operation.get("security"):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            for code in codes:
                operation["responses"].setdefault(
                    code,
                    {
                        "description": _COMMON_STATUSES[code],
                        "content": {"application/json": {"schema": _ERROR_BODY}},
                    },
                )


def _add_health(app: FastAPI) -> None:
    @app.get("/api/v1/health", response_model=Health, tags=["health"])
    async def health(request: Request) -> Health:
        """Liveness for kiosks and monitoring; no authentication."""
        return Health(
            status="ok",
            version=__version__,
            database=database_kind(request.app.state.engine),  # type: ignore[arg-type]
            catalog_version=request.app.state.catalog.version,
        )


def _add_routes(app: FastAPI) -> None:
    prefix = "/api/v1"

    @app.post(
        f"{prefix}/tickets",
        response_model=TicketOut,
        status_code=status.HTTP_201_CREATED,
        tags=["tickets"],
        responses={
            200: {"model": TicketOut, "description": "retry: the ticket this key already got"},
            409: {"description": "idempotency key reused for another service"},
            422: {"description": "unknown service_id or invalid body"},
        },
    )
    async def issue_ticket(
        body: TicketRequest, request: Request, response: Response, kiosk: VerifiedKiosk
    ) -> TicketOut:
        """Issue a queue ticket (kiosk token). Retrying with the same key is safe."""
        # The hot path: queue and clock are read here rather than injected, as each
        # dependency costs FastAPI's resolver tens of microseconds per request.
        queue: TicketStore = request.app.state.queue
        now = await current_time(request)
        try:
            ticket, created = await queue.issue_async(
                kiosk.id, body, now, token_hash=kiosk.token_hash
            )
        except KioskNotAuthorized:
            raise kiosk.rejected() from None
        if not created:
            response.status_code = status.HTTP_200_OK
        # the QR's signed link to the citizen's phone page (hall/phone.py), if configured
        return with_public_url(request.app, ticket)

    @app.get(f"{prefix}/tickets/{{ticket_id}}", response_model=TicketOut, tags=["tickets"])
    def read_ticket(
        ticket_id: TicketId, request: Request, _who: AnyPrincipal, queue: QueueDep
    ) -> TicketOut:
        """A ticket with its live position in the queue (and its phone link)."""
        return with_public_url(request.app, queue.get(ticket_id))

    @app.post(
        f"{prefix}/counters/{{counter_id}}/call-next",
        response_model=TicketOut,
        tags=["counters"],
        responses={
            204: {"description": "nobody is waiting"},
            404: {"description": "no such counter"},
        },
    )
    async def call_next(
        counter_id: CounterId, request: Request, staff: StaffPrincipal, now: Now
    ) -> Any:
        """Call the next waiting ticket of this counter's window groups (staff token), by
        the call rule of ``hall.call_order``; 409 while the counter is paused."""
        ticket = await queue_ops.call_next_async(request.app, counter_id, int(staff.id), now)
        if ticket is None:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        return ticket

    @app.post(
        f"{prefix}/counters/{{counter_id}}/call/{{ticket_id}}",
        response_model=TicketOut,
        tags=["counters"],
        responses={
            404: {"description": "no such counter or ticket"},
            409: {"description": "not waiting, not this counter's queue, or counter paused"},
        },
    )
    def call_chosen(
        counter_id: CounterId,
        ticket_id: TicketId,
        request: Request,
        staff: StaffPrincipal,
        now: Now,
    ) -> TicketOut:
        """指定叫号: call this waiting ticket of the counter's queues out of order (staff)."""
        return queue_ops.call_ticket(request.app, counter_id, ticket_id, int(staff.id), now)

    for paused, verb in ((True, "pause"), (False, "open")):
        _add_counter_route(app, prefix, verb, paused)

    @app.get(f"{prefix}/counters/{{counter_id}}", response_model=CounterStatus, tags=["counters"])
    def counter_status(counter_id: CounterId, _staff: StaffPrincipal, queue: QueueDep) -> Any:
        """A counter: open or on break, who is on duty, the groups it calls (staff)."""
        return queue.counter_status(counter_id)

    for action in ("recall", "no-show", "complete", "hold", "resume"):
        _add_action_route(app, prefix, action)

    @app.post(
        f"{prefix}/tickets/{{ticket_id}}/transfer",
        response_model=TicketOut,
        tags=["counters"],
        responses={
            403: {"description": "another counter's ticket"},
            404: {"description": "no such ticket or counter"},
            409: {"description": "not called or held, or the target counter is paused"},
            422: {"description": "unknown group, or not exactly one of to_group / to_counter"},
        },
    )
    def transfer(
        ticket_id: TicketId,
        body: TransferRequest,
        request: Request,
        staff: StaffPrincipal,
        now: Now,
    ) -> TicketOut:
        """转窗: send a called or held ticket to another group or a named counter; it keeps
        its number, priority and original issue time, so it lands in order there."""
        if (body.to_group is None) == (body.to_counter is None):
            raise HTTPException(422, detail="give exactly one of to_group or to_counter")
        return queue_ops.act(
            request.app,
            ticket_id,
            "transfer",
            int(staff.id),
            now,
            to_group=body.to_group,
            to_counter=body.to_counter,
            reason=body.reason,
        )


def _add_counter_route(app: FastAPI, prefix: str, verb: str, paused: bool) -> None:
    def change(counter_id: CounterId, request: Request, staff: StaffPrincipal, now: Now) -> Any:
        return queue_ops.set_paused(request.app, counter_id, paused, int(staff.id), now)

    change.__name__ = f"counter_{verb}"
    change.__doc__ = (
        "暂停服务: the counter calls nobody and takes no transfers (staff)."
        if paused
        else "恢复服务: the counter calls again (staff)."
    )
    app.post(
        f"{prefix}/counters/{{counter_id}}/{verb}",
        response_model=CounterStatus,
        tags=["counters"],
        responses={404: {"description": "no such counter"}},
    )(change)


def _add_action_route(app: FastAPI, prefix: str, action: str) -> None:
    def act(ticket_id: TicketId, request: Request, staff: StaffPrincipal, now: Now) -> TicketOut:
        return queue_ops.act(request.app, ticket_id, action, int(staff.id), now)

    def complete(
        ticket_id: str,
        request: Request,
        staff: StaffPrincipal,
        now: Now,
        outcome: Literal["done", "return"] = "done",
    ) -> TicketOut:
        # outcome=return: 退件 — the matter was handed back (counts in 退件率, hall.stats).
        extra = {"outcome": "return"} if outcome == "return" else {}
        return queue_ops.act(request.app, ticket_id, action, int(staff.id), now, **extra)

    if action == "complete":
        act = complete  # type: ignore[assignment]

    act.__name__ = f"ticket_{action.replace('-', '_')}"
    act.__doc__ = (
        f"{action} a ticket of your counter (staff token); 403 if another counter holds it,"
        " 409 if its state does not allow it."
    )
    app.post(
        f"{prefix}/tickets/{{ticket_id}}/{action}",
        response_model=TicketOut,
        tags=["counters"],
        responses={
            403: {"description": "another counter's ticket"},
            404: {"description": "no such ticket"},
            409: {"description": "invalid state"},
        },
    )(act)
