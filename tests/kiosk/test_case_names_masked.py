"""Names and numbers leave the kiosk masked (issue 15, item 6): a case description naming
the card holder and members of staff and giving a phone and an ID number is masked before
it is written to the outbox or sent — the holder's name wherever it stands, the staff's
where the words point at a name (a title after it, or 窗口的 … 说), the numbers however
spaced — by the scrubber the hall server uses (contract.scrub), and the server stores it so."""

from __future__ import annotations

import httpx

from hall.db import add_staff
from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.identity import Holder
from kiosk.settings import load_settings
from kiosk.visit import Screen

OWN_WORDS = (
    "上官婉清的营业执照材料被退回两次，婉清今天又来了，窗口的陈晓东老师说还要补证明，"
    "2号窗口的李秀英说不用补。电话 139 1234 0000，身份证 1101 0519 4912 3100 2X"
)  # invented people and numbers


def test_the_description_leaves_the_kiosk_with_names_masked(kiosk_env: dict[str, str]) -> None:
    core = build_core(load_settings(environ=kiosk_env), hall_server=EmbeddedHallServer)
    try:
        flow = core.flow
        sink = flow.case.sink
        assert sink is not None
        sent: list[str] = []
        create = sink.create

        def recording_create(key, draft):  # noqa: ANN001, ANN202 - the sink's own signature
            sent.append(draft.description)  # what the kiosk hands on, outbox and all
            return create(key, draft)

        sink.create = recording_create  # type: ignore[method-assign]
        # an invented card holder, as the card reader would have set for this visit
        flow.visit.update(
            holder=Holder("11010519491231002X", "上官婉清", None, "card"),  # invented
        )
        flow.case.open()
        for field, value in (
            ("not_in_catalog", ""),
            ("condition", "tried_normal_channel"),
            ("category", "证明材料"),
            ("phone", "13800138000"),
            ("consent", ""),
            ("description", OWN_WORDS),
        ):
            flow.case.toggle(field, value)
        flow.case.submit()  # the summary
        flow.case.submit()  # confirmed: sent
        assert flow.visit.state.screen is Screen.CASE_DONE, flow.visit.state.message
        [description] = sent
        assert "上官婉清" not in description and "婉清" not in description
        assert "陈晓东" not in description
        assert description.startswith("上***的营业执照材料被退回两次")
        assert "陈**老师" in description
        assert "李秀英" not in description and "窗口的李**说不用补" in description
        assert "139****0000" in description and "1234" not in description
        assert "1101**********002X" in description and "0519" not in description

        case = flow.visit.state.case.result
        staff = add_staff(core.hall.server.database_url, "case-office")  # type: ignore[union-attr]
        detail = httpx.get(
            f"{core.hall.base_url}/api/v1/cases/{case['case_number']}/detail",
            headers={"Authorization": f"Bearer {staff}"},
        ).json()
        assert detail["description"] == description
    finally:
        core.close()
