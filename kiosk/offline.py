"""Offline tickets: the kiosk keeps issuing while the hall server or the network is down.

While online, the kiosk holds a reserve: per window group, blocks of today's numbers leased
from the hall server (``POST /api/v1/kiosks/{id}/number-leases``; the server advanced the
group's sequence past them, so it never issues them itself and never leases them twice).
``ReserveKeeper`` tops a group up when less than half a block is left, and drops leases of
another service day (an old day's lease is never used).

The leases live in the outbox's SQLite file (WAL, ``synchronous=FULL``). Taking a number
and putting the offline ticket into the outbox happen in ONE transaction
(``Reserve.take``): after a ``kill -9`` at any instant either both happened or neither —
a number is never issued twice and an issued ticket is never lost.

``OfflineIssuer`` is what the ticket journey issues through: the hall server first (with a
short connect timeout, 0.75 s, and a short answer timeout, 1 s), and on ``HallUnavailable``
— or at once when the kiosk already knows it is offline — a ticket from the reserve. (A
server that answers later than 1 s may have issued a ticket nobody holds: it is
withdrawn (过号) when the offline ticket arrives — ``replaces_key``; the citizen holds a
valid offline number.) Such a ticket says so on paper
("离线取号"); it has no people-ahead count. Like an online ticket it carries the card
holder's masked name (printed, 姓名：张*) and the visit's 材料预审 result for its item
(codes only), both kept with it in the outbox and delivered with it, so the window sees
them when it calls the ticket — never the full name or the ID number in the clear (the
outbox is on disk): the holder's number is kept only sealed with the server's public key
from the lease (``holder_sealed``, ``contract.sealed``), which this kiosk cannot open; the
server opens it and keeps the keyed hash an online ticket gets, so a card read at the
rating screen lists the offline ticket once it has arrived. The outbox delivers it to
``POST /api/v1/tickets/offline`` exactly once (idempotent by its key) with its real issue
time; the server queues it by that time.

Reserve exhausted (or offline issuing off): ``ReserveExhausted``, a ``HallUnavailable`` —
the citizen is told plainly and sent to the help desk — and a staff alert
``offline:reserve_exhausted``. The heartbeat (``kiosk.heartbeat``) reports
``offline:issuing`` while the kiosk issues offline and ``offline:backlog`` while offline
tickets wait to be synced; the staff monitoring page shows both and the backlog.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from contract.catalog import Catalog
from contract.fields import is_masked_name
from contract.links import offline_link_signature
from contract.sealed import seal
from kiosk.hall_client import HallClient, HallRejected, HallUnavailable
from kiosk.identity import Holder
from kiosk.outbox import Message, Outbox, Undeliverable
from kiosk.tickets import Ticket

log = logging.getLogger(__name__)

KIND = "offline_ticket"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the hall's, until a lease tells the kiosk otherwise

SCHEMA = """
CREATE TABLE IF NOT EXISTS number_leases (
    lease_id INTEGER PRIMARY KEY,
    window_group TEXT NOT NULL,
    prefix TEXT NOT NULL,
    period TEXT NOT NULL,
    service_day TEXT NOT NULL,
    next_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    timezone TEXT NOT NULL
)
"""

LINK_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS lease_link_keys (
    lease_id INTEGER PRIMARY KEY,
    link_base TEXT NOT NULL,
    link_key BLOB NOT NULL
)
"""
"""The keys the offline tickets' QR links are signed with, one per lease (kept apart from
the leases and the outbox's tickets; dropped with their lease at the day's end)."""

HOLDER_KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS lease_holder_keys (
    lease_id INTEGER PRIMARY KEY,
    holder_key TEXT NOT NULL
)
"""
"""The server's public key each lease's offline tickets seal their holder's ID number with
(``contract.sealed``; a public key, useless for opening what it sealed)."""

_REQUEST_FIELDS = ("idempotency_key", "service_id", "lease_id", "seq", "issued_at", "priority",
                   "language", "replaces_key", "ticket_id", "masked_name",
                   "precheck", "holder_sealed")  # fmt: skip


class ReserveExhausted(HallUnavailable):
    """The hall server is unreachable and no leased number of this group is left today."""

    code = "reserve_exhausted"  # the ticket journey's Message detail


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def offline_link(base: str, key: bytes, lease_id: int, ticket_id: str) -> str:
    """The offline ticket's QR: ``<hall public address>/t/o/<lease>/<ticket id>/<sig>``,
    the signature an HMAC-SHA256 (16 bytes, base64url) under the lease's link key — the
    same the server checks (``contract.links.offline_link_signature``). No personal data:
    the ticket id is a random UUID the kiosk chose."""
    return f"{base}/t/o/{lease_id}/{ticket_id}/{offline_link_signature(key, lease_id, ticket_id)}"


def server_key(visit_key: str) -> str:
    """The offline ticket's idempotency key at the server (≤ 100 characters)."""
    return "offline:" + hashlib.sha256(visit_key.encode()).hexdigest()[:40]


class Reserve:
    """The leased numbers, kept in the outbox's database."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        with outbox.transaction() as db:
            db.execute(SCHEMA)
            db.execute(LINK_KEYS_SCHEMA)
            db.execute(HOLDER_KEYS_SCHEMA)

    def add(self, lease: dict[str, Any]) -> None:
        with self.outbox.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO number_leases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (int(lease["lease_id"]), lease["window_group"], lease["prefix"],
                 lease["period"], str(lease["service_day"]), int(lease["first_seq"]),
                 int(lease["last_seq"]), lease["timezone"]),
            )  # fmt: skip
            if lease.get("link_base") and lease.get("link_key"):
                db.execute(
                    "INSERT OR IGNORE INTO lease_link_keys VALUES (?, ?, ?)",
                    (int(lease["lease_id"]), str(lease["link_base"]),
                     base64.urlsafe_b64decode(str(lease["link_key"]))),
                )  # fmt: skip
            if lease.get("holder_key"):
                db.execute(
                    "INSERT OR IGNORE INTO lease_holder_keys VALUES (?, ?)",
                    (int(lease["lease_id"]), str(lease["holder_key"])),
                )

    def remaining(self, group: str, day: dt.date) -> int:
        with self.outbox.transaction() as db:
            (n,) = db.execute(
                "SELECT coalesce(sum(last_seq - next_seq + 1), 0) FROM number_leases"
                " WHERE window_group = ? AND service_day = ? AND next_seq <= last_seq",
                (group, day.isoformat()),
            ).fetchone()
        return int(n)

    def timezone(self) -> ZoneInfo:
        with self.outbox.transaction() as db:
            row = db.execute(
                "SELECT timezone FROM number_leases ORDER BY lease_id DESC LIMIT 1"
            ).fetchone()
        return ZoneInfo(row[0] if row else DEFAULT_TIMEZONE)

    def drop_other_days(self, day: dt.date) -> int:
        """Forget leases of any day but ``day`` (their unused numbers are simply gaps)."""
        with self.outbox.transaction() as db:
            cursor = db.execute(
                "DELETE FROM number_leases WHERE service_day != ?", (day.isoformat(),)
            )
            db.execute(
                "DELETE FROM lease_link_keys WHERE lease_id NOT IN"
                " (SELECT lease_id FROM number_leases)"
            )
            db.execute(
                "DELETE FROM lease_holder_keys WHERE lease_id NOT IN"
                " (SELECT lease_id FROM number_leases)"
            )
            return cursor.rowcount

    def take(
        self, group: str, day: dt.date, key: str, payload: dict[str, Any],
        id_number: str | None = None,
    ) -> dict[str, Any] | None:  # fmt: skip
        """Take the next number of ``group`` on ``day`` and put the offline ticket into the
        outbox under ``key`` — one transaction. Returns the stored payload (with ``lease_id``,
        ``seq``, ``number``); the one stored before if ``key`` was already issued; None if
        no number is left. ``id_number``, the holder's, is stored only sealed with the
        lease's holder key (``holder_sealed``), never in the clear; not at all when the
        lease came from a server without one."""
        with self.outbox.transaction() as db:
            stored = _stored(db, key)
            if stored is not None:
                return stored
            row = db.execute(
                "SELECT lease_id, prefix, next_seq FROM number_leases WHERE window_group = ?"
                " AND service_day = ? AND next_seq <= last_seq ORDER BY lease_id LIMIT 1",
                (group, day.isoformat()),
            ).fetchone()
            if row is None:
                return None
            lease_id, prefix, seq = row
            db.execute(
                "UPDATE number_leases SET next_seq = next_seq + 1 WHERE lease_id = ?", (lease_id,)
            )
            full = {**payload, "lease_id": lease_id, "seq": seq, "number": f"{prefix}{seq:03d}"}
            link = db.execute(
                "SELECT link_base, link_key FROM lease_link_keys WHERE lease_id = ?", (lease_id,)
            ).fetchone()
            # the ticket's id at the server, chosen here so that the QR names it: the phone
            # page's link, or HALLTICKET:<id> (the rating's scanner reads either once synced)
            full["ticket_id"] = str(uuid.uuid4())
            if link is not None:  # the hall has a public address: the QR opens the page
                full["public_url"] = offline_link(link[0], link[1], lease_id, full["ticket_id"])
            sealer = db.execute(
                "SELECT holder_key FROM lease_holder_keys WHERE lease_id = ?", (lease_id,)
            ).fetchone()
            if id_number and sealer is not None:
                full["holder_sealed"] = seal(sealer[0], id_number, payload["idempotency_key"])
            self.outbox.put_in(db, KIND, key, full)
            return full


def _stored(db: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    row = db.execute("SELECT payload FROM outbox WHERE key = ?", (key,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


class OfflineIssuer:
    """Issues through the hall server, or from the reserve when it cannot be reached."""

    def __init__(
        self,
        hall: HallClient,
        reserve: Reserve | None,
        catalog: Callable[[], Catalog],
        *,
        connect_timeout_s: float = 0.75,
        read_timeout_s: float = 1.0,
        now: Callable[[], dt.datetime] = _utc_now,
        alert: Callable[[str], None] = lambda code: None,
        kick: Callable[[], None] = lambda: None,
        back: Callable[[], None] = lambda: None,
    ) -> None:
        """``kick``: deliver the outbox now (a ticket was put); ``back``: the server is
        reachable again — make every waiting message due (no backoff left to sit out)."""
        self.hall = hall
        self.reserve = reserve
        self.catalog = catalog
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.now = now
        self.alert = alert
        self.kick = kick
        self.back = back
        self.online: bool | None = None  # None: not known yet
        self.issued_offline = 0  # since start, for staff

    def set_online(self, online: bool) -> None:
        was, self.online = self.online, online
        if online != was:
            log.info("hall server %s", "reachable" if online else "unreachable: issuing offline")
        if online and was is False:
            self.back()

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
        precheck: dict[str, Any] | None = None,
    ) -> Ticket:
        """``precheck``: the 材料预审 result (codes only) an offline ticket keeps; online,
        the pre-check journey attaches it to the server's ticket afterwards."""
        if self.online is not False or self.reserve is None:
            try:
                ticket = self.hall.issue_ticket(
                    service_id, idempotency_key, holder, priority, language,
                    connect_timeout_s=self.connect_timeout_s,
                    read_timeout_s=self.read_timeout_s if self.reserve is not None else None,
                )  # fmt: skip
            except ReserveExhausted:
                raise
            except HallUnavailable:
                self.set_online(False)
                if self.reserve is None:
                    raise
            else:
                self.set_online(True)
                return ticket
        masked = holder.masked_name if holder is not None else None
        return self.issue_offline(service_id, idempotency_key, priority, language, masked,
                                  precheck, holder.id_number if holder else None)  # fmt: skip

    def issue_offline(
        self,
        service_id: str,
        visit_key: str,
        priority: bool = False,
        language: str = "zh",
        masked_name: str | None = None,
        precheck: dict[str, Any] | None = None,
        id_number: str | None = None,
    ) -> Ticket:
        """A ticket from the reserve. Of the holder only ``masked_name`` (as printed; None:
        nobody identified) is kept: the outbox holds no ID number and no full name.
        ``precheck`` is kept with it when it is for this item."""
        if self.reserve is None:
            raise ReserveExhausted("offline issuing is off")
        entry = self.catalog().entry(service_id)
        now = self.now().astimezone(dt.UTC)
        day = now.astimezone(self.reserve.timezone()).date()
        key = server_key(visit_key)
        payload = {"idempotency_key": key, "service_id": entry.id, "window_group": entry.group,
                   "issued_at": now.isoformat(), "priority": priority, "language": language,
                   "replaces_key": visit_key[:100]}  # fmt: skip
        if masked_name is not None and is_masked_name(masked_name):  # never a plain name
            payload["masked_name"] = masked_name
        if precheck is not None and precheck.get("service_id") == entry.id:
            # the token names the kiosk at the server: no kiosk id to get wrong on disk
            payload["precheck"] = {k: v for k, v in precheck.items() if k != "kiosk_id"}
        stored = self.reserve.take(entry.group, day, key, payload, id_number)
        if stored is None:
            log.error("offline: no leased number of group %s left for %s", entry.group, day)
            self.alert("offline:reserve_exhausted")
            raise ReserveExhausted(f"no leased number of {entry.group} left")
        self.issued_offline += 1
        self.kick()
        log.info("offline ticket %s issued for %s", stored["number"], entry.id)
        return ticket_of(stored)

    # -- the outbox's sender of KIND -------------------------------------------------------
    def send(self, message: Message) -> None:
        body = {k: message.payload[k] for k in _REQUEST_FIELDS if k in message.payload}
        try:
            self.hall.send_offline_ticket(body)
        except HallRejected as exc:  # refused for good: a dead letter staff see
            raise Undeliverable(f"{exc.status} {exc}") from exc
        self.set_online(True)


def ticket_of(payload: dict[str, Any]) -> Ticket:
    """The ticket the citizen holds, from its outbox payload."""
    return Ticket(
        id=str(payload["idempotency_key"]),
        number=str(payload["number"]),
        service_id=str(payload["service_id"]),
        window_group=str(payload["window_group"]),
        people_ahead=-1,  # not known offline; the paper says so
        estimated_wait_s=0,
        issued_at=dt.datetime.fromisoformat(str(payload["issued_at"])),
        priority=bool(payload["priority"]),
        masked_name=str(payload.get("masked_name") or ""),
        public_url=str(payload.get("public_url") or ""),
        offline=True,
        server_id=str(payload.get("ticket_id") or ""),
    )


class ReserveKeeper:
    """Tops the reserve up while online; probes the server while offline (background)."""

    def __init__(
        self,
        hall: HallClient,
        reserve: Reserve,
        issuer: OfflineIssuer,
        catalog: Callable[[], Catalog],
        kiosk_id: str,
        block: int = 20,
        interval_s: float = 2.0,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.hall = hall
        self.reserve = reserve
        self.issuer = issuer
        self.catalog = catalog
        self.kiosk_id = kiosk_id
        self.block = block
        self.interval_s = interval_s
        self.now = now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reserve-keeper", daemon=True)

    def top_up(self) -> int:
        """One round: drop other days' leases, lease for every group below half a block.
        Returns how many leases were taken; HallUnavailable when the server is down."""
        day = self.now().astimezone(self.reserve.timezone()).date()
        self.reserve.drop_other_days(day)
        leased = 0
        for group in self.catalog().groups:
            if self.reserve.remaining(group.id, day) * 2 >= self.block:
                continue
            lease = self.hall.lease_numbers(self.kiosk_id, group.id, self.block)
            self.reserve.add(lease)
            leased += 1
            if str(lease["service_day"]) != day.isoformat():  # the hall's day differs: again
                day = dt.date.fromisoformat(str(lease["service_day"]))
                self.reserve.drop_other_days(day)
        return leased

    def round(self) -> None:
        try:
            self.top_up()
            if self.issuer.online is not True:
                self.hall.health()
        except HallUnavailable:
            self.issuer.set_online(False)
            return
        except HallRejected as exc:
            log.warning("number lease refused: %s", exc)
            return
        self.issuer.set_online(True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.round()
            except Exception:  # never let the keeper die
                log.exception("reserve keeper round failed")
            if self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started))):
                return
