"""The request-body limit (hall/body_limit.py): refused with 413 before authentication,
by Content-Length at once and while a chunked body streams in; the server's memory stays
low under a 200 MB anonymous body. Against a real ``python -m hall serve`` process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hall.body_limit import DEFAULT_MAX_BODY_BYTES
from hall.db import add_kiosk, migrate
from hall.testing import ServerProcess, peak_rss_mb, post_body

pytestmark = pytest.mark.slow
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('body') / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "kiosk-1")
    with ServerProcess(db_url) as proc:
        yield proc, token


def test_a_200_mb_anonymous_body_is_refused_quickly_and_memory_stays_low(
    server: tuple[ServerProcess, str],
) -> None:
    proc, _token = server
    assert proc.pid is not None
    before = peak_rss_mb(proc.pid)
    status, seconds, _sent = post_body(proc.port, "/api/v1/tickets", 200 * MB, chunked=False)
    assert status == 413 and seconds < 2
    status, seconds, sent = post_body(proc.port, "/api/v1/tickets", 200 * MB, chunked=True)
    assert status == 413 and seconds < 5
    assert sent < 50 * MB  # refused while streaming, not after the whole body
    # a buffered body would add 200 MB or more; 64 MB leaves room for what the server loads
    # lazily on its first requests (pinyin tables for the announcer, the API models)
    assert peak_rss_mb(proc.pid) - before < 64, "the server buffered the refused body"


def test_the_limit_applies_before_the_token_check_and_normal_requests_pass(
    server: tuple[ServerProcess, str],
) -> None:
    proc, token = server
    url = f"{proc.base_url}/api/v1/tickets"
    big = b"[" + b"1," * (DEFAULT_MAX_BODY_BYTES // 2) + b"1]"
    resp = httpx.post(url, content=big, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 413  # even with a valid token
    assert resp.json()["code"] == "body_too_large" and "bytes" in resp.json()["detail"]
    small = b"[" + b"1," * 1000 + b"1]"
    assert httpx.post(url, content=small).status_code == 401  # under the limit: to auth
    status, _seconds, _sent = post_body(proc.port, "/api/v1/tickets", 200 * MB, chunked=True,
                                        token=token)  # fmt: skip
    assert status == 413
    body = {"service_id": "hukou-transfer", "idempotency_key": "ok-1"}
    ok = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 201
    assert httpx.get(f"{proc.base_url}/api/v1/health").status_code == 200
