"""办不成事反映 from the kiosk: create the case at the hall server, and take a ticket for the
办不成事 window in the same step, so the citizen leaves with the case number and a place in
the queue. Submitted directly (the case number is printed at once); with the hall server
down the citizen is sent to the window in person — nothing half-made is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from kiosk.flow import CASE_CONDITIONS, CaseDraft
from kiosk.hall_client import HallRejected
from kiosk.tickets import Ticket

WINDOW_SERVICE = "unresolved-report"  # the catalog item of the 办不成事反映 window


class CasesApi(Protocol):
    def create_case(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def case_progress(self, number: str) -> dict[str, Any]: ...

    def issue_ticket(self, service_id: str, idempotency_key: str, holder: Any = None,
                     priority: bool = False, language: str = "zh") -> Ticket: ...  # fmt: skip


class CaseService:
    def __init__(self, hall: CasesApi) -> None:
        self.hall = hall

    def create(self, key: str, draft: CaseDraft) -> tuple[dict[str, Any], Ticket]:
        body: dict[str, Any] = {c: c in draft.conditions for c in CASE_CONDITIONS}
        body.update(
            idempotency_key=key,
            categories=list(draft.categories),
            # the owner records the details when calling back; the kiosk has no keyboard
            description="自助终端提交："
            + "、".join(draft.categories)
            + "（详情由首接负责人回访时记录）",
            phone=draft.phone,
            privacy_consent=draft.consent,
            submitted_at=dt.datetime.now(dt.UTC).isoformat(),
        )
        case = self.hall.create_case(body)
        ticket = self.hall.issue_ticket(WINDOW_SERVICE, f"{key}:ticket")
        return case, ticket

    def progress(self, number: str) -> dict[str, Any] | None:
        try:
            return self.hall.case_progress(number)
        except HallRejected as exc:
            if exc.status == 404:
                return None
            raise
