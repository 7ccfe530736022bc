"""The central service catalog: kiosks fetch the catalog the server loaded.

``GET /api/v1/catalog`` answers the validated catalog as JSON (the same shape as
``config/services.toml``, defaults filled in, so ``contract.catalog.Catalog.model_validate``
reads it back), with a strong ETag: a SHA-256 of the canonical JSON. A kiosk keeps its
last good copy and sends ``If-None-Match``; an unchanged catalog costs a 304 and no body.
The heartbeat answer carries the same ``catalog_version`` and ``catalog_etag`` so a kiosk
knows when to fetch again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response, status

from contract.catalog import Catalog
from hall.auth import AnyPrincipal

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@dataclass(frozen=True)
class CatalogPayload:
    """The catalog serialised once: body bytes, ETag (quoted) and the catalog's version."""

    catalog: Catalog
    body: bytes
    etag: str
    version: str


def catalog_payload(app: FastAPI) -> CatalogPayload:
    """The current catalog's payload, rebuilt only when ``app.state.catalog`` changes."""
    catalog: Catalog = app.state.catalog
    cached: CatalogPayload | None = getattr(app.state, "catalog_payload", None)
    if cached is not None and cached.catalog is catalog:
        return cached
    data = catalog.model_dump(mode="json")
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    payload = CatalogPayload(catalog, body, etag, catalog.version)
    app.state.catalog_payload = payload
    return payload


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` list against our ETag."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


@router.get(
    "/catalog",
    responses={
        200: {
            "description": "the catalog (as config/services.toml, defaults filled in)",
            "content": {"application/json": {"schema": {"type": "object"}}},
            "headers": {
                "ETag": {"description": "quoted SHA-256 prefix of the body"},
                "X-Catalog-Version": {"description": "the catalog's `version` (if ASCII)"},
            },
        },
        304: {"description": "If-None-Match matched: the kiosk's copy is current"},
    },
)
def get_catalog(_who: AnyPrincipal, request: Request) -> Any:
    """The service catalog this server loaded (kiosk or staff token)."""
    payload = catalog_payload(request.app)
    headers = {"ETag": payload.etag, "Cache-Control": "no-cache"}
    if payload.version.isascii():  # header values are Latin-1; the body always has it
        headers["X-Catalog-Version"] = payload.version
    if etag_matches(request.headers.get("if-none-match"), payload.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(payload.body, media_type="application/json", headers=headers)
