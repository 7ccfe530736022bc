"""Staff accounts for the counter workstation: 工号 + password, lockout, roles.

A password is kept only as a salted scrypt hash with its parameters
(``contract.secret_hash``, the same function as the kiosk's staff PIN), as JSON in
``staff.password_hash``. ``MAX_FAILED``
wrong passwords in a row lock the account for ``LOCKOUT``; the count and the lock live in
the database, so neither a restart nor another server process lifts them. A correct
password resets the count. Machines keep using bearer tokens (``python -m hall add-staff``
prints one either way).

Roles: counter staff act on the tickets of the counter they hold; ``supervisor`` staff may
act on any ticket (``hall.tickets.SqlTicketStore._authorize``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select

from contract.secret_hash import hash_secret, verify_secret
from hall.db import transaction
from hall.models import Staff

log = logging.getLogger(__name__)


MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 128
MAX_FAILED = 5
LOCKOUT = dt.timedelta(minutes=15)
_DUMMY = hash_secret("not-a-password")  # unknown 工号: spend the same time as a real check


def password_problem(password: str) -> str:
    """Why a new password is refused ("" if fine)."""
    if len(password) < MIN_PASSWORD_LEN:
        return f"the password needs at least {MIN_PASSWORD_LEN} characters"
    if len(password) > MAX_PASSWORD_LEN:
        return f"the password may have at most {MAX_PASSWORD_LEN} characters"
    if len(set(password)) < 3:
        return "the password is too simple"
    return ""


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return json.dumps(hash_secret(password), separators=(",", ":"))


@dataclass(frozen=True)
class SignedIn:
    staff_id: int
    name: str
    number: str
    supervisor: bool


class LoginRefused(Exception):
    """``reason``: "wrong" (unknown 工号 or wrong password — not told apart) or "locked"."""

    def __init__(
        self, reason: str, attempts_left: int = 0, locked_until: dt.datetime | None = None
    ):
        super().__init__(reason)
        self.reason = reason
        self.attempts_left = attempts_left
        self.locked_until = locked_until


def check_login(engine: Engine, number: str, password: str, now: dt.datetime) -> SignedIn:
    """The member of staff with this 工号 and password, or LoginRefused.

    A wrong password counts towards the lock (in the same transaction that read the row);
    a locked account is refused without checking the password at all.
    """
    with transaction(engine) as session:
        staff = session.scalar(select(Staff).where(Staff.number == number).with_for_update())
        if staff is None or staff.password_hash is None:
            verify_secret(password, _DUMMY)
            log.info("counter sign-in refused: unknown staff number")
            raise LoginRefused("wrong", MAX_FAILED)
        if staff.locked_until is not None and staff.locked_until > now:
            log.info("counter sign-in refused: staff %s is locked", staff.id)
            raise LoginRefused("locked", 0, staff.locked_until)
        try:
            record = json.loads(staff.password_hash)
        except ValueError:
            record = {}
        if not verify_secret(password, record):
            staff.failed_logins = (staff.failed_logins or 0) + 1
            left = MAX_FAILED - staff.failed_logins
            if left <= 0:
                staff.locked_until = now + LOCKOUT
                staff.failed_logins = 0
                log.warning("staff %s locked after %d wrong passwords", staff.id, MAX_FAILED)
                refused = LoginRefused("locked", 0, staff.locked_until)
            else:
                log.info("counter sign-in: wrong password for staff %s", staff.id)
                refused = LoginRefused("wrong", left)
        else:
            staff.failed_logins = 0
            staff.locked_until = None
            refused = None
            result = SignedIn(staff.id, staff.name, staff.number or "", bool(staff.supervisor))
    # The failure count is committed before the refusal is raised.
    if refused is not None:
        raise refused
    return result
