"""The durable outbox: what the kiosk must deliver to the hall server, kept on disk first.

Every rating, case and (later) offline ticket is written here — SQLite in WAL mode with
``synchronous=FULL``, so a committed message survives ``kill -9`` and power loss — before
anything is sent. A sender delivers due messages in order, retries with exponential backoff
(seconds, capped), and removes a message only when the server confirmed it. A message the
server refuses for good (4xx other than a retryable one) moves to the dead-letter state for
staff, never silently away. Each message carries an idempotency key, so a message sent twice
(sent, then the kiosk crashed before removing it) is accepted once by the server.

Personal data: payloads must not contain plain ID numbers or full names (the callers put
masked forms and hashes only); ``put`` refuses a payload that looks like an ID number. A
case carries the citizen's mobile number (the server needs it to call back): it is stored
here until the server confirms — or refuses it for good, when the dead letter keeps only
the masked number — and never logged (see ``kiosk.cases``). ``secure_delete`` and a WAL
checkpoint after each delivery round leave no old copy in the file's free pages or log.

Kinds: ``rating`` (``kiosk.rating``), ``case`` (``kiosk.cases``), ``offline_ticket``
(``kiosk.offline``) and ``sms`` (``kiosk.sms``: a mobile number, kept like a case's); ``Dispatcher`` hands each message to the sender of its kind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osfiles.private_files import private_file

log = logging.getLogger(__name__)

_PLAIN_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    dead INTEGER NOT NULL DEFAULT 0
)
"""


class Undeliverable(Exception):
    """The server refused the message for good (e.g. invalid); it goes to dead letters.

    ``keep``: what of the payload the dead letter keeps (e.g. without the plain phone
    number, which was stored only to be delivered); None keeps it all."""

    def __init__(self, reason: str, keep: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.keep = keep


class NotYet(Exception):  # noqa: N818 — a state, not an error
    """The message needs an older one that is still waiting (an offline ticket's text-message
    number needs the ticket at the server first): left as it is, no attempt counted; the
    round goes on and the message is tried again next round."""


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int
    last_error: str


class Outbox:
    def __init__(self, path: Path, base_backoff_s: float = 2.0, max_backoff_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.path = path
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)  # 0600: phone numbers of cases in flight
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # a delivered or scrubbed payload (a case's phone number) leaves no copy in free pages
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ----------------------------------------------------------------------------
    def put(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Store a message durably. False if a message with this key is already stored."""
        with self._lock:
            return self.put_in(self._db, kind, key, payload)

    def put_in(self, db: sqlite3.Connection, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """``put`` inside a transaction of ``transaction()`` (with what else it changes)."""
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        if _PLAIN_ID.search(text):
            raise ValueError("outbox payloads must not contain a plain ID number")
        cursor = db.execute(
            "INSERT OR IGNORE INTO outbox (kind, key, payload, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, key, text, self.clock(), self.clock()),
        )
        return cursor.rowcount == 1

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction on the outbox's database (``BEGIN IMMEDIATE`` … ``COMMIT``,
        synchronous=FULL): other tables kept in the same file (``kiosk.offline``'s number
        leases) change together with the messages put with ``put_in`` — all or nothing,
        also under ``kill -9``."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- reading ----------------------------------------------------------------------------
    def due(self, limit: int = 20) -> list[Message]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, key, payload, attempts, last_error FROM outbox"
                " WHERE dead = 0 AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                (self.clock(), limit),
            ).fetchall()
        return [Message(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def backlog(self, kind: str | None = None) -> int:
        """Messages (of ``kind``) not yet confirmed by the server (staff see this number)."""
        sql, args = "SELECT count(*) FROM outbox WHERE dead = 0", ()
        if kind is not None:
            sql, args = sql + " AND kind = ?", (kind,)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def dead_letters(self) -> list[Message]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, key, payload, attempts, last_error FROM outbox WHERE dead = 1"
                " ORDER BY id"
            ).fetchall()
        return [Message(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def state(self, key: str) -> str | None:
        """ "waiting" (not yet confirmed), "dead" (refused for good) or None (not stored:
        never put, or confirmed and removed)."""
        with self._lock:
            row = self._db.execute("SELECT dead FROM outbox WHERE key = ?", (key,)).fetchone()
        return None if row is None else ("dead" if row[0] else "waiting")

    def retry_now(self) -> None:
        """Staff: make every waiting message due at once."""
        with self._lock:
            self._db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE dead = 0")

    # -- delivering -------------------------------------------------------------------------
    def deliver(self, send: Callable[[Message], None]) -> tuple[int, int]:
        """Try every due message once, oldest first. Returns (delivered, failed).

        ``send`` returns when the server confirmed; raises ``Undeliverable`` for a final
        refusal, ``NotYet`` for "after an older message", any other exception for "try again
        later". Delivery stops at the first retryable failure (the server is probably down).
        Older messages in backoff do not hold newer ones back; a message that needs an older
        one says so with ``NotYet``.
        """
        delivered = failed = 0
        for message in self.due():
            try:
                send(message)
            except NotYet:
                continue
            except Undeliverable as exc:
                log.error("outbox %s %s refused for good: %s", message.kind, message.key, exc)
                self._mark(message, str(exc)[:300], dead=True, keep=exc.keep)
                failed += 1
                continue
            except Exception as exc:  # retry later with backoff
                self._mark(message, f"{type(exc).__name__}: {exc}"[:300], dead=False)
                failed += 1
                break
            with self._lock:
                self._db.execute("DELETE FROM outbox WHERE id = ?", (message.id,))
            delivered += 1
        if delivered or failed:
            with self._lock:  # nor in the write-ahead log: old page images are dropped
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return delivered, failed

    def _mark(
        self, message: Message, error: str, dead: bool, keep: dict[str, Any] | None = None
    ) -> None:
        attempts = message.attempts + 1
        delay = min(self.max_backoff_s, self.base_backoff_s * 2 ** (attempts - 1))
        payload = message.payload if keep is None else keep
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, dead = ?,"
                " payload = ? WHERE id = ?",
                (attempts, error, self.clock() + delay, int(dead),
                 json.dumps(payload, ensure_ascii=False, sort_keys=True), message.id),
            )  # fmt: skip


class Dispatcher:
    """Sends each message with the sender registered for its kind (``rating``, ``case``…);
    a kind nobody sends is refused for good, so it shows among the dead letters."""

    def __init__(self, senders: dict[str, Callable[[Message], None]]) -> None:
        self.senders = dict(senders)

    def __call__(self, message: Message) -> None:
        send = self.senders.get(message.kind)
        if send is None:
            raise Undeliverable(f"unknown message kind {message.kind!r}")
        send(message)


class OutboxSender:
    """A background thread that delivers the outbox every ``interval_s`` seconds."""

    def __init__(
        self, outbox: Outbox, send: Callable[[Message], None], interval_s: float = 2.0
    ) -> None:
        self.outbox = outbox
        self.send = send
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        """Deliver now (a new message was put)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.outbox.deliver(self.send)
            except Exception:  # never let the sender die; staff see the backlog grow
                log.exception("outbox delivery failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()
