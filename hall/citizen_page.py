"""What the citizen's two phone pages share: the ticket page (``hall.phone``, ``/t/…``) and
the 办不成事 case page (``hall.case_page``, ``/c/…``).

- The HTML shell (``page_html``): the head, the header with its 中文/English button, the
  connection-lost banner, the big number and the status line; each page adds its own body.
- The style and script every page links before its own (``hall/static/citizen.css``:
  375×667 and up, text ≥ 16 px, large targets; ``citizen.js``: the language switch and
  small DOM helpers), served under each page's static prefix (``static_file``).
- The response headers (the staff page's CSP: this origin only, so nothing external) and
  the plain 404 page both answer a wrong or expired link with.

The window evaluator (``hall.evaluator``, ``/rate/``) uses the rating's markup
(``RATING_CHOICES``) and ``citizen.js`` too.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from hall.web_session import security_headers, static_response

SECURITY_HEADERS = security_headers()
NO_STORE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
SHARED_STATIC = {
    "citizen.js": "text/javascript; charset=utf-8",
    "citizen.css": "text/css; charset=utf-8",
}
NOT_FOUND_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>404</title></head><body>"
    "<p>页面不存在或已过期。Page not found or expired.</p></body></html>"
)
RATING_CHOICES = """<div id="levels" class="levels"></div>
<div id="reasons-box" hidden>
<h3 data-zh="请选择原因（至少一项）" data-en="Please choose at least one reason">请选择原因（至少一项）</h3>
<div id="reasons" class="reasons"></div>
<button id="send" type="button" data-zh="提交评价" data-en="Submit">提交评价</button>
</div>"""
"""A rating's level buttons and, for a bad level, its reasons and 提交 (filled by
citizen.js's ``levelButtons`` / ``reasonButtons``): the ticket page's and the window
evaluator's."""


def page_html(
    prefix: str, name: str, title: tuple[str, str], lost: tuple[str, str], live: str, body: str
) -> str:
    """A citizen page: ``prefix`` is its static route (``/phone/static``), ``name`` its own
    script and style (``phone`` → phone.js, phone.css), ``title`` and ``lost`` (the
    connection banner) in Chinese and English, ``live`` the status line's ``aria-live``,
    ``body`` what follows the status line inside ``<main>``."""
    (title_zh, title_en), (lost_zh, lost_en) = title, lost
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title_zh} {title_en}</title>
<link rel="stylesheet" href="{prefix}/citizen.css">
<link rel="stylesheet" href="{prefix}/{name}.css">
<script src="{prefix}/citizen.js" defer></script>
<script src="{prefix}/{name}.js" defer></script></head><body>
<header><span data-zh="{title_zh}" data-en="{title_en}">{title_zh}</span>
<button id="lang" type="button">English</button></header>
<div id="conn" class="conn" role="alert" hidden
 data-zh="{lost_zh}" data-en="{lost_en}">{lost_zh}</div>
<main>
<p class="number"><span id="number">…</span></p>
<p id="status" class="status" aria-live="{live}"></p>
{body}</main></body></html>
"""


def html_page(content: str) -> HTMLResponse:
    """A citizen page, never cached."""
    return HTMLResponse(content, headers=NO_STORE)


def not_found_page() -> Response:
    """The one 404 page for a wrong, expired or malformed link."""
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers=NO_STORE)


def static_file(name: str, own: dict[str, str]) -> Response:
    """The shared script and style, or one of the page's ``own`` files (name → media
    type); 404 for anything else."""
    return static_response(name, {**SHARED_STATIC, **own}, SECURITY_HEADERS)
