"""The kiosk's client of the hall server (HTTP, bearer token).

Requests are built with the shared contract's models (``contract.api``) and answers are
validated with them, so the kiosk and the server cannot drift apart silently.

Every failure becomes one of two errors the flow can explain: ``HallUnavailable`` (network,
timeout, server error, an answer outside the contract — try again or ask staff) or
``HallRejected`` (the server refused the request, or would have: a body outside the
contract is not sent; its detail is for staff logs).
"""

from __future__ import annotations

import functools
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from contract.errors import ConfigError
from kiosk.identity import Holder
from kiosk.tickets import Ticket

if TYPE_CHECKING:
    from contract import api

log = logging.getLogger(__name__)


def _api() -> Any:
    """``contract.api``, imported on the first call (on a worker thread): building its
    models takes 20-40 ms that the kiosk's start to the home screen should not wait for."""
    from contract import api

    return api


class HallError(Exception):
    pass


class HallUnavailable(HallError):
    """The hall server cannot be reached or failed; nothing was decided."""


class HallRejected(HallError):
    """``code`` is the server's machine-readable reason (e.g. "already_rated") if it gave one."""

    def __init__(self, status: int, detail: str, code: str = "") -> None:
        super().__init__(f"{status}: {code or detail}")
        self.status = status
        self.detail = detail
        self.code = code


def tls_verify(ca_file: str | Path | None) -> ssl.SSLContext | bool:
    """How an https:// hall server is checked: against ``ca_file`` (the hall's own CA, e.g.
    ``python -m hall make-ca``; ``[hall] ca_file``) when given, else the system's CAs."""
    if not ca_file:
        return True
    path = Path(ca_file).expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"hall.ca_file {path}: not a readable PEM CA certificate ({exc})"
        ) from None


class HallClient:
    def __init__(
        self, base_url: str, token: str, timeout_s: float = 3.0, ca_file: str | Path | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self._verify = tls_verify(ca_file)  # [hall] ca_file: the hall's own CA
        self._base_url = base_url.rstrip("/")
        self._http: httpx.Client | None = self._open(base_url, token) if base_url else None

    def _open(self, base_url: str, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=self.timeout_s,
            verify=self._verify,
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    def _connection(self) -> httpx.Client:
        """The HTTP connection; a subclass may wait for its server here (``EmbeddedHall``)."""
        if self._http is None:
            raise HallUnavailable("no hall server address")
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        http = self._connection()
        try:
            response = http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("hall server %s unreachable: %s", self._base_url, type(exc).__name__)
            raise HallUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise HallUnavailable(f"server error {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
                detail, code = str(body.get("detail", "")), str(body.get("code", ""))
            except (ValueError, AttributeError):
                detail, code = response.text[:200], ""
            raise HallRejected(response.status_code, detail, code)
        return response

    def _call(
        self,
        method: str,
        path: str,
        answer: type[BaseModel] | TypeAdapter[Any],
        request: type[BaseModel] | None = None,
        body: dict[str, Any] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        """One request whose body is built with the contract's ``request`` model and whose
        answer is validated with ``answer``; returns the validated answer."""
        payload = None
        if request is not None:
            try:
                model = request.model_validate(body or {})
            except ValidationError as exc:  # what the server would refuse: not sent
                raise HallRejected(422, _where(exc), "invalid_request") from None
            payload = model.model_dump(mode="json", exclude_unset=True)
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        response = self._request(method, path, json=payload, **extra)
        try:
            if isinstance(answer, TypeAdapter):
                return answer.validate_python(response.json())
            return answer.model_validate(response.json())
        except (ValidationError, ValueError) as exc:
            log.warning("hall server %s answered outside the contract on %s", self._base_url, path)
            raise HallUnavailable(f"answer outside the contract: {_where(exc)}") from None

    def _dict(self, method: str, path: str, answer: type[BaseModel], request: type[BaseModel]
              | None = None, body: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        model: BaseModel = self._call(method, path, answer, request, body)
        return model.model_dump(mode="json")

    def health(self) -> dict[str, Any]:
        return self._dict("GET", "/api/v1/health", _api().Health)

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
        connect_timeout_s: float | None = None,
        read_timeout_s: float | None = None,
    ) -> Ticket:
        """``connect_timeout_s``/``read_timeout_s``: give up sooner than ``timeout_s`` (the
        offline issuer's fast failover: an unreachable or hung server costs the citizen at
        most that before a ticket from the reserve)."""
        body: dict[str, Any] = {
            "service_id": service_id,
            "idempotency_key": idempotency_key,
            "priority": priority,
            "language": language,
        }
        if holder is not None:
            body["holder"] = _holder(holder)
        timeout = None
        if connect_timeout_s or read_timeout_s:
            timeout = httpx.Timeout(
                self.timeout_s, connect=connect_timeout_s, read=read_timeout_s or self.timeout_s
            )
        out = self._call(
            "POST", "/api/v1/tickets", _api().TicketOut, _api().TicketRequest, body, timeout
        )
        return Ticket.from_api(out.model_dump(mode="json"))

    def lease_numbers(self, kiosk_id: str, window_group: str, size: int) -> dict[str, Any]:
        """A block of today's numbers of ``window_group`` for offline issuing."""
        body = {"window_group": window_group, "size": size}
        path = f"/api/v1/kiosks/{kiosk_id}/number-leases"
        return self._dict("POST", path, _api().NumberLeaseOut, _api().NumberLeaseRequest, body)

    def send_offline_ticket(self, body: dict[str, Any]) -> Ticket:
        """An offline ticket to the server's queue (idempotent by its key)."""
        out = self._call(
            "POST", "/api/v1/tickets/offline", _api().TicketOut, _api().OfflineTicketRequest, body
        )
        return Ticket.from_api(out.model_dump(mode="json"))

    def request_help(self, kiosk_id: str, screen: str, elder: bool) -> dict[str, Any]:
        """呼叫工作人员: staff see the request (kiosk, screen) and close it when done."""
        body = {"kiosk_id": kiosk_id, "screen": screen, "elder": elder}
        path = "/api/v1/help-requests"
        return self._dict("POST", path, _api().HelpRequestOut, _api().HelpRequestIn, body)

    def find_visits(
        self,
        ticket_number: str | None = None,
        *,
        ticket_id: str | None = None,
        holder: Holder | None = None,
    ) -> list[dict[str, Any]]:
        """评价: the tickets a citizen may rate — today's ticket with this number, the ticket
        of a scanned QR (its id), or a card holder's tickets of today — with whether each may
        be rated. The holder's ID number goes in the POST body only (the server hashes it)."""
        body: dict[str, Any]
        if holder is not None:
            body = {"holder": _holder(holder)}
        elif ticket_id is not None:
            body = {"ticket_id": ticket_id}
        else:
            body = {"ticket_number": ticket_number}
        visits = self._call("POST", "/api/v1/ratings/visits", _visits(), _api().VisitQuery, body)
        return [v.model_dump(mode="json") for v in visits]

    def submit_rating(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._dict("POST", "/api/v1/ratings", _api().RatingOut, _api().RatingIn, body)

    def rating_options(self) -> dict[str, Any]:
        """Levels, reasons and the comment's length limit the hall server accepts."""
        return self._dict("GET", "/api/v1/ratings/options", _api().RatingOptions)

    def case_options(self) -> dict[str, Any]:
        """Acceptance conditions, categories and time limits of 办不成事 cases."""
        return self._dict("GET", "/api/v1/cases/options", _api().CaseOptions)

    def heartbeat(self, kiosk_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Device states for the hall's monitoring; the answer names the catalog version."""
        path = f"/api/v1/kiosks/{kiosk_id}/heartbeat"
        return self._dict("POST", path, _api().HeartbeatReply, _api().Heartbeat, body)

    def create_case(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._dict("POST", "/api/v1/cases", _api().CaseCreated, _api().CaseIn, body)

    def case_progress(self, number: str) -> dict[str, Any]:
        return self._dict("GET", f"/api/v1/cases/{number}", _api().CaseProgress)

    def rate_case_handling(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        """The citizen's rating of how a closed case was handled (number + phone tail)."""
        path = f"/api/v1/cases/{number}/handling-rating"
        return self._dict("POST", path, _api().CaseHandlingRated, _api().CaseHandlingRatingIn, body)

    def submit_precheck(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """材料预审: attach the pre-check's result (codes only) to a ticket this kiosk issued."""
        path = f"/api/v1/tickets/{ticket_id}/precheck"
        return self._dict("POST", path, _api().PrecheckOut, _api().PrecheckIn, body)

    def subscribe_sms(self, body: dict[str, Any]) -> dict[str, Any]:
        """短信提醒: the citizen's mobile number for a ticket this kiosk issued (kiosk/sms.py)."""
        return self._dict(
            "POST", "/api/v1/sms-subscriptions", _api().SmsSubscriptionOut,
            _api().SmsSubscriptionIn, body,
        )  # fmt: skip

    def get_ticket(self, ticket_id: str) -> Ticket:
        out = self._call("GET", f"/api/v1/tickets/{ticket_id}", _api().TicketOut)
        return Ticket.from_api(out.model_dump(mode="json"))


@functools.cache
def _visits() -> TypeAdapter[list[api.VisitOut]]:
    return TypeAdapter(list[_api().VisitOut])


def _holder(holder: Holder) -> dict[str, str]:
    """The card holder as the API takes it: the number (hashed on arrival) and masked name."""
    return {"id_number": holder.id_number, "masked_name": holder.masked_name}


def _where(exc: ValidationError | ValueError) -> str:
    """Which fields were wrong and why — never their values (they may be personal data)."""
    if not isinstance(exc, ValidationError):
        return "not JSON"
    return "; ".join(
        ".".join(str(p) for p in err["loc"]) + ": " + err["msg"] for err in exc.errors()
    )[:300]
