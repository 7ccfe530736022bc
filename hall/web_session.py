"""What the hall's two browser pages with a login share: the counter workstation
(``hall.counter_web``, ``/counter/``) and the staff page (``hall.staff_web``, ``/staff/``).

- The response headers: a Content-Security-Policy that allows this origin only (no inline
  script, no CDN), no framing, no referrer; ``no-store`` on every page and JSON answer.
  ``security_headers`` makes them for every browser page of the hall (the board, the
  citizen's phone pages and the work queues add a source or two), and ``static_response``
  serves any page's script and style from hall/static.
- The session cookie: HttpOnly, SameSite=Strict, limited to the page's path, Secure over
  HTTPS; logging out deletes it with the same attributes.
- A cookie is never stored as it is: ``cookie_digest`` (SHA-256) is what the database keeps.
- The login form's token: a signed time stamp (``stamp_token``) that a cross-site form
  cannot have; it is valid for a given time after it was made (``stamp_token_ok``).

Each page keeps its own session rules (where a session lives, what the cookie holds).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"


def security_headers(*, img_src: str = "'self'", media_src: str | None = None) -> dict[str, str]:
    """The response headers of the hall's browser pages: a Content-Security-Policy that
    allows this origin only (no inline script or style, no CDN), no framing, no referrer.
    ``img_src``: where images may come from (the work queue's icon is a ``data:`` URL);
    ``media_src``: where sound may come from (the call board's spoken calls), else none."""
    media = f" media-src {media_src};" if media_src else ""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {img_src};{media}"
            " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


SECURITY_HEADERS = security_headers()
NO_STORE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def cookie_digest(raw: str) -> str:
    """What the database keeps of a cookie: its SHA-256, hex."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def stamp_token(key: bytes, purpose: str, stamp: int) -> str:
    """``<stamp>.<HMAC of purpose|stamp>``: a login form's token, made at ``stamp`` (Unix s)."""
    return f"{stamp}.{_mac(key, f'{purpose}|{stamp}')}"


def stamp_token_ok(key: bytes, purpose: str, token: str, now: dt.datetime, ttl_s: int) -> bool:
    """Is ``token`` one of ``stamp_token``'s for this purpose, made at most ``ttl_s`` ago?"""
    stamp, _, _mac_text = token.partition(".")
    if not stamp.isdigit() or not 0 <= now.timestamp() - int(stamp) <= ttl_s:
        return False
    return hmac.compare_digest(token.encode(), stamp_token(key, purpose, int(stamp)).encode())


def set_session_cookie(
    response: Response, request: Request, name: str, value: str, *, path: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, name: str, *, path: str) -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="strict")


def html_page(content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=NO_STORE)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=NO_STORE)


def json_answer(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers=NO_STORE)


@cache
def _static_bytes(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


def static_response(
    name: str, types: dict[str, str], security: dict[str, str] = SECURITY_HEADERS
) -> Response:
    """A file of hall/static that the page lists in ``types`` (name → media type), or 404;
    sent with the page's ``security`` headers (``security_headers``)."""
    if name not in types:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    headers = {**security, "Cache-Control": "no-cache"}
    return Response(_static_bytes(name), media_type=types[name], headers=headers)
