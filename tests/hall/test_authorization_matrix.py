"""Who may call what: every route of the app's own route table has an explicit rule here,
and each rule is checked against a real server (``python -m hall serve``) — issue 15, item 5.

A route added without a rule fails ``test_every_route_has_a_rule``; a rule that no longer
names a route fails ``test_no_rule_for_a_route_that_is_gone``. The rules:

- ``public``: anyone, no token (health, boards, login pages, static files, spoken calls);
- ``login``: anyone may try; without credentials the login itself refuses (401/403);
- ``kiosk`` / ``staff``: that bearer token — none → 401, the other kind → 403;
- ``token``: a kiosk or a staff bearer token — none → 401;
- ``evaluator``: an evaluator device token — none or a kiosk/staff token → 401;
- ``staff_page`` / ``counter_page``: the /staff/ or /counter/ session cookie — without it
  401 or a redirect to the page's login, whatever bearer token is sent;
- ``supervisor_page``: a /staff/ session of a supervisor — without a session as
  ``staff_page``, with another staff member's session 403.

The server runs with the rate limits on (at figures this test never reaches); and
``test_every_route_is_rate_limited`` checks, from the same table, that no route goes round
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from hall_support import ID_HASH_KEY, RATE_LIMITS_ON_UNREACHED, staff_login

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.evaluator import add_evaluator
from hall.testing import ServerProcess

RULES: dict[tuple[str, str], str] = {
    # the API's documentation: the schema and a local page that reads it (hall/api_docs.py)
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/static/{name}"): "public",
    # kiosks and counters
    ("GET", "/api/v1/health"): "public",
    ("POST", "/api/v1/tickets"): "kiosk",
    ("GET", "/api/v1/tickets/{ticket_id}"): "token",
    ("POST", "/api/v1/counters/{counter_id}/call-next"): "staff",
    ("POST", "/api/v1/counters/{counter_id}/call/{ticket_id}"): "staff",
    ("POST", "/api/v1/counters/{counter_id}/pause"): "staff",
    ("POST", "/api/v1/counters/{counter_id}/open"): "staff",
    ("GET", "/api/v1/counters/{counter_id}"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/recall"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/no-show"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/complete"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/hold"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/resume"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/transfer"): "staff",
    ("POST", "/api/v1/help-requests"): "kiosk",
    ("GET", "/api/v1/help-requests"): "staff",
    ("POST", "/api/v1/help-requests/{request_id}/close"): "staff",
    ("POST", "/api/v1/tickets/{ticket_id}/precheck"): "kiosk",
    ("GET", "/api/v1/tickets/{ticket_id}/precheck"): "staff",
    ("GET", "/api/v1/precheck/stats"): "staff",
    ("GET", "/api/v1/ratings/options"): "token",
    ("POST", "/api/v1/ratings"): "kiosk",
    ("POST", "/api/v1/ratings/visits"): "kiosk",
    ("GET", "/api/v1/ratings/export"): "staff",
    ("GET", "/api/v1/ratings/stats"): "staff",
    ("GET", "/api/v1/followups"): "staff",
    ("GET", "/api/v1/followups/{followup_id}"): "staff",
    ("POST", "/api/v1/followups/{followup_id}"): "staff",
    ("GET", "/api/v1/cases/options"): "token",
    ("POST", "/api/v1/cases"): "kiosk",
    ("GET", "/api/v1/cases"): "staff",
    ("GET", "/api/v1/cases/{case_number}"): "token",
    ("GET", "/api/v1/cases/{case_number}/detail"): "staff",
    ("GET", "/api/v1/cases/{case_number}/contact"): "staff",
    ("POST", "/api/v1/cases/{case_number}/events"): "staff",
    ("POST", "/api/v1/kiosks/{kiosk_id}/heartbeat"): "kiosk",
    ("GET", "/api/v1/kiosks"): "staff",
    ("GET", "/api/v1/kiosks/{kiosk_id}"): "staff",
    ("GET", "/api/v1/catalog"): "token",
    # the staff page (session cookie from a staff token)
    ("GET", "/staff/"): "staff_page",
    ("GET", "/staff/kiosks.json"): "staff_page",
    ("GET", "/staff/login"): "public",
    ("POST", "/staff/login"): "login",
    ("POST", "/staff/logout"): "public",  # ends the caller's own session only
    ("POST", "/staff/help-requests/{request_id}/close"): "staff_page",
    ("GET", "/staff/static/{name}"): "public",
    # the counter workstation page (session cookie from staff number + password + counter)
    ("GET", "/counter/"): "counter_page",
    ("GET", "/counter/state.json"): "counter_page",
    ("GET", "/counter/login"): "public",
    ("POST", "/counter/login"): "login",
    ("POST", "/counter/logout"): "public",  # ends the caller's own session only
    ("POST", "/counter/api/{action}"): "counter_page",
    ("GET", "/counter/static/{name}"): "public",
    # call boards and spoken calls: public screens, no personal data
    ("GET", "/api/v1/board/state"): "public",
    ("GET", "/api/v1/board/events"): "public",
    ("GET", "/board/"): "public",
    ("GET", "/board/static/{name}"): "public",
    ("GET", "/api/v1/announcements/{key}.wav"): "public",
    # statistics, work queues, the wall dashboard
    ("GET", "/api/v1/stats/queue"): "staff",
    ("GET", "/api/v1/stats/service-levels"): "staff",
    ("GET", "/staff/stats/queue"): "staff_page",
    ("GET", "/staff/work/"): "staff_page",
    ("GET", "/staff/work/data.json"): "staff_page",
    ("POST", "/staff/work/{kind}/{target}/{action}"): "supervisor_page",
    ("GET", "/staff/work/static/work.js"): "public",
    ("GET", "/dashboard/"): "public",  # aggregates only, no personal data
    ("GET", "/dashboard/data.json"): "public",
    ("GET", "/dashboard/static/{name}"): "public",
    # the window evaluator (device token)
    ("GET", "/api/v1/evaluator/state"): "evaluator",
    ("POST", "/api/v1/evaluator/ratings"): "evaluator",
    ("GET", "/rate/"): "public",
    # the citizen's phone page: the link's signature is the capability (a wrong or expired
    # one is a plain 404); no name or ID number on it (hall/phone.py)
    ("GET", "/t/{ticket_id}/{sig}"): "public",
    ("GET", "/t/{ticket_id}/{sig}/state"): "public",
    ("GET", "/t/{ticket_id}/{sig}/events"): "public",
    # an offline ticket's QR: signed with its kiosk's lease key; "not yet synced" until then
    ("GET", "/t/o/{lease_id}/{ticket_id}/{sig}"): "public",
    ("POST", "/t/{ticket_id}/{sig}/rating"): "public",
    ("GET", "/phone/static/{name}"): "public",
    # a 办不成事 case's phone page: the slip's signed link is the capability (hall/case_page.py)
    ("GET", "/c/{case_number}/{sig}"): "public",
    ("GET", "/c/{case_number}/{sig}/state"): "public",
    ("POST", "/c/{case_number}/{sig}/rating"): "public",
    ("GET", "/case-page/static/{name}"): "public",
    # offline tickets: a kiosk leases numbers for itself and delivers what it issued
    ("POST", "/api/v1/kiosks/{kiosk_id}/number-leases"): "kiosk",
    ("POST", "/api/v1/tickets/offline"): "kiosk",
    # the citizen rates how a closed case was handled, at a kiosk (case number + phone tail)
    ("POST", "/api/v1/cases/{case_number}/handling-rating"): "kiosk",
    # 短信提醒: the kiosk that issued a ticket sends the citizen's number (hall/sms.py)
    ("POST", "/api/v1/sms-subscriptions"): "kiosk",
}

KINDS = {
    "login",
    "supervisor_page",
    "public",
    "kiosk",
    "staff",
    "token",
    "evaluator",
    "staff_page",
    "counter_page",
}

PARAMS = {
    "ticket_id": "00000000-0000-0000-0000-000000000000",
    "counter_id": "1",
    "request_id": "1",
    "followup_id": "1",
    "case_number": "BC20261123-0001",
    "kiosk_id": "kiosk-1",
    "name": "nothing.js",
    "key": "A001-1",
    "action": "call-next",
    "lease_id": "1",
    "sig": "AAAAAAAAAAAAAAAAAAAAAA",  # a phone link's signature: a wrong one, so a plain 404
}

STREAMS = {("GET", "/api/v1/board/events")}
"""Server-sent events: never ends; only the status line is read."""


def route_table(app: object) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD comes with GET)."""
    table = set()
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        for method in route.methods or ():
            if method != "HEAD":
                table.add((method, route.path))
    return table


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("authz") / "hall.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)
    return url


@pytest.fixture(scope="module")
def tokens(db_url: str) -> dict[str, str]:
    return {
        "kiosk": add_kiosk(db_url, "kiosk-1"),
        "staff": add_staff(db_url, "王*"),
        "evaluator": add_evaluator(db_url, "1", {"1"}),
    }


@pytest.fixture(scope="module")
def server(db_url: str, tokens: dict[str, str]) -> Iterator[ServerProcess]:
    with ServerProcess(db_url, env=RATE_LIMITS_ON_UNREACHED) as running:
        yield running


@pytest.fixture(scope="module")
def limited_server(db_url: str, tokens: dict[str, str]) -> Iterator[ServerProcess]:
    """A server whose public and token limits allow one request an hour."""
    slow = 1 / 3600
    env = {"HALL_RATE_LIMITS": f"public=1:{slow},token=1:{slow},login=1:{slow}"}
    with ServerProcess(db_url, env=env) as running:
        for token in (None, tokens["kiosk"]):  # spend the one request of each bucket
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            httpx.get(f"{running.base_url}/api/v1/board/state", headers=headers, timeout=10)
        yield running


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    # its own database: an app built here with a test key would bind the server's database
    # to that key, and the real server started beside it uses its key file
    path = tmp_path_factory.mktemp("routes") / "hall.sqlite3"
    return route_table(create_app(f"sqlite:///{path}", id_hash_key=ID_HASH_KEY))


def test_every_route_has_a_rule(routes: set[tuple[str, str]]) -> None:
    missing = sorted(routes - set(RULES))
    assert not missing, f"routes without an authorization rule in this table: {missing}"
    assert set(RULES.values()) <= KINDS


def test_no_rule_for_a_route_that_is_gone(routes: set[tuple[str, str]]) -> None:
    assert not sorted(set(RULES) - routes)


EXAMPLE_URLS = {
    # a valid kind and action, so that the role check (not the action's 404) answers
    "/staff/work/{kind}/{target}/{action}": "/staff/work/cases/BC20261123-0001/take",
}


def _url(path: str) -> str:
    if path in EXAMPLE_URLS:
        return EXAMPLE_URLS[path]
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)


def _status(server: ServerProcess, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=server.base_url, timeout=10, follow_redirects=False) as client:
        if (method, path) in STREAMS:
            with client.stream(method, _url(path), headers=headers) as resp:
                return resp
        return client.request(method, _url(path), headers=headers)


def _refused_page(resp: httpx.Response, login: str) -> bool:
    return resp.status_code == 401 or (
        resp.status_code == 303 and resp.headers["location"] == login
    )


@pytest.mark.parametrize(("method", "path"), sorted(RULES), ids=lambda v: str(v))
def test_rule_holds_on_a_real_server(
    server: ServerProcess, tokens: dict[str, str], method: str, path: str
) -> None:
    rule = RULES[(method, path)]

    def status_as(who: str | None) -> httpx.Response:
        return _status(server, method, path, tokens[who] if who else None)

    anonymous = status_as(None)
    assert anonymous.status_code < 500, anonymous.text
    if rule == "public":
        assert anonymous.status_code not in (401, 403), anonymous.text
    elif rule == "login":
        assert anonymous.status_code in (401, 403), anonymous.text
    elif rule in ("kiosk", "staff", "token"):
        assert anonymous.status_code == 401, anonymous.text
        for who in ("kiosk", "staff"):
            allowed = rule in (who, "token")
            resp = status_as(who)
            assert resp.status_code < 500, resp.text
            if allowed:
                assert resp.status_code not in (401, 403), (who, resp.text)
            else:
                assert resp.status_code == 403, (who, resp.text)
        assert status_as("evaluator").status_code == 401
    elif rule == "evaluator":
        assert anonymous.status_code == 401
        for who in ("kiosk", "staff"):
            assert status_as(who).status_code == 401, who
        allowed = status_as("evaluator")
        assert allowed.status_code not in (401, 403), allowed.text
    else:
        login = "/counter/login" if rule == "counter_page" else "/staff/login"
        for who in (None, "kiosk", "staff", "evaluator"):
            assert _refused_page(status_as(who), login), who


@pytest.mark.parametrize(("method", "path"), sorted(RULES), ids=lambda v: str(v))
def test_every_route_is_rate_limited(
    limited_server: ServerProcess, tokens: dict[str, str], method: str, path: str
) -> None:
    """No route goes round the limits: with the client's buckets empty, every route
    answers 429 with Retry-After, anonymously and with a token (health excepted: monitoring
    polls it and it costs nothing)."""
    for who in (None, "kiosk"):
        resp = _status(limited_server, method, path, tokens[who] if who else None)
        if path == "/api/v1/health":
            assert resp.status_code == 200
        else:
            assert resp.status_code == 429, (who, resp.status_code)
            assert int(resp.headers["retry-after"]) > 0


def test_a_staff_session_opens_the_staff_page_routes(
    server: ServerProcess, tokens: dict[str, str]
) -> None:
    """The positive side of ``staff_page``: signed in with the staff token, they answer."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        resp = staff_login(client, tokens["staff"])
        assert resp.status_code == 303 and resp.headers["location"] == "/staff/"
        cookie = {"Cookie": resp.headers["set-cookie"].split(";", 1)[0]}
        for (method, path), rule in RULES.items():
            if rule not in ("staff_page", "supervisor_page"):
                continue
            headers = {**cookie, "X-Staff-Page": "1"}
            answer = client.request(method, _url(path), headers=headers)
            assert answer.status_code != 303, path
            if rule == "staff_page":
                assert answer.status_code not in (401, 403, 500), (path, answer.text)
            else:  # this member of staff is not a supervisor
                assert answer.status_code == 403, (path, answer.text)
