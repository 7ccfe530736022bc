"""Invented tickets and notices (no real person) for test prints, golden files, benchmarks.

The same data as the layout tests' samples, so ``sample_ticket(priority=True,
notice=sample_notice())`` at 80 mm gives exactly ``tests/devices/golden/ticket_80mm.bin``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from devices.printer.layout import NoticeMaterial, NoticePrint, TicketPrint

ISSUED_AT = dt.datetime(2026, 3, 2, 9, 31, 45)


def sample_notice(**changes: object) -> NoticePrint:
    """A one-time notice for 企业开办一件事 with core and non-core materials."""
    notice = NoticePrint(
        hall_name="示范市政务服务中心",
        title="企业开办一件事",
        materials=(
            NoticeMaterial("公司设立登记申请书", core=True),
            NoticeMaterial("全体股东签署的公司章程", core=True),
            NoticeMaterial("住所使用证明（租赁合同或产权证明）", core=False),
        ),
        time_limit="即办",
        fee="免费",
        where="市场准入 二楼 B区 5–9号窗口",
        issued_at=ISSUED_AT,
    )
    return dataclasses.replace(notice, **changes)  # type: ignore[arg-type]


def sample_ticket(**changes: object) -> TicketPrint:
    """Ticket A042 with a masked name and a QR code; ``changes`` override fields."""
    ticket = TicketPrint(
        hall_name="示范市政务服务中心",
        number="A042",
        service_name="企业开办一件事（设立登记、公章刻制、发票申领、社保登记）",
        window_group="市场准入",
        location="二楼 B区 5–9号窗口",
        people_ahead=3,
        estimated_wait_min=15,
        issued_at=ISSUED_AT,
        qr_data="https://hall.example/t/7f3a9c21",
        masked_name="张*",
    )
    return dataclasses.replace(ticket, **changes)  # type: ignore[arg-type]


def staff_sample_ticket(now: dt.datetime, with_notice: bool = False) -> TicketPrint:
    """The CLI's test print: marked as a sample, dated ``now``."""
    notice = NoticePrint(
        hall_name="示范市政务服务中心",
        title="个体工商户设立登记",
        materials=(
            NoticeMaterial("经营者身份证明", core=True),
            NoticeMaterial("经营场所使用证明（租赁合同或产权证明）", core=False),
        ),
        time_limit="即办",
        fee="免费",
        where="市场准入 二楼 B区 5–9号窗口",
        issued_at=now,
    )
    return TicketPrint(
        hall_name="示范市政务服务中心",
        number="A001",
        service_name="测试打印（样票）",
        window_group="综合受理",
        location="一楼 A区 1–4号窗口",
        people_ahead=0,
        estimated_wait_min=0,
        issued_at=now,
        qr_data="https://hall.example/t/sample-0001",
        masked_name="测*",
        notice=notice if with_notice else None,
        footer="样票，仅供测试。Test print, not a ticket.",
    )
