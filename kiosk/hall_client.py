"""The kiosk's client of the hall server (HTTP, bearer token).

Every failure becomes one of two errors the flow can explain: ``HallUnavailable`` (network,
timeout, server error — try again or ask staff) or ``HallRejected`` (the server refused
the request; its detail is for staff logs).
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

import httpx

from kiosk.errors import ConfigError
from kiosk.identity import Holder
from kiosk.tickets import Ticket

log = logging.getLogger(__name__)


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
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            verify=tls_verify(ca_file),
        )

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("hall server %s unreachable: %s", self.base_url, type(exc).__name__)
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

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", "/api/v1/health").json()
        return body

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
    ) -> Ticket:
        body: dict[str, Any] = {
            "service_id": service_id,
            "idempotency_key": idempotency_key,
            "priority": priority,
            "language": language,
        }
        if holder is not None:
            body["holder"] = {"id_number": holder.id_number, "masked_name": holder.masked_name}
        return Ticket.from_api(self._request("POST", "/api/v1/tickets", json=body).json())

    def request_help(self, kiosk_id: str, screen: str, elder: bool) -> dict[str, Any]:
        """呼叫工作人员: staff see the request (kiosk, screen) and close it when done."""
        body = {"kiosk_id": kiosk_id, "screen": screen, "elder": elder}
        result: dict[str, Any] = self._request("POST", "/api/v1/help-requests", json=body).json()
        return result

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
            body = {"holder": {"id_number": holder.id_number, "masked_name": holder.masked_name}}
        elif ticket_id is not None:
            body = {"ticket_id": ticket_id}
        else:
            body = {"ticket_number": ticket_number}
        visits: list[dict[str, Any]] = self._request(
            "POST", "/api/v1/ratings/visits", json=body
        ).json()
        return visits

    def submit_rating(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._request("POST", "/api/v1/ratings", json=body).json()
        return result

    def rating_options(self) -> dict[str, Any]:
        """Levels, reasons and the comment's length limit the hall server accepts."""
        options: dict[str, Any] = self._request("GET", "/api/v1/ratings/options").json()
        return options

    def case_options(self) -> dict[str, Any]:
        """Acceptance conditions, categories and time limits of 办不成事 cases."""
        options: dict[str, Any] = self._request("GET", "/api/v1/cases/options").json()
        return options

    def heartbeat(self, kiosk_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Device states for the hall's monitoring; the answer names the catalog version."""
        answer: dict[str, Any] = self._request(
            "POST", f"/api/v1/kiosks/{kiosk_id}/heartbeat", json=body
        ).json()
        return answer

    def create_case(self, body: dict[str, Any]) -> dict[str, Any]:
        case: dict[str, Any] = self._request("POST", "/api/v1/cases", json=body).json()
        return case

    def case_progress(self, number: str) -> dict[str, Any]:
        progress: dict[str, Any] = self._request("GET", f"/api/v1/cases/{number}").json()
        return progress

    def submit_precheck(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """材料预审: attach the pre-check's result (codes only) to a ticket this kiosk issued."""
        result: dict[str, Any] = self._request(
            "POST", f"/api/v1/tickets/{ticket_id}/precheck", json=body
        ).json()
        return result

    def get_ticket(self, ticket_id: str) -> Ticket:
        return Ticket.from_api(self._request("GET", f"/api/v1/tickets/{ticket_id}").json())
