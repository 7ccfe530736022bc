"""``/docs``: the API's reference page, served by this server with nothing from elsewhere.

FastAPI's own ``/docs`` and ``/redoc`` load their scripts from a CDN, which an offline hall
cannot reach; ``create_app`` turns them off and includes this router instead. The page
(``hall/static/api-docs.*``, plain HTML and a small script) lists every path of
``/openapi.json`` with its parameters and answers, in Chinese with English on one tap.
Public, like ``/openapi.json`` (authorization: none — it holds no data, only the API's
shape); the Content-Security-Policy allows this origin only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

_STATIC = Path(__file__).resolve().parent / "static"
_FILES = {
    "api-docs.js": "text/javascript; charset=utf-8",
    "api-docs.css": "text/css; charset=utf-8",
}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(include_in_schema=False)


@cache
def _read(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


@router.get("/docs")
def docs_page() -> Response:
    """Authorization: none (public, like /openapi.json)."""
    return Response(_read("api-docs.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/docs/static/{name}")
def docs_static(name: str) -> Response:
    """Authorization: none. Only the page's own two files."""
    if name not in _FILES:
        raise HTTPException(404)
    return Response(_read(name), media_type=_FILES[name], headers=_HEADERS)
