"""Rate limits and the staff token login's lockout (issue 15, item 6; hall/ratelimit.py).

Each test sets the limits it checks on a real app (the other tests run with
HALL_RATE_LIMITS=off). Refills are an hour apart, so nothing refills during a test and no
test waits on the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, staff_login

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.ratelimit import DEFAULT_LIMITS, Limit

SLOW = 1 / 3600  # one request an hour: nothing refills while a test runs

MakeClient = Callable[..., TestClient]


@pytest.fixture
def tokens_and_app(tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable]]:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    tokens = {"kiosk": add_kiosk(url, "kiosk-1"), "staff": add_staff(url, "王*")}

    def make(**limits: Limit):
        return create_app(url, clock=FakeClock(), id_hash_key=ID_HASH_KEY, rate_limits=limits)

    yield tokens, make


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _retry_after(resp) -> int:  # noqa: ANN001
    assert resp.status_code == 429, resp.text
    seconds = int(resp.headers["retry-after"])
    assert seconds > 0
    return seconds


def test_logins_are_limited_per_client_address(tokens_and_app) -> None:  # noqa: ANN001
    _tokens, make = tokens_and_app
    app = make(login=Limit(3, SLOW))
    with TestClient(app, client=("10.0.0.7", 40000)) as one:
        for _ in range(3):
            assert one.post("/counter/login", data={}).status_code != 429
        assert _retry_after(one.post("/counter/login", data={})) > 60
        assert one.post("/staff/login", data={"token": "x"}).status_code == 429
    with TestClient(app, client=("10.0.0.8", 40000)) as other:
        assert other.post("/counter/login", data={}).status_code != 429


def test_staff_token_login_locks_out_after_five_wrong_tokens(tokens_and_app) -> None:  # noqa: ANN001
    tokens, make = tokens_and_app
    app = make()  # the default lockout: 5 wrong tokens
    assert DEFAULT_LIMITS["staff_login_fail"].capacity == 5
    with TestClient(app, client=("10.0.0.9", 40000), follow_redirects=False) as guesser:
        for n in range(5):
            wrong = staff_login(guesser, f"guess-{n}")
            assert wrong.status_code == 401
        # locked: even the right token is refused now, with the time to wait
        locked = staff_login(guesser, tokens["staff"])
        assert _retry_after(locked) >= 60
    with TestClient(app, client=("10.0.0.10", 40000), follow_redirects=False) as colleague:
        ok = staff_login(colleague, tokens["staff"])
        assert ok.status_code == 303 and ok.headers["location"] == "/staff/"


def test_each_token_has_its_own_limit(tokens_and_app) -> None:  # noqa: ANN001
    tokens, make = tokens_and_app
    with TestClient(make(token=Limit(4, SLOW))) as client:
        for _ in range(4):
            assert (
                client.get("/api/v1/catalog", headers=_bearer(tokens["kiosk"])).status_code == 200
            )
        _retry_after(client.get("/api/v1/catalog", headers=_bearer(tokens["kiosk"])))
        _retry_after(client.post("/api/v1/tickets", json={}, headers=_bearer(tokens["kiosk"])))
        assert client.get("/api/v1/catalog", headers=_bearer(tokens["staff"])).status_code == 200


def test_guessing_tokens_is_slowed_down_everywhere(tokens_and_app) -> None:  # noqa: ANN001
    tokens, make = tokens_and_app
    with TestClient(make(refused=Limit(3, SLOW)), client=("10.0.0.11", 1)) as guesser:
        for n in range(3):
            bad = guesser.get("/api/v1/catalog", headers=_bearer(f"guess-{n}"))
            assert bad.status_code == 401
        _retry_after(guesser.get("/api/v1/catalog", headers=_bearer(tokens["kiosk"])))
        _retry_after(guesser.get("/api/v1/board/state"))
        assert guesser.get("/api/v1/health").status_code == 200  # monitoring still sees it


def test_public_endpoints_are_limited_per_client_address(tokens_and_app) -> None:  # noqa: ANN001
    _tokens, make = tokens_and_app
    app = make(public=Limit(5, SLOW))
    with TestClient(app, client=("10.0.0.12", 1)) as board:
        for _ in range(5):
            assert board.get("/api/v1/board/state").status_code == 200
        _retry_after(board.get("/api/v1/board/state"))
    with TestClient(app, client=("10.0.0.13", 1)) as other_board:
        assert other_board.get("/api/v1/board/state").status_code == 200


def test_the_default_limits_leave_a_busy_kiosk_alone(tokens_and_app) -> None:  # noqa: ANN001
    tokens, make = tokens_and_app
    app = make()
    with TestClient(app) as client:
        service_id = app.state.catalog.services[0].id
        for n in range(120):  # a burst far above a kiosk's real pace
            body = {"service_id": service_id, "idempotency_key": f"k{n}"}
            resp = client.post("/api/v1/tickets", json=body, headers=_bearer(tokens["kiosk"]))
            assert resp.status_code == 201, resp.text
        for _ in range(60):  # a board polling
            assert client.get("/api/v1/board/state").status_code == 200


def test_hall_rate_limits_off_switches_them_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'off.sqlite3'}"
    migrate(url)
    monkeypatch.setenv("HALL_RATE_LIMITS", "off")
    app = create_app(url, clock=FakeClock(), id_hash_key=ID_HASH_KEY)  # limits from env
    with TestClient(app) as client:
        for n in range(int(DEFAULT_LIMITS["refused"].capacity) + 5):
            assert client.get("/api/v1/catalog", headers=_bearer(f"guess-{n}")).status_code == 401
    monkeypatch.setenv("HALL_RATE_LIMITS", "on")
    app = create_app(url, clock=FakeClock(), id_hash_key=ID_HASH_KEY)
    with TestClient(app) as client:
        answers = [
            client.get("/api/v1/catalog", headers=_bearer(f"guess-{n}")).status_code
            for n in range(int(DEFAULT_LIMITS["refused"].capacity) + 5)
        ]
        assert answers[-1] == 429
