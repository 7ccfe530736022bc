"""Tables of the opt-in text message (issue 14, item 3; ``hall.sms``).

- ``sms_subscriptions``: one row per ticket whose holder asked for text messages; the
  mobile number only AES-256-GCM encrypted (the key file's phone key, bound to the ticket,
  ``hall.keys``), deleted with its messages when the ticket's service day is over
  (``expires_at``).
- ``sms_messages``: what is to be sent, the durable outbox towards the SMS gateway. One row
  per trigger (``dedupe_key`` unique, so several server processes that all saw the same
  queue event insert it once); a sender claims a row for ``CLAIM_S`` seconds, so one
  process sends it; retried with backoff until the gateway accepts it.

Created by migration ``0110_sms_subscriptions``, which imports this module (the models are registered
whenever the schema is built).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hall.models import Base, UTCDateTime


class SmsSubscription(Base):
    __tablename__ = "sms_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(36), unique=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    phone_ciphertext: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ahead_done: Mapped[bool] = mapped_column(Boolean, default=False)
    """The "three ahead" message is queued, or not needed (3 or fewer ahead at the start)."""
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    """The ticket is completed or missed: no more messages to decide."""


class SmsMessage(Base):
    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("sms_subscriptions.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "ahead" or "called"
    text: Mapped[str] = mapped_column(String(300))  # ticket number and window only
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str] = mapped_column(String(300), default="")
