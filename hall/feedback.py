"""Wires 好差评 ratings, their follow-ups and 办不成事 cases into the hall server app.

``create_app`` calls ``app.include_router(feedback_router(app))``. Building the router
also loads the feedback settings from the environment (``hall.feedback_settings``), so a
wrong setting stops the server at start, and fetches the keys the routes need:

- the ID-number hash key the queue uses (to find a card holder's tickets for rating),
- the key for phone-number hashes of 办不成事 cases, derived from that key (HMAC with a
  fixed label), so every process hashes alike and no second secret has to be kept.

Tests and embedders may pass ``settings`` or replace ``app.state.feedback`` afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from fastapi import APIRouter, FastAPI

from hall.cases import router as cases_router
from hall.feedback_settings import FeedbackSettings, app_timezone, settings_from_env
from hall.followups import router as followups_router
from hall.ratings import router as ratings_router

log = logging.getLogger(__name__)


def install(app: FastAPI, settings: FeedbackSettings | None = None) -> FeedbackSettings:
    """Put settings and keys on ``app.state`` (feedback, rating_id_hash_key,
    case_phone_hash_key). Raises ConfigError for a bad setting."""
    state = app.state
    if settings is None:
        settings = getattr(state, "feedback", None) or settings_from_env(app_timezone(app))
    state.feedback = settings
    # The queue's key, so card holders hash alike here and on their tickets.
    state.rating_id_hash_key = state.keys.id_hash  # hall.keys, set by create_app
    state.case_phone_hash_key = derive_key(state.rating_id_hash_key, "case-phone-hash")
    return settings


def derive_key(key: bytes, label: str) -> bytes:
    """A sub-key for one purpose (HMAC-SHA256 of a fixed label): a hash made with it
    cannot be matched against hashes made with ``key`` or another label."""
    return hmac.new(key, f"hall/{label}/v1".encode(), hashlib.sha256).digest()


def feedback_router(app: FastAPI, settings: FeedbackSettings | None = None) -> APIRouter:
    """Install settings and keys on ``app``; return the ratings, follow-ups and cases routes."""
    install(app, settings)
    router = APIRouter()
    router.include_router(ratings_router)
    router.include_router(followups_router)
    router.include_router(cases_router)
    return router
