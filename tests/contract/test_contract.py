"""The shared contract: the hall's routes declare its models, the kiosk's client builds its
requests and checks the answers with them, ID numbers are validated and hashed once, and
the kiosk core gets the in-process hall server only from the composition root."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from contract import api
from contract.catalog import DEFAULT_PATH
from contract.errors import ConfigError
from contract.idnumber import InvalidIdNumber, compact_id_number, keyed_hash, parse_id_number
from hall.app import create_app
from hall.db import migrate
from hall.embedded import EmbeddedHallServer
from hall.privacy import hash_id_number
from kiosk.app import build_core
from kiosk.embedded import EmbeddedHall
from kiosk.hall_client import HallClient, HallRejected, HallUnavailable
from kiosk.identity import Holder
from kiosk.settings import load_settings

PHONE = "13912345678"  # invented


class _Recorder(BaseHTTPRequestHandler):
    """A real HTTP server that records what it is sent and answers ``server.answer``."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, body))  # type: ignore[attr-defined]
        data = json.dumps(self.server.answer).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.answer = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="recorder", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _client(server: ThreadingHTTPServer) -> HallClient:
    return HallClient(f"http://127.0.0.1:{server.server_address[1]}", "token", 3.0)


def test_a_body_outside_the_contract_is_not_sent_and_its_values_not_echoed(
    recorder: ThreadingHTTPServer,
) -> None:
    client = _client(recorder)
    try:
        with pytest.raises(HallRejected) as refused:
            client.create_case({"idempotency_key": "k1", "description": "x" * 501,
                                "phone": PHONE + "0" * 20, "privacy_consent": True})  # fmt: skip
        assert refused.value.status == 422 and refused.value.code == "invalid_request"
        assert "description" in refused.value.detail and "phone" in refused.value.detail
        assert PHONE not in refused.value.detail and "xxxx" not in refused.value.detail
        with pytest.raises(HallRejected):
            client.submit_rating({"idempotency_key": "k2", "level": "great"})
        assert recorder.seen == []  # type: ignore[attr-defined]
    finally:
        client.close()


def test_a_request_is_the_contract_model_as_sent(recorder: ThreadingHTTPServer) -> None:
    recorder.answer = {"catalog_version": "v1", "catalog_etag": '"e"', "problems": []}  # type: ignore[attr-defined]
    client = _client(recorder)
    try:
        reply = client.heartbeat("kiosk-07", {"version": "1.0", "interval_s": 30,
                                              "devices": {"printer": "paper_out"}})  # fmt: skip
    finally:
        client.close()
    assert reply == {"catalog_version": "v1", "catalog_etag": '"e"', "problems": []}
    ((method, path, body),) = recorder.seen  # type: ignore[attr-defined]
    assert (method, path) == ("POST", "/api/v1/kiosks/kiosk-07/heartbeat")
    sent = json.loads(body)
    assert sent == {"version": "1.0", "interval_s": 30.0, "devices": {"printer": "paper_out"}}
    assert api.Heartbeat.model_validate(sent).devices.card_reader == "unknown"


def test_an_answer_outside_the_contract_is_unavailable_not_trusted(
    recorder: ThreadingHTTPServer,
) -> None:
    recorder.answer = {"id": "t1", "number": "A001"}  # type: ignore[attr-defined]  # fields missing
    client = _client(recorder)
    try:
        with pytest.raises(HallUnavailable, match="outside the contract"):
            client.get_ticket("t1")
        recorder.answer = {"levels": "five"}  # type: ignore[attr-defined]
        with pytest.raises(HallUnavailable, match="outside the contract"):
            client.rating_options()
    finally:
        client.close()


def test_the_hall_routes_declare_the_contract_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    paths = create_app(url, DEFAULT_PATH).openapi()["paths"]
    expected = {
        ("/api/v1/tickets", "post"): ("TicketRequest", "TicketOut"),
        ("/api/v1/ratings", "post"): ("RatingIn", "RatingOut"),
        ("/api/v1/ratings/visits", "post"): ("VisitQuery", "VisitOut"),
        ("/api/v1/cases", "post"): ("CaseIn", "CaseCreated"),
        ("/api/v1/help-requests", "post"): ("HelpRequestIn", "HelpRequestOut"),
        ("/api/v1/kiosks/{kiosk_id}/heartbeat", "post"): ("Heartbeat", "HeartbeatReply"),
        ("/api/v1/tickets/{ticket_id}/precheck", "post"): ("PrecheckIn", "PrecheckOut"),
        ("/api/v1/ratings/options", "get"): (None, "RatingOptions"),
        ("/api/v1/cases/options", "get"): (None, "CaseOptions"),
        ("/api/v1/cases/{case_number}", "get"): (None, "CaseProgress"),
        ("/api/v1/health", "get"): (None, "Health"),
    }
    for (path, method), (body, answer) in expected.items():
        op = paths[path][method]
        if body is not None:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] == body, (path, method)
        ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
        assert answer in json.dumps(ok["content"]["application/json"]["schema"]), (path, method)
    # and the hall's modules name the contract's classes themselves, not copies
    import hall.cases
    import hall.help
    import hall.monitoring
    import hall.precheck
    import hall.ratings

    for module, names in (
        (hall.ratings, ("RatingIn", "RatingOut", "VisitQuery", "VisitOut", "RatingOptions")),
        (hall.cases, ("CaseIn", "CaseProgress", "CaseCreated", "CaseOptions")),
        (hall.help, ("HelpRequestIn", "HelpRequestOut")),
        (hall.monitoring, ("Heartbeat", "HeartbeatReply", "DeviceStates")),
        (hall.precheck, ("PrecheckIn", "PrecheckOut", "MaterialResult")),
    ):
        for name in names:
            assert getattr(module, name) is getattr(api, name), (module.__name__, name)


def test_id_numbers_are_validated_and_hashed_once() -> None:
    # validation (typed numbers): canonical form or a reason
    assert parse_id_number("110105 19491231 002x") == "11010519491231002X"
    with pytest.raises(InvalidIdNumber) as bad:
        parse_id_number("H12345678")
    assert bad.value.code == "length"
    # compaction (before hashing any card or permit number): no validation at all
    assert compact_id_number(" h1234 5678 ") == "H12345678"
    key = bytes(range(32))
    assert keyed_hash(key, "11010519491231002x") == keyed_hash(key, "110105 19491231002X")
    assert hash_id_number is keyed_hash  # the hall's name for the same construction
    assert api.Holder(id_number="11010519491231002x", masked_name="张*").id_number
    with pytest.raises(ValueError, match="masked"):
        api.Holder(id_number="11010519491231002X", masked_name="张三")


def test_embedded_mode_needs_the_server_from_the_composition_root() -> None:
    with pytest.raises(ConfigError, match="in-process hall server"):
        build_core(load_settings())


def test_the_embedded_hall_is_a_client_that_waits_for_its_server(tmp_path: Path) -> None:
    hall = EmbeddedHall(EmbeddedHallServer(tmp_path, DEFAULT_PATH, "kiosk-07"), 5.0)
    try:
        assert isinstance(hall, HallClient)
        hall.start()  # in the background; the call below waits for it
        ticket = hall.issue_ticket("business-license", "visit-1",
                                   Holder.from_typed("11010519491231002X"))  # fmt: skip
        assert ticket.number[0].isalpha() and ticket.service_id == "business-license"
        assert hall.get_ticket(ticket.id) == ticket
    finally:
        hall.close()


def test_an_embedded_server_that_cannot_start_is_unavailable(tmp_path: Path) -> None:
    hall = EmbeddedHall(EmbeddedHallServer(tmp_path, tmp_path / "no-catalog.toml", "k"), 5.0)
    try:
        with pytest.raises(HallUnavailable, match="failed to start"):
            hall.health()
    finally:
        hall.close()
