"""The printed 办不成事 case slip (kiosk/print_jobs.py, issue 17): the matter (catalog name
or 不在事项库) and the severity, and a QR holding the case page's signed link from a real
hall server's answer — printed as ESC/POS bytes and read back as the paper shows them."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy

from contract.catalog import load_catalog
from devices.printer.layout import write_notice, write_ticket
from devices.printer.render import render
from devices.printer.samples import sample_ticket
from kiosk import print_jobs
from kiosk.qr import decode_qr

PUBLIC = "https://hall.example.gov.cn"
NOW = dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CASE = {
    "case_number": "BC20261123-0001",
    "respond_due_at": "2026-11-23T01:15:00Z",
    "coordinate_due_on": "2026-11-26",
    "close_due_on": "2026-12-02",
    "phone_masked": "139****5678",
}


def _paper(slip: Any, width: int = 80) -> tuple[str, bytes]:
    printer = Dummy()
    write_notice(printer, slip, width)
    rendered = render(printer.output, width)
    buffer = io.BytesIO()
    rendered.image.save(buffer, "PNG")
    assert rendered.auto_wraps == 0
    return rendered.text, buffer.getvalue()


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        ({"item_id": "hukou-transfer"}, "户口迁移", "Household registration transfer"),
        ({"not_in_catalog": True}, "不在事项库", "not in the catalog"),
        ({"item_id": "retired-item"}, "retired-item", "retired-item"),  # since removed
        ({}, "未注明", "not given"),  # a case from before matters were asked
    ],
)
def test_the_slip_names_the_matter_and_severity(changes: dict[str, Any], zh: str, en: str) -> None:
    catalog = load_catalog()
    case = {**CASE, "severity": "urgent", **changes}
    slip = print_jobs.case_slip(catalog, case, "zh", NOW)
    assert slip.lines == (f"反映事项：{zh}", "紧急程度：紧急")
    english = print_jobs.case_slip(catalog, case, "en", NOW)
    assert english.lines == (f"Matter: {en}", "Severity: urgent")
    text, _ = _paper(slip, 58)
    assert f"反映事项：{zh}" in text and "紧急程度：紧急" in text
    assert slip.qr_data == "" and slip.qr_caption == ""  # no public address: no QR


def test_a_case_kept_in_the_outbox_says_its_matter_too() -> None:
    pending = {"pending": True, "reference": "K7-0042", "phone_masked": "139****5678",
               "item_id": None, "not_in_catalog": True,
               "severity": "many_or_vulnerable"}  # fmt: skip
    slip = print_jobs.case_slip(load_catalog(), pending, "zh", NOW)
    assert slip.lines == ("反映事项：不在事项库", "紧急程度：涉及多人或老幼病残孕等弱势群体")
    assert slip.qr_data == ""  # no case number yet, so no page


def test_the_slip_from_a_real_server_carries_the_case_pages_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from hall.embedded import EmbeddedHallServer
    from kiosk.hall_client import HallClient
    from kiosk.settings import load_settings

    monkeypatch.setenv("HALL_PUBLIC_URL", PUBLIC)
    settings = load_settings()
    server = EmbeddedHallServer(tmp_path, settings.kiosk.catalog, "kiosk-07")
    server.start()
    hall = HallClient(server.url, server.token, 5.0)
    try:
        case = hall.create_case({
            "idempotency_key": "case-1", "tried_normal_channel": True,
            "overlapping_duties": False, "policy_room": False, "categories": ["跨部门协调"],
            "description": "两个部门要求的证明互相矛盾", "phone": "13912345678",
            "privacy_consent": True, "item_id": "business-license", "severity": "urgent",
        })  # fmt: skip
        link = case["public_url"]
        assert link.startswith(f"{PUBLIC}/c/{case['case_number']}/")
        slip = print_jobs.case_slip(load_catalog(), case, "zh", NOW)
        assert slip.qr_data == link
        for width in (58, 80):
            text, png = _paper(slip, width)
            assert "反映事项：营业执照设立登记" in text and "紧急程度：紧急" in text
            assert "扫码查看办理进度、评价办理情况" in text
            assert decode_qr(png) == [link]
        # printed under its window ticket, as the kiosk does: the caption is there too
        printer = Dummy()
        write_ticket(printer, sample_ticket(notice=slip), 80)
        assert "扫码查看办理进度、评价办理情况" in render(printer.output, 80).text
        # the phone opens the link (here: the same server, as HALL_PUBLIC_URL would route)
        state = httpx.get(f"{server.url}{link[len(PUBLIC) :]}/state", timeout=5.0)
        assert state.status_code == 200
        assert state.json()["case_number"] == case["case_number"]
        assert state.json()["matter"] == "营业执照设立登记"
    finally:
        hall.close()
        server.stop()
