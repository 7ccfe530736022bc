"""The request-body limit (hall/body_limit.py): refused with 413 before authentication,
by Content-Length at once and while a chunked body streams in; the server's memory stays
low under a 200 MB anonymous body. Against a real ``python -m hall serve`` process."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hall.body_limit import DEFAULT_MAX_BODY_BYTES
from hall.db import add_kiosk, migrate
from hall.testing import ServerProcess

pytestmark = pytest.mark.slow
MB = 1024 * 1024


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def post_body(
    port: int, path: str, total: int, *, chunked: bool, token: str = "", timeout_s: float = 30
) -> tuple[int, float, int]:
    """POST ``total`` bytes (a JSON array's worth of "1,") as fast as the server takes
    them, until it answers. Returns (status, seconds to the answer, bytes sent)."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    if token:
        head.append(f"Authorization: Bearer {token}")
    piece = b"1," * (MB // 2)
    data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sock = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    sent, answer = 0, b""
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        pending = memoryview(b"")
        while time.monotonic() - started < timeout_s:
            want_write = sent < total or len(pending) > 0
            readable, writable, _ = select.select([sock], [sock] if want_write else [], [], 1.0)
            if readable:
                chunk = sock.recv(65536)
                answer += chunk
                if b"\r\n\r\n" in answer or not chunk:
                    break
            elif writable:
                if not pending:
                    pending = memoryview(data)
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    want_write = False
                    sock.setblocking(True)
                    sock.settimeout(5)
                    answer += sock.recv(65536)
                    break
                pending = pending[n:]
                sent += n
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer[9:12]), time.monotonic() - started, sent


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
    assert peak_rss_mb(proc.pid) - before < 30, "the server buffered the refused body"


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
