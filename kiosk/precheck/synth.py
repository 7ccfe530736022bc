"""Synthetic documents for the pre-check: every document type, invented people, camera defects.

Why: real citizens' documents may never be collected for tests (personal data), so the
pre-check is developed and measured on documents we render ourselves. Every page is a pure
function of its seed: the same seed gives the same bytes on every machine that has Debian's
Noto CJK fonts (``fonts-noto-cjk``).

A page is rendered flat (about 5 px/mm for A4, 12 px/mm for cards), then placed on a desk in a
camera frame (2048×1536 px by default, like a 3 MP document camera) with rotation,
perspective, a shadow, sensor noise, JPEG compression, and optionally one defect the quality
check must name: ``blurred``, ``too_dark``, ``too_bright``, ``glare`` or ``cropped``.

The people, companies and numbers are invented: names are random surname + given-name
characters; ID numbers and credit codes are random but carry valid check characters so the
checks can be exercised.

    python -m kiosk.precheck.synth OUT_DIR [--count N] [--seed S] [--variants clean,blurred]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.identity import check_char
from kiosk.precheck.understand import DOC_TYPES, credit_code_check_char

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS = "NotoSansCJK-Regular.ttc"
SANS_BOLD = "NotoSansCJK-Bold.ttc"
SERIF = "NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "NotoSerifCJK-Bold.ttc"
_SC = 2  # face index of Simplified Chinese in Debian's Noto CJK collections

VARIANTS = ("clean", "blurred", "too_dark", "too_bright", "glare", "cropped")
FRAME = (2048, 1536)  # camera frame, px (width, height)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅丹萍鹏飞宇浩然子涵欣怡思远晨曦雨婷俊杰文博嘉怡佳琪梓轩一诺若汐皓轩宏伟春燕海燕晓东立新永胜振华德明淑珍慧敏雅琴家豪"
AREAS = {
    "110105": ("北京市", "朝阳区"),
    "110108": ("北京市", "海淀区"),
    "310104": ("上海市", "徐汇区"),
    "440305": ("深圳市", "南山区"),
    "350102": ("福州市", "鼓楼区"),
    "510107": ("成都市", "武侯区"),
    "330106": ("杭州市", "西湖区"),
    "420106": ("武汉市", "武昌区"),
}
STREETS = (
    "建设路 人民路 解放大道 中山路 文化路 胜利街 和平里 新华街 长江路 滨河路 学府路 光明街".split()
)
NATIONS = ["汉", "汉", "汉", "汉", "回", "满", "壮", "苗", "蒙古"]
COMPANY_WORDS = (
    "明达 华信 鼎盛 宏远 锦程 恒通 瑞丰 金桥 嘉禾 新源 天和 博雅 顺达 永安 中泰 晨光".split()
)
TRADES = "餐饮管理 商贸 科技 文化传媒 建筑工程 物业服务 食品 咨询服务".split()
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"


# ----------------------------------------------------------------------------- people
@dataclass(frozen=True)
class Person:
    """An invented person; the ID number is valid (GB 11643 check character)."""

    name: str
    sex: str  # "男" / "女"
    nation: str
    birth: dt.date
    id_number: str
    address: str


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _address(rng: random.Random, area: str) -> str:
    city, district = AREAS[area]
    return (
        f"{city}{district}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 28)}0{rng.randint(1, 6)}室"
    )


def make_person(
    rng: random.Random, *, born_after: int = 1950, born_before: int = 2004, sex: str | None = None
) -> Person:
    area = rng.choice(sorted(AREAS))
    birth = dt.date(rng.randint(born_after, born_before), rng.randint(1, 12), rng.randint(1, 28))
    sex = sex or rng.choice("男女")
    seq = rng.randint(0, 99) * 10 + rng.randint(0, 4) * 2 + (1 if sex == "男" else 0)
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return Person(
        name=_name(rng),
        sex=sex,
        nation=rng.choice(NATIONS),
        birth=birth,
        id_number=body + check_char(body),
        address=_address(rng, area),
    )


def make_credit_code(rng: random.Random) -> str:
    """A random unified social credit code (GB 32100) with a valid check character."""
    body = "91" + rng.choice(sorted(AREAS))
    body += "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _capital(rng: random.Random) -> tuple[str, int]:
    wan = rng.choice((10, 30, 50, 100, 200, 500))
    words = {10: "壹拾", 30: "叁拾", 50: "伍拾", 100: "壹佰", 200: "贰佰", 500: "伍佰"}
    return f"{words[wan]}万元整", wan


# ----------------------------------------------------------------------------- drawing
@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size, index=_SC)


class Sheet:
    """A flat document being drawn; ``mm`` converts millimetres to pixels."""

    def __init__(self, width_mm: float, height_mm: float, px_per_mm: float, paper: tuple) -> None:
        self.k = px_per_mm
        self.image = Image.new(
            "RGB", (round(width_mm * px_per_mm), round(height_mm * px_per_mm)), paper
        )
        self.draw = ImageDraw.Draw(self.image)

    def mm(self, value: float) -> int:
        return round(value * self.k)

    def text(
        self,
        x_mm: float,
        y_mm: float,
        text: str,
        size_mm: float,
        *,
        face: str = SANS,
        fill: tuple = (25, 25, 25),
        anchor: str = "la",
    ) -> None:
        self.draw.text(
            (self.mm(x_mm), self.mm(y_mm)),
            text,
            font=font(face, self.mm(size_mm)),
            fill=fill,
            anchor=anchor,
        )

    def centred(self, y_mm: float, text: str, size_mm: float, **kw: Any) -> None:
        self.text(self.image.width / self.k / 2, y_mm, text, size_mm, anchor="ma", **kw)

    def rect(self, box_mm: tuple[float, float, float, float], width_mm: float = 0.4, **kw) -> None:
        self.draw.rectangle(
            [self.mm(v) for v in box_mm],
            outline=kw.get("outline", (60, 60, 60)),
            width=max(1, self.mm(width_mm)),
        )

    def seal(self, cx_mm: float, cy_mm: float, r_mm: float, label: str) -> None:
        """A red round seal (公章); red so OCR on the red channel can look through it."""
        red = (215, 40, 40)
        cx, cy, r = self.mm(cx_mm), self.mm(cy_mm), self.mm(r_mm)
        w = max(2, self.mm(0.8))
        self.draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=w)
        star = [
            (
                cx + r * 0.28 * math.cos(math.pi / 2 + i * 4 * math.pi / 5),
                cy - r * 0.28 * math.sin(math.pi / 2 + i * 4 * math.pi / 5),
            )
            for i in range(5)
        ]
        self.draw.polygon(star, fill=red)
        f = font(SANS_BOLD, max(8, int(r * 0.22)))
        n = len(label)
        for i, ch in enumerate(label):
            a = math.pi * (0.85 + 1.3 * (1 - i / max(1, n - 1)) - 0.65) if n > 1 else math.pi / 2
            px, py = cx + 0.72 * r * math.cos(a), cy - 0.72 * r * math.sin(a)
            self.draw.text((px, py), ch, font=f, fill=red, anchor="mm")

    def photo(self, box_mm: tuple[float, float, float, float], rng: random.Random) -> None:
        """A placeholder portrait: a grey silhouette, never a real face."""
        x0, y0, x1, y1 = (self.mm(v) for v in box_mm)
        tone = rng.randint(185, 215)
        self.draw.rectangle([x0, y0, x1, y1], fill=(tone, tone + 8, tone + 15))
        cx, w, h = (x0 + x1) // 2, x1 - x0, y1 - y0
        self.draw.ellipse(
            [cx - w * 0.22, y0 + h * 0.15, cx + w * 0.22, y0 + h * 0.55], fill=(120, 120, 125)
        )
        self.draw.ellipse(
            [cx - w * 0.42, y0 + h * 0.6, cx + w * 0.42, y1 + h * 0.3], fill=(120, 120, 125)
        )

    def lines(
        self,
        x_mm: float,
        y_mm: float,
        w_mm: float,
        n: int,
        step_mm: float,
        rng: random.Random,
        size_mm: float,
    ) -> None:
        """Filler text that carries no key field (clauses, notes)."""
        for i in range(n):
            self.text(
                x_mm,
                y_mm + i * step_mm,
                _filler(rng, int(w_mm / size_mm) - 1),
                size_mm,
                fill=(70, 70, 70),
            )


FILLER = (
    "依法 经营 管理 规定 办理 登记 本证 有效 相关 部门 按照 国家 法律 法规 申请 材料 真实 "
    "准确 完整 负责 服务 事项 承诺 要求 条件 信息 变更 手续 及时 公示 年度 报告 监督 检查"
).split()


def _filler(rng: random.Random, n_chars: int) -> str:
    out = ""
    while len(out) < n_chars - 1:
        out += rng.choice(FILLER)
        if rng.random() < 0.2:
            out += "，"
    return out[:n_chars] + "。"


# ----------------------------------------------------------------------------- documents
@dataclass
class Document:
    """A flat rendered document and what is on it (the ground truth for tests)."""

    doc_type: str
    image: Image.Image
    fields: dict[str, Any]  # see kiosk.precheck.understand.KEY_FIELDS for the keys per type
    people: list[Person] = field(default_factory=list)


def id_card_front(rng: random.Random) -> Document:
    p = make_person(rng)
    s = Sheet(85.6, 54, 12, (rng.randint(232, 242), rng.randint(238, 246), 248))
    # the faint guilloche of the real card: thin light curves
    for i in range(14):
        y = s.mm(4 + i * 3.6)
        s.draw.arc(
            [-s.mm(20), y - s.mm(30), s.mm(110), y + s.mm(30)],
            200,
            340,
            fill=(205, 218, 235),
            width=1,
        )
    lab, val = (95, 120, 150), (20, 20, 20)
    s.text(6, 5.5, "姓  名", 2.6, fill=lab)
    s.text(17, 5.0, p.name, 3.6, fill=val)
    s.text(6, 12.5, "性  别", 2.6, fill=lab)
    s.text(17, 12.3, p.sex, 3.0, fill=val)
    s.text(27, 12.5, "民  族", 2.6, fill=lab)
    s.text(38, 12.3, p.nation, 3.0, fill=val)
    s.text(6, 19.5, "出  生", 2.6, fill=lab)
    s.text(17, 19.3, f"{p.birth.year}  年  {p.birth.month}  月  {p.birth.day}  日", 3.0, fill=val)
    s.text(6, 26.5, "住  址", 2.6, fill=lab)
    addr = p.address
    s.text(17, 26.3, addr[:11], 3.0, fill=val)
    s.text(17, 31.3, addr[11:], 3.0, fill=val)
    s.text(6, 44.0, "公民身份号码", 2.6, fill=lab)
    s.text(27, 43.4, p.id_number, 3.5, face=SANS, fill=val)
    s.photo((58, 7, 80, 35), rng)
    return Document(
        "id_card_front",
        s.image,
        {"name": p.name, "id_number": p.id_number, "birth_date": p.birth.isoformat()},
        [p],
    )


def id_card_back(rng: random.Random) -> Document:
    s = Sheet(85.6, 54, 12, (rng.randint(236, 246), rng.randint(238, 246), 246))
    area = rng.choice(sorted(AREAS))
    city, district = AREAS[area]
    issued = dt.date(rng.randint(2008, 2023), rng.randint(1, 12), rng.randint(1, 28))
    years = rng.choice((10, 20))
    until = issued.replace(year=issued.year + years)
    # national emblem stand-in: a red-gold circle
    s.draw.ellipse([s.mm(6), s.mm(4), s.mm(22), s.mm(20)], outline=(200, 60, 40), width=s.mm(1.2))
    s.text(30, 6, "中华人民共和国", 4.2, face=SERIF_BOLD, fill=(30, 30, 30))
    s.text(30, 14, "居民身份证", 5.6, face=SERIF_BOLD, fill=(30, 30, 30))
    s.text(12, 36, "签发机关", 2.6, fill=(70, 90, 120))
    s.text(28, 35.6, f"{city}公安局{district}分局", 3.0)
    s.text(12, 43, "有效期限", 2.6, fill=(70, 90, 120))
    s.text(28, 42.6, f"{issued:%Y.%m.%d}-{until:%Y.%m.%d}", 3.0)
    return Document(
        "id_card_back",
        s.image,
        {"valid_from": issued.isoformat(), "valid_to": until.isoformat()},
    )


def _form_rows(
    s: Sheet,
    x0: float,
    y0: float,
    widths: list[float],
    rows: list[list[str]],
    h: float,
    size: float,
) -> float:
    """A ruled table of label/value cells; returns the y below it, mm."""
    y = y0
    for row in rows:
        x = x0
        for w, cell in zip(widths, row, strict=False):
            s.rect((x, y, x + w, y + h), 0.3)
            if cell:
                s.text(x + 1.5, y + (h - size) / 2 - 0.3, cell, size)
            x += w
        y += h
    return y


def household_register(rng: random.Random) -> Document:
    p = make_person(rng)
    head = rng.random() < 0.5
    s = Sheet(148, 105 * 1.4, 7.5, (rng.randint(238, 246), 247, rng.randint(236, 244)))
    s.centred(6, "常住人口登记卡", 7.5, face=SERIF_BOLD)
    s.text(8, 18, f"户号 {rng.randint(100000000, 999999999)}", 3.6)
    rows = [
        [
            "姓名",
            p.name,
            "户主或与户主关系",
            "户主" if head else rng.choice(["妻", "子", "女", "夫"]),
        ],
        ["曾用名", "", "性别", p.sex],
        ["出生地", AREAS[p.id_number[:6]][0], "民族", p.nation],
        ["籍贯", AREAS[p.id_number[:6]][0], "出生日期", _cn_date(p.birth)],
        ["本市（县）其他住址", "", "宗教信仰", ""],
        ["公民身份证件编号", p.id_number, "身高", f"{rng.randint(150, 190)}cm"],
        [
            "文化程度",
            rng.choice(["大学", "高中", "初中", "研究生"]),
            "婚姻状况",
            rng.choice(["已婚", "未婚"]),
        ],
        ["服务处所", "", "职业", ""],
    ]
    y = _form_rows(s, 8, 26, [32, 50, 30, 20], rows, 11, 3.6)
    s.text(
        8,
        y + 6,
        f"登记日期 {_cn_date(dt.date(rng.randint(2010, 2024), rng.randint(1, 12), rng.randint(1, 28)))}",
        3.4,
    )
    s.text(8, y + 13, "承办人签章", 3.4)
    s.seal(118, y + 4, 11, "户口专用章")
    return Document(
        "household_register",
        s.image,
        {"name": p.name, "id_number": p.id_number, "birth_date": p.birth.isoformat()},
        [p],
    )


def business_license(rng: random.Random) -> Document:
    rep = make_person(rng, born_before=1995)
    code = make_credit_code(rng)
    area = code[2:8]
    city, district = AREAS[area]
    name = f"{city[:-1]}{rng.choice(COMPANY_WORDS)}{rng.choice(TRADES)}有限公司"
    founded = dt.date(rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28))
    capital, _ = _capital(rng)
    s = Sheet(297, 210, 5, (250, 248, 242))
    s.rect((6, 6, 291, 204), 1.2, outline=(170, 120, 60))
    s.centred(22, "营业执照", 16, face=SERIF_BOLD, fill=(20, 20, 20))
    s.text(22, 46, "统一社会信用代码", 4.5)
    s.text(22, 53, code, 5.0)
    s.text(250, 50, "（副本）", 4.5)
    fields = [
        ("名        称", name),
        ("类        型", "有限责任公司（自然人投资或控股）"),
        ("法定代表人", rep.name),
        ("经营范围", "餐饮服务；食品销售；" + _filler(rng, 12)),
    ]
    right = [
        ("注册资本", capital),
        ("成立日期", _cn_date(founded)),
        ("营业期限", f"{_cn_date(founded)}至长期"),
        ("住        所", f"{city}{district}{rng.choice(STREETS)}{rng.randint(1, 300)}号"),
    ]
    for i, (label, value) in enumerate(fields):
        s.text(22, 74 + i * 14, label, 5.0)
        s.text(55, 74 + i * 14, value[:16], 5.0)
    for i, (label, value) in enumerate(right):
        s.text(160, 74 + i * 14, label, 5.0)
        s.text(188, 74 + i * 14, value[:17], 5.0)
    s.text(180, 160, "登记机关", 5.0)
    s.seal(236, 168, 20, f"{city}市场监督管理局")
    s.text(
        205,
        188,
        _cn_date(dt.date(rng.randint(2020, 2025), rng.randint(1, 12), rng.randint(1, 28))),
        4.6,
    )
    s.text(22, 192, "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", 3.4, fill=(80, 80, 80))
    return Document(
        "business_license",
        s.image,
        {
            "credit_code": code,
            "legal_representative": rep.name,
            "established": founded.isoformat(),
        },
        [rep],
    )


def marriage_certificate(rng: random.Random) -> Document:
    a = make_person(rng, born_after=1970, born_before=2000, sex="男")
    b = make_person(rng, born_after=1970, born_before=2000, sex="女")
    holder = rng.choice((a, b))
    day = dt.date(rng.randint(2012, 2025), rng.randint(1, 12), rng.randint(1, 28))
    s = Sheet(180, 125, 7, (252, 244, 240))
    s.centred(5, "结婚证", 8, face=SERIF_BOLD, fill=(170, 30, 30))
    s.text(10, 20, f"持证人  {holder.name}", 4.2)
    s.text(10, 29, f"登记日期  {_cn_date(day)}", 4.2)
    s.text(10, 38, f"结婚证字号  J{a.id_number[:6]}-{day.year}-{rng.randint(1, 99999):06d}", 4.2)
    s.text(10, 47, "备注", 4.2)
    s.photo((118, 18, 168, 50), rng)
    y = 60
    for person in (a, b):
        s.text(10, y, f"姓名  {person.name}", 4.2)
        s.text(70, y, f"性别  {person.sex}", 4.2)
        s.text(10, y + 8, "国籍  中国", 4.2)
        s.text(70, y + 8, f"出生日期  {person.birth:%Y-%m-%d}", 4.2)
        s.text(10, y + 16, f"身份证件号  {person.id_number}", 4.2)
        y += 28
    s.seal(150, 100, 14, "婚姻登记专用章")
    return Document(
        "marriage_certificate",
        s.image,
        {
            "names": sorted([a.name, b.name]),
            "id_numbers": sorted([a.id_number, b.id_number]),
            "registered": day.isoformat(),
        },
        [a, b],
    )


def birth_certificate(rng: random.Random) -> Document:
    mother = make_person(rng, born_after=1980, born_before=2000, sex="女")
    father = make_person(rng, born_after=1978, born_before=2000, sex="男")
    child_name = father.name[0] + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    born = dt.date(rng.randint(2022, 2025), rng.randint(1, 12), rng.randint(1, 28))
    s = Sheet(210, 148, 6, (250, 242, 244))
    s.rect((4, 4, 206, 144), 1.0, outline=(190, 120, 140))
    s.centred(8, "出生医学证明", 9, face=SERIF_BOLD, fill=(40, 40, 40))
    s.text(150, 22, f"编号 {rng.choice('PQRST')}{rng.randint(100000000, 999999999)}", 3.6)
    rows = [
        ("新生儿姓名", child_name, "性别", rng.choice("男女")),
        (
            "出生时间",
            f"{_cn_date(born)}{rng.randint(0, 23)}时{rng.randint(0, 59)}分",
            "出生孕周",
            f"{rng.randint(37, 41)}周",
        ),
        ("出生体重", f"{rng.randint(2600, 4200)}克", "出生身长", f"{rng.randint(46, 55)}厘米"),
        ("出生地点", f"{AREAS[mother.id_number[:6]][0]}{AREAS[mother.id_number[:6]][1]}", "", ""),
        ("母亲姓名", mother.name, "年龄", f"{born.year - mother.birth.year}"),
        ("母亲身份证件号码", mother.id_number, "", ""),
        ("父亲姓名", father.name, "年龄", f"{born.year - father.birth.year}"),
        ("父亲身份证件号码", father.id_number, "", ""),
    ]
    for i, (l1, v1, l2, v2) in enumerate(rows):
        y = 30 + i * 11.5
        s.text(14, y, l1, 4.0)
        s.text(62, y, v1, 4.0)
        if l2:
            s.text(130, y, l2, 4.0)
            s.text(155, y, v2, 4.0)
    s.text(14, 128, "接生机构名称  " + f"{AREAS[mother.id_number[:6]][0]}妇幼保健院", 3.8)
    s.seal(170, 126, 13, "出生医学证明专用章")
    return Document(
        "birth_certificate",
        s.image,
        {
            "child_name": child_name,
            "mother_name": mother.name,
            "mother_id_number": mother.id_number,
            "father_name": father.name,
            "father_id_number": father.id_number,
        },
        [mother, father],
    )


def real_estate_certificate(rng: random.Random) -> Document:
    owner = make_person(rng)
    city, district = AREAS[owner.id_number[:6]]
    year = rng.randint(2016, 2025)
    number = f"{city[:1]}（{year}）{district}不动产权第{rng.randint(1, 9999999):07d}号"
    s = Sheet(185, 260, 5.5, (250, 250, 244))
    s.text(12, 10, number, 4.4)
    s.centred(24, "不动产权证书", 8, face=SERIF_BOLD)
    rows = [
        ["权利人", owner.name],
        ["共有情况", rng.choice(["单独所有", "共同共有"])],
        ["坐落", owner.address[:16]],
        [
            "不动产单元号",
            f"{owner.id_number[:6]}{rng.randint(100000, 999999)}GB{rng.randint(10000, 99999)}F{rng.randint(10000000, 99999999)}"[
                :28
            ],
        ],
        ["权利类型", "国有建设用地使用权/房屋所有权"],
        ["权利性质", "出让/市场化商品房"],
        ["用途", "城镇住宅用地/住宅"],
        [
            "面积",
            f"共有宗地面积{rng.randint(2000, 30000)}㎡/房屋建筑面积{rng.randint(45, 180)}.{rng.randint(10, 99)}㎡"[
                :26
            ],
        ],
        [
            "使用期限",
            f"国有建设用地使用权{2000 + rng.randint(0, 20)}年至{2070 + rng.randint(0, 20)}年",
        ],
        ["权利其他状况", ""],
    ]
    _form_rows(s, 12, 40, [36, 125], rows, 13, 3.8)
    s.lines(14, 178, 150, 3, 7, rng, 3.4)
    s.seal(140, 232, 16, f"{city}不动产登记局")
    return Document(
        "real_estate_certificate",
        s.image,
        {"owner": owner.name, "certificate_number": number},
        [owner],
    )


APPLICATION_TITLES = (
    "户口迁移申请表",
    "社保卡补办申请表",
    "居住证申领登记表",
    "公司登记（备案）申请书",
    "不动产登记申请书",
    "食品经营许可申请书",
    "职工退休申报表",
    "养老金申领表",
    "施工许可申请表",
)


def application_form(rng: random.Random) -> Document:
    p = make_person(rng)
    title = rng.choice(APPLICATION_TITLES)
    signed = dt.date(2026, rng.randint(1, 11), rng.randint(1, 28))
    s = Sheet(210, 297, 5, (252, 252, 252))
    s.centred(16, title, 7.5, face=SERIF_BOLD)
    rows = [
        ["申请人姓名", p.name, "性别", p.sex],
        ["公民身份号码", p.id_number, "民族", p.nation],
        [
            "联系电话",
            f"1{rng.randint(3, 9)}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "出生日期",
            f"{p.birth:%Y-%m-%d}",
        ],
        ["现住址", p.address[:14], "", ""],
        ["申请事项", title.removesuffix("表").removesuffix("书"), "", ""],
    ]
    y = _form_rows(s, 14, 34, [38, 68, 24, 52], rows, 14, 4.4)
    s.text(16, y + 10, "申请理由：", 4.4)
    s.lines(16, y + 20, 176, 4, 9, rng, 4.0)
    s.text(16, y + 70, "本人承诺以上填写内容及提交材料真实有效。", 4.2)
    s.text(110, y + 90, "申请人签名：", 4.4)
    s.text(150, y + 90, p.name, 5.0, face=SERIF)
    s.text(110, y + 102, f"申请日期：{_cn_date(signed)}", 4.4)
    return Document(
        "application_form",
        s.image,
        {"applicant": p.name, "id_number": p.id_number},
        [p],
    )


OTHER_TITLES = (
    "公司章程",
    "股东会决议",
    "经营场所平面图说明",
    "食品安全管理制度",
    "全体投资人承诺书",
    "施工合同",
    "消防安全制度",
)


def other_document(rng: random.Random) -> Document:
    """A document of no recognised type (章程, 制度, 合同): only filler text, no key fields."""
    s = Sheet(210, 297, 5, (252, 252, 250))
    s.centred(18, rng.choice(OTHER_TITLES), 7, face=SERIF_BOLD)
    y = 36
    for chapter in range(1, rng.randint(3, 5)):
        s.centred(
            y,
            f"第{CN_DIGITS[chapter]}章  {rng.choice(['总则', '经营', '管理', '附则', '职责'])}",
            5,
        )
        y += 11
        s.lines(16, y, 178, 5, 8, rng, 4.2)
        y += 44
    return Document("other", s.image, {})


RENDERERS: dict[str, Callable[[random.Random], Document]] = {
    "id_card_front": id_card_front,
    "id_card_back": id_card_back,
    "household_register": household_register,
    "business_license": business_license,
    "marriage_certificate": marriage_certificate,
    "birth_certificate": birth_certificate,
    "real_estate_certificate": real_estate_certificate,
    "application_form": application_form,
    "other": other_document,
}


# ----------------------------------------------------------------------------- the camera
@dataclass
class Sample:
    """One synthetic camera capture and its truth."""

    name: str
    doc_type: str
    variant: str  # one of VARIANTS
    quality: list[str]  # flags the quality check should raise
    fields: dict[str, Any]
    jpeg: bytes
    seed: int
    params: dict[str, float] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "doc_type": self.doc_type,
            "variant": self.variant,
            "quality": self.quality,
            "fields": self.fields,
            "seed": self.seed,
            "params": self.params,
        }


def _desk(rng: random.Random, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    base = np.array(
        rng.choice([(70, 52, 40), (60, 62, 66), (40, 45, 58), (95, 80, 60), (35, 35, 35)]), float
    )
    nrng = np.random.default_rng(rng.randrange(2**32))
    small = nrng.normal(0, 10, (h // 32 + 1, w // 32 + 1, 1))
    texture = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
    return (base[None, None, ::-1] + texture).astype(np.float32)  # BGR


def _place(
    rng: random.Random, page: np.ndarray, frame: tuple[int, int], cropped: bool, is_card: bool
) -> np.ndarray:
    """Where the page's corners land in the frame (TL, TR, BR, BL), px."""
    fw, fh = frame
    ph, pw = page.shape[:2]
    fill = rng.uniform(0.45, 0.58) if is_card else rng.uniform(0.72, 0.88)
    scale = min(fw * fill / pw, fh * fill / ph) if is_card else min(fw * fill / pw, fh * fill / ph)
    w, h = pw * scale, ph * scale
    angle = math.radians(rng.uniform(-7, 7))
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    corners = corners @ np.array([[c, s], [-s, c]])
    corners += np.array(
        [[rng.uniform(-0.03, 0.03) * w, rng.uniform(-0.03, 0.03) * h] for _ in range(4)]
    )
    span_x = corners[:, 0].max() - corners[:, 0].min()
    span_y = corners[:, 1].max() - corners[:, 1].min()
    if cropped:
        # push the page over one edge by 10–25 % of its size
        side = rng.choice("lrtb")
        cx, cy = fw / 2, fh / 2
        shift = rng.uniform(0.10, 0.25)
        if side in "lr":
            cx = (span_x / 2 - shift * span_x) if side == "l" else fw - span_x / 2 + shift * span_x
        else:
            cy = (span_y / 2 - shift * span_y) if side == "t" else fh - span_y / 2 + shift * span_y
    else:
        margin_x, margin_y = (fw - span_x) / 2 - 20, (fh - span_y) / 2 - 20
        cx = fw / 2 + rng.uniform(-1, 1) * max(0.0, margin_x) * 0.6
        cy = fh / 2 + rng.uniform(-1, 1) * max(0.0, margin_y) * 0.6
    return (corners + [cx, cy]).astype(np.float32)


def render_sample(
    seed: int, doc_type: str | None = None, variant: str = "clean", frame: tuple[int, int] = FRAME
) -> Sample:
    """One camera capture of one synthetic document, fully determined by the arguments."""
    rng = random.Random(seed)
    doc_type = doc_type or rng.choice(DOC_TYPES)
    doc = RENDERERS[doc_type](rng)
    page = cv2.cvtColor(np.asarray(doc.image), cv2.COLOR_RGB2BGR).astype(np.float32)
    # paper is never perfectly white under a camera
    page *= rng.uniform(0.86, 0.97)
    is_card = doc_type.startswith("id_card")
    dst = _place(rng, page, frame, variant == "cropped", is_card)
    ph, pw = page.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    fw, fh = frame
    warped = cv2.warpPerspective(page, matrix, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.ones((ph, pw), np.float32), matrix, (fw, fh), flags=cv2.INTER_LINEAR
    )
    img = _desk(rng, frame) * (1 - mask[..., None]) + warped * mask[..., None]
    params: dict[str, float] = {}

    # uneven light: a soft shadow across one side
    yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)  # pixel coordinates
    a = rng.uniform(0, 2 * math.pi)
    ramp = (np.cos(a) * (xx / fw - 0.5) + np.sin(a) * (yy / fh - 0.5)) + 0.5
    depth = rng.uniform(0.0, 0.25)
    img *= (1 - depth * np.clip(ramp, 0, 1))[..., None]
    params["shadow"] = round(depth, 3)

    quality: list[str] = []
    if variant == "blurred":
        if rng.random() < 0.6:
            sigma = rng.uniform(2.6, 5.0)
            img = cv2.GaussianBlur(img, (0, 0), sigma)
            params["blur_sigma"] = round(sigma, 2)
        else:
            length = rng.randint(14, 28)
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1 / length
            rot = cv2.getRotationMatrix2D(
                (length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1
            )
            kernel = cv2.warpAffine(kernel, rot, (length, length))
            kernel /= kernel.sum()
            img = cv2.filter2D(img, -1, kernel)
            params["motion_px"] = length
        quality.append("blurred")
    else:
        sigma = rng.uniform(0.0, 0.7)
        if sigma > 0.3:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        params["blur_sigma"] = round(sigma, 2)
    if variant == "too_dark":
        gain = rng.uniform(0.22, 0.32)
        img *= gain
        params["gain"] = round(gain, 2)
        quality.append("too_dark")
    elif variant == "too_bright":
        gain = rng.uniform(2.4, 3.0)
        img = img * gain + 70
        params["gain"] = round(gain, 2)
        quality.append("too_bright")
    elif variant == "glare":
        # a specular reflection: a saturated ellipse with a soft rim, somewhere on the page
        centre = dst.mean(axis=0) + (dst[2] - dst[0]) * np.array(
            [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)]
        )
        span = np.linalg.norm(dst[2] - dst[0])
        rx, ry = span * rng.uniform(0.07, 0.14), span * rng.uniform(0.05, 0.10)
        d = ((xx - centre[0]) / rx) ** 2 + ((yy - centre[1]) / ry) ** 2
        boost = np.clip(1.6 - d, 0, 1) ** 0.7 * 400
        img = img + boost[..., None]
        params["glare_rx"] = round(float(rx), 1)
        quality.append("glare")
    elif variant == "cropped":
        quality.append("cropped")
    noise = rng.uniform(1.5, 6.0)
    img += np.random.default_rng(seed).standard_normal((fh, fw, 1), dtype=np.float32) * noise
    params["noise"] = round(noise, 2)
    out = np.clip(img, 0, 255).astype(np.uint8)
    q = rng.randint(70, 92)
    params["jpeg_quality"] = q
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    name = f"{seed:06d}_{doc_type}_{variant}.jpg"
    return Sample(name, doc_type, variant, quality, doc.fields, buf.tobytes(), seed, params)


def generate(
    count: int,
    seed: int = 0,
    variants: tuple[str, ...] = ("clean",),
    frame: tuple[int, int] = FRAME,
) -> Iterator[Sample]:
    """``count`` samples cycling through every document type and the given variants."""
    for i in range(count):
        doc_type = DOC_TYPES[i % len(DOC_TYPES)]
        variant = variants[(i // len(DOC_TYPES)) % len(variants)]
        yield render_sample(seed * 100_000 + i, doc_type, variant, frame)


def downscale_jpeg(data: bytes, max_side: int, quality: int = 80) -> bytes:
    """Smaller copies for the committed test set (keeps the repository small)."""
    img = Image.open(io.BytesIO(data))
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def write_set(samples: Iterator[Sample], out_dir: Path, max_side: int | None = None) -> Path:
    """Write the images and ``truth.json`` (a list of each sample's truth); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truths = []
    for s in samples:
        data = downscale_jpeg(s.jpeg, max_side) if max_side else s.jpeg
        (out_dir / s.name).write_bytes(data)
        truths.append(s.truth())
    path = out_dir / "truth.json"
    path.write_text(json.dumps(truths, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m kiosk.precheck.synth", description=__doc__.split("\n")[0]
    )
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--count", type=int, default=len(DOC_TYPES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--variants", default="clean", help=f"comma-separated from {','.join(VARIANTS)}"
    )
    ap.add_argument("--max-side", type=int, default=None, help="downscale to this many px")
    args = ap.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v)
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants {sorted(unknown)}; allowed: {', '.join(VARIANTS)}")
    path = write_set(generate(args.count, args.seed, variants), args.out_dir, args.max_side)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# ----------------------------------------------------------------------------- scoring
def score_fields(truth: dict[str, Any], got: dict[str, Any]) -> tuple[int, int]:
    """(key fields read correctly, key fields on the page) — lists compare as sets."""
    from kiosk.precheck.understand import clean  # NFKC: （2020） and (2020) are the same

    right = 0
    for key, want in truth.items():
        value = got.get(key)
        if isinstance(want, list):
            right += isinstance(value, list) and sorted(map(clean, value)) == sorted(
                map(clean, want)
            )
        else:
            right += isinstance(value, str) and clean(value) == clean(want)
    return right, len(truth)
