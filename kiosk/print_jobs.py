"""What the printer gets: the ticket, the one-time notice and the 办不成事 receipt, built
from the catalog in the visit's language (pure functions, no device, no state)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contract.catalog import Bundle, Catalog, Service
from contract.vocab import CASE_SEVERITIES
from devices.printer.layout import NoticeMaterial, NoticePrint, TicketPrint
from kiosk.tickets import Ticket


def where(catalog: Catalog, group_id: str, language: str) -> str:
    g = catalog.group(group_id)
    return f"{g.name} {g.location}" if language == "zh" else f"{g.name_en}, {g.location_en}"


def notice_print(
    catalog: Catalog, entry: Service | Bundle, language: str, issued_at: dt.datetime
) -> NoticePrint:
    zh = language == "zh"
    return NoticePrint(
        hall_name=catalog.hall_name if zh else catalog.hall_name_en,
        title=entry.name if zh else entry.name_en,
        materials=tuple(
            NoticeMaterial(m.name if zh else m.name_en, m.core)
            for m in catalog.materials_for(entry)
        ),
        time_limit=entry.time_limit if zh else entry.time_limit_en,
        fee=entry.fee if zh else entry.fee_en,
        where=where(catalog, entry.group, language),
        issued_at=issued_at,
    )


SEVERITY_NAMES_EN = {
    "ordinary": "ordinary",
    "urgent": "urgent",
    "many_or_vulnerable": "many people or a vulnerable person",
}


def case_matter(catalog: Catalog, case: dict[str, Any], language: str) -> str:
    """The matter of a case as printed: the catalog item's name, 不在事项库, or (an item
    the kiosk's catalog no longer has; a case from before matters) a plain note."""
    zh = language == "zh"
    if case.get("not_in_catalog"):
        return "不在事项库" if zh else "not in the catalog"
    item_id = case.get("item_id")
    if not item_id:
        return "未注明" if zh else "not given"
    try:
        entry = catalog.entry(item_id)
    except KeyError:
        return str(item_id)
    return entry.name if zh else entry.name_en


def case_lines(catalog: Catalog, case: dict[str, Any], language: str) -> tuple[str, ...]:
    """The slip's matter and severity lines."""
    zh = language == "zh"
    severity = str(case.get("severity") or "ordinary")
    name = (CASE_SEVERITIES if zh else SEVERITY_NAMES_EN).get(severity, severity)
    return (
        ("反映事项：" if zh else "Matter: ") + case_matter(catalog, case, language),
        ("紧急程度：" if zh else "Severity: ") + name,
    )


def case_slip(
    catalog: Catalog, case: dict[str, Any], language: str, issued_at: dt.datetime
) -> NoticePrint:
    """The receipt of a 办不成事 case, printed under its window's ticket. A case kept in
    the outbox (hall server down) gets a receipt that says so, with the kiosk's local
    reference and the window — never a case number the server has not given."""
    zh = language == "zh"
    place = where(catalog, "unresolved", language)
    if case.get("pending"):
        return NoticePrint(
            hall_name=catalog.hall_name if zh else catalog.hall_name_en,
            title=("办不成事反映 已记录，待登记 本机编号 " if zh
                   else "Case recorded, to be registered; kiosk reference ") + case["reference"],
            materials=(),
            time_limit="系统恢复后自动登记，首接负责人会电话回访，不必重复反映" if zh
            else "registered automatically when the system is back; we will call you,"
            " no need to report it again",
            fee=("回访电话 " if zh else "We will call ") + case.get("phone_masked", ""),
            where=place,
            issued_at=issued_at,
            heading="办不成事反映回执" if zh else "Case receipt",
            lines=case_lines(catalog, case, language),
        )  # fmt: skip
    limits = (
        f"{case['respond_due_at'][11:16]}前响应；{case['coordinate_due_on']}前协调；"
        f"{case['close_due_on']}前办结" if zh else
        f"answer by {case['respond_due_at'][11:16]}; coordinated by {case['coordinate_due_on']};"
        f" closed by {case['close_due_on']}"
    )  # fmt: skip
    return NoticePrint(
        hall_name=catalog.hall_name if zh else catalog.hall_name_en,
        title=("办不成事反映 受理回执 " if zh else "Case receipt ") + case["case_number"],
        materials=(),
        time_limit=limits,
        fee=("回访电话 " if zh else "We will call ") + case.get("phone_masked", ""),
        where=place,
        issued_at=issued_at,
        heading="办不成事反映回执" if zh else "Case receipt",  # when printed on its own
        lines=case_lines(catalog, case, language),
        # the signed link to the case's phone page (progress, then rating its handling);
        # none when the hall server has no public address (HALL_PUBLIC_URL)
        qr_data=str(case.get("public_url") or ""),
        qr_caption=("扫码查看办理进度、评价办理情况" if zh
                    else "Scan for the progress and to rate the handling")
        if case.get("public_url") else "",
    )  # fmt: skip


def ticket_print(catalog: Catalog, ticket: Ticket, language: str) -> TicketPrint:
    entry = catalog.entry(ticket.service_id)
    group = catalog.group(ticket.window_group)
    zh = language == "zh"
    return TicketPrint(
        hall_name=catalog.hall_name if zh else catalog.hall_name_en,
        number=ticket.number,
        service_name=entry.name if zh else entry.name_en,
        window_group=group.name if zh else group.name_en,
        location=group.location if zh else group.location_en,
        people_ahead=ticket.people_ahead,
        estimated_wait_min=ticket.estimated_wait_min,
        issued_at=ticket.issued_at,
        qr_data=ticket.qr_data,
        masked_name=ticket.masked_name,
        priority=ticket.priority,
        footer=(
            ("离线取号 · " if zh else "Issued offline · ") * ticket.offline
            + (
                f"请留意叫号。{catalog.missed_call_rule}"
                if zh
                else f"Listen for your number. {catalog.missed_call_rule_en}"
            )
        ),
    )
