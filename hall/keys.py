"""The hall server's secret keys, kept apart from the data (a key file, or the environment).

Three keys, each 32 random bytes:

- ``id_hash``  HMAC key of ID-number hashes (``hall.privacy``), so a card holder's tickets
  can be linked without the number itself;
- ``phone``    AES-256-GCM key of the phone numbers of open 办不成事 cases (``hall.cases``);
- ``session``  HMAC key of the staff page's session cookies (``hall.staff_web``).

Derived keys need no storage: e.g. the X25519 private key kiosks seal an offline ticket's
holder to (``hall.offline.holder_seal_key``, from ``id_hash``; only its public half leaves
the server, with each number lease).

They live in a **key file** (JSON, mode 0600, its directory 0700 when created here):
``--key-file`` / env ``HALL_KEY_FILE``; for SQLite by default beside the database
(``hall.sqlite3.keys.json``); PostgreSQL needs the setting. ``python -m hall init`` creates
it (so does the first start). Every process and every machine serving one database must
use the same key file: copy it with the same care as a password, and keep its backup apart
from the database's backups — a copy of the database alone then reveals nothing (a
fingerprint-less, key-less database: ID numbers only as keyed hashes, phone numbers only
encrypted). Alternatively the keys come from the environment: ``HALL_ID_HASH_KEY`` (hex,
at least 16 bytes) and optionally ``HALL_PHONE_KEY`` / ``HALL_SESSION_KEY`` (hex, 32
bytes; missing ones are derived from the ID-hash key).

The database keeps only a **fingerprint** of the keys (an HMAC of a fixed label, which
reveals nothing of them) in ``server_secrets``: a server started with other keys than the
ones the database was used with refuses to start instead of silently hashing apart.

**Upgrade** from a version that kept the keys in the database (``server_secrets`` rows
``id_hash_key`` and ``staff_session_hmac``): the first start (or ``init``) writes them into
the new key file, and only once that file is on disk deletes them from the table; plain
phone numbers of open cases are encrypted, those of closed cases deleted.

**Rotation** (``python -m hall rotate-keys``): new keys are written to the key file (the
old file is kept as ``….old`` for the administrator to destroy); open cases' phone numbers
are re-encrypted with the new phone key; staff sessions end; ID hashes made with the old
key are expired — erased from tickets (a card holder can no longer be matched to a visit
before the rotation; the ticket, its number and rating stay — a rating's ``rater`` hash is
part of the tamper-evident chain and stays, linking to nobody once the old key file is
destroyed). Stop every server process first, rotate on one machine, copy the new key file
to the others, start again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import make_url

from contract.errors import ConfigError
from hall.db import dialect_insert, normalize_url, run_transaction, transaction
from hall.models import Case, ServerSecret, Ticket

log = logging.getLogger(__name__)

KEY_FILE_ENV = "HALL_KEY_FILE"
ID_HASH_KEY_ENV = "HALL_ID_HASH_KEY"
PHONE_KEY_ENV = "HALL_PHONE_KEY"
SESSION_KEY_ENV = "HALL_SESSION_KEY"
MIN_KEY_BYTES = 16
KEY_BYTES = 32
FINGERPRINT_NAME = "key_fingerprint"
LEGACY_SECRETS = {"id_hash_key": "id_hash", "staff_session_hmac": "session"}
"""``server_secrets`` rows of older versions (name → key) moved into the key file."""
DISCARDED_SECRETS = ("counter_login_hmac",)
"""Older rows deleted, not moved: the counter sign-in form's key is now derived
(``HallKeys.subkey``); a sign-in form open during the upgrade is simply refused once."""
_PHONE_PREFIX = "g1:"


def derive_key(key: bytes, label: str) -> bytes:
    """A sub-key for one purpose (HMAC-SHA256 of a fixed label)."""
    return hmac.new(key, f"hall/{label}/v1".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class HallKeys:
    id_hash: bytes
    phone: bytes
    session: bytes

    def __repr__(self) -> str:  # never print a key
        return f"HallKeys(fingerprint={self.fingerprint()[:12]}…)"

    @classmethod
    def generate(cls) -> HallKeys:
        return cls(*(secrets.token_bytes(KEY_BYTES) for _ in range(3)))

    @classmethod
    def derived(
        cls, id_hash: bytes, phone: bytes | None = None, session: bytes | None = None
    ) -> HallKeys:
        """Keys from an ID-hash key alone (tests, embedders, environment-only set-ups)."""
        if len(id_hash) < MIN_KEY_BYTES:
            raise ConfigError(
                f"id hash key: at least {MIN_KEY_BYTES} bytes needed, got {len(id_hash)}"
            )
        return cls(
            id_hash,
            phone if phone is not None else derive_key(id_hash, "phone-encryption"),
            session if session is not None else derive_key(id_hash, "staff-session"),
        )

    def subkey(self, label: str) -> bytes:
        """A key for one more purpose (e.g. another cookie's HMAC), derived from the
        session key: new secrets need no storage, and never go in the database."""
        return derive_key(self.session, label)

    def fingerprint(self) -> str:
        """What the database keeps to recognise its keys; reveals nothing about them."""
        material = b"".join(
            hashlib.sha256(k).digest() for k in (self.id_hash, self.phone, self.session)
        )
        return hmac.new(material, b"hall/key-fingerprint/v1", hashlib.sha256).hexdigest()

    # -- phone numbers --------------------------------------------------------------------
    def encrypt_phone(self, phone: str, case_number: str) -> str:
        """AES-256-GCM with a random nonce, bound to its case (associated data)."""
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.phone).encrypt(nonce, phone.encode("ascii"), _aad(case_number))
        return _PHONE_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt_phone(self, stored: str, case_number: str) -> str:
        if not stored.startswith(_PHONE_PREFIX):
            raise ValueError("not an encrypted phone number")
        raw = base64.urlsafe_b64decode(stored[len(_PHONE_PREFIX) :])
        try:
            plain = AESGCM(self.phone).decrypt(raw[:12], raw[12:], _aad(case_number))
        except InvalidTag:
            raise ValueError("phone number does not decrypt with this key file") from None
        return plain.decode("ascii")

    # -- file -----------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "id_hash_key": self.id_hash.hex(),
                "phone_key": self.phone.hex(),
                "session_key": self.session.hex(),
            },
            indent=2,
        )


def _aad(case_number: str) -> bytes:
    return f"hall/case-phone/v1|{case_number}".encode()


def default_key_file(database_url: str) -> Path | None:
    """``HALL_KEY_FILE``, else beside an SQLite database file; None for PostgreSQL."""
    if env := os.environ.get(KEY_FILE_ENV):
        return Path(env)
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(db.name + ".keys.json")
    return None


def read_key_file(path: Path) -> HallKeys:
    try:
        mode = path.stat().st_mode
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = HallKeys(
            bytes.fromhex(data["id_hash_key"]),
            bytes.fromhex(data["phone_key"]),
            bytes.fromhex(data["session_key"]),
        )
    except OSError as exc:
        raise ConfigError(f"key file {path}: cannot read: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"key file {path}: not a hall key file ({exc})") from None
    if any(len(k) < MIN_KEY_BYTES for k in (keys.id_hash, keys.phone, keys.session)):
        raise ConfigError(f"key file {path}: a key is shorter than {MIN_KEY_BYTES} bytes")
    if len(keys.phone) not in (16, 24, 32):
        raise ConfigError(f"key file {path}: phone_key must be 16, 24 or 32 bytes")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key file %s was readable by others: now 0600", path)
        path.chmod(0o600)
    return keys


def write_key_file(path: Path, keys: HallKeys, *, replace: bool = False) -> bool:
    """Write ``keys`` to ``path`` (0600; a new directory 0700), atomically.

    Without ``replace``, an existing file wins (another process created it first): returns
    False and leaves it alone.
    """
    path = path.absolute()
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(keys.to_json())
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if it exists: no process overwrites another's keys
            except FileExistsError:
                return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the file's name is durable before the old secrets are deleted
    finally:
        os.close(dir_fd)
    log.info("key file %s written", path)
    return True


def _hex_env(name: str) -> bytes | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise ConfigError(f"{name}: not a hex string") from None


def _stored(engine: Engine) -> dict[str, str]:
    with transaction(engine, readonly=True) as session:
        rows = session.execute(select(ServerSecret.name, ServerSecret.value)).all()
    return {name: value for name, value in rows}


def resolve_keys(
    engine: Engine,
    database_url: str,
    *,
    id_hash_key: bytes | None = None,
    key_file: str | Path | None = None,
) -> HallKeys:
    """The keys for this database: argument, else environment, else the key file (created
    on first use, adopting an older version's keys from the database). Then the database
    is checked against them (fingerprint), its old secret rows deleted, and plain phone
    numbers of older versions encrypted (open cases) or deleted (closed). ConfigError when
    keys and database do not belong together."""
    stored = _stored(engine)
    legacy = {
        LEGACY_SECRETS[name]: bytes.fromhex(value)
        for name, value in stored.items()
        if name in LEGACY_SECRETS
    }
    fingerprint = stored.get(FINGERPRINT_NAME)
    discarded = any(name in stored for name in DISCARDED_SECRETS)
    if id_hash_key is not None:
        keys = HallKeys.derived(id_hash_key)
    elif (env_key := _hex_env(ID_HASH_KEY_ENV)) is not None:
        keys = HallKeys.derived(env_key, _hex_env(PHONE_KEY_ENV), _hex_env(SESSION_KEY_ENV))
    else:
        path = Path(key_file) if key_file else default_key_file(database_url)
        if path is None:
            raise ConfigError(
                "PostgreSQL: set the key file (--key-file or HALL_KEY_FILE; create it with"
                " `python -m hall init --key-file PATH`, the same file on every server)"
            )
        keys = _file_keys(path, legacy, fingerprint)
    if "id_hash" in legacy and legacy["id_hash"] != keys.id_hash:
        raise ConfigError(
            "the database holds an ID-hash key of an older version that differs from the"
            " configured one: start once without HALL_ID_HASH_KEY / with a new key file to"
            " move it out, or rotate keys (see hall/keys.py)"
        )
    _settle(engine, keys, fingerprint, bool(legacy) or discarded)
    return keys


def _file_keys(path: Path, legacy: dict[str, bytes], fingerprint: str | None) -> HallKeys:
    if path.exists():
        return read_key_file(path)
    if fingerprint is not None:
        raise ConfigError(
            f"key file {path} is missing, but this database was used with a key file:"
            " copy that file here (HALL_KEY_FILE), or restore it from its backup"
        )
    new = HallKeys.generate()
    keys = HallKeys(
        legacy.get("id_hash", new.id_hash), new.phone, legacy.get("session", new.session)
    )
    if not write_key_file(path, keys):
        return read_key_file(path)  # another process created it a moment ago
    return keys


def _settle(engine: Engine, keys: HallKeys, fingerprint: str | None, legacy: bool) -> None:
    mine = keys.fingerprint()
    if fingerprint is not None and fingerprint != mine:
        raise ConfigError(
            "these keys are not the ones this database was used with (key fingerprint"
            " differs): use the key file of the other servers / from its backup"
        )
    if fingerprint is None or legacy:

        def work(session: object) -> str | None:
            session.execute(  # type: ignore[attr-defined]
                delete(ServerSecret).where(
                    ServerSecret.name.in_([*LEGACY_SECRETS, *DISCARDED_SECRETS])
                )
            )
            stmt = dialect_insert(engine, ServerSecret).values(
                name=FINGERPRINT_NAME, value=mine, created_at=dt.datetime.now(dt.UTC)
            )
            session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))  # type: ignore[attr-defined]
            return session.scalar(  # type: ignore[attr-defined]
                select(ServerSecret.value).where(ServerSecret.name == FINGERPRINT_NAME)
            )

        if run_transaction(engine, work) != mine:  # another machine, other keys, won
            raise ConfigError("another server set this database up with other keys")
        if legacy:
            log.info("the old secrets were moved out of the database into the key file")
    seal_plain_phones(engine, keys)


def seal_plain_phones(engine: Engine, keys: HallKeys) -> int:
    """Older versions kept open cases' phone numbers in clear: encrypt them (open) or
    delete them with their masked form and hash (closed). Returns how many were changed."""
    with transaction(engine, readonly=True) as session:
        plain = session.execute(
            select(Case.id, Case.case_number, Case.phone, Case.status).where(
                Case.phone.is_not(None)
            )
        ).all()
    if not plain:
        return 0

    def work(session: object) -> None:
        for case_id, number, phone, status in plain:
            values: dict[str, object] = {"phone": None}
            if status == "closed":
                values.update(phone_masked=None, phone_hash=None, phone_ciphertext=None)
            else:
                values["phone_ciphertext"] = keys.encrypt_phone(phone, number)
            session.execute(update(Case).where(Case.id == case_id).values(**values))  # type: ignore[attr-defined]

    run_transaction(engine, work)
    log.info("%d plain phone number(s) of an older version encrypted or erased", len(plain))
    return len(plain)


def rotate_keys(engine: Engine, path: Path) -> dict[str, int]:
    """New keys in ``path`` (the old file kept as ``….old``); open cases re-encrypted,
    ID hashes of tickets expired. Stop every server first. Returns what changed."""
    old = read_key_file(path)
    new = HallKeys.generate()
    backup = path.with_name(path.name + ".old")
    write_key_file(backup, old, replace=True)

    def work(session: object) -> dict[str, int]:
        cases = session.execute(  # type: ignore[attr-defined]
            select(Case.id, Case.case_number, Case.phone_ciphertext).where(
                Case.phone_ciphertext.is_not(None)
            )
        ).all()
        for case_id, number, sealed in cases:
            phone = old.decrypt_phone(sealed, number)
            session.execute(  # type: ignore[attr-defined]
                update(Case)
                .where(Case.id == case_id)
                .values(phone_ciphertext=new.encrypt_phone(phone, number), phone_hash=None)
            )
        expired = session.execute(  # type: ignore[attr-defined]
            update(Ticket).where(Ticket.holder_hash.is_not(None)).values(holder_hash=None)
        ).rowcount
        session.execute(  # type: ignore[attr-defined]
            update(ServerSecret)
            .where(ServerSecret.name == FINGERPRINT_NAME)
            .values(value=new.fingerprint())
        )
        return {"cases_reencrypted": len(cases), "ticket_id_hashes_expired": expired}

    # the new file first: if the database step fails, the old file (….old) still matches
    write_key_file(path, new, replace=True)
    try:
        return run_transaction(engine, work)
    except Exception:
        write_key_file(path, old, replace=True)
        raise
