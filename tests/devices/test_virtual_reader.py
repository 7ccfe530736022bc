"""The virtual card reader and the fixture cards in config/cards."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from pathlib import Path

import pytest

from devices.errors import DeviceUnavailable
from devices.idcard.base import create_card_reader
from devices.idcard.card import IdCard
from devices.idcard.virtual import VirtualCardReader, load_card

CARDS = Path(__file__).resolve().parents[2] / "config" / "cards"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2, written independently of the code under test."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.fixture
def reader():
    r = VirtualCardReader(CARDS)
    r.open()
    yield r
    r.close()


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


GOOD = {
    "kind": "resident",
    "name": "测试",
    "id_number": "330106198806150216",
    "sex": "M",
    "birth_date": "1988-06-15",
    "valid_to": None,
}


# ------------------------------------------------------------------ fixture cards


def test_fixture_cards_cover_the_four_cases(reader: VirtualCardReader) -> None:
    assert reader.card_names() == ["elderly", "foreign_2023", "hk_permit", "resident"]
    cards = {name: load_card(CARDS / f"{name}.json") for name in reader.card_names()}
    assert cards["resident"].kind == "resident"
    assert 18 <= (cards["resident"].age_on(dt.date(2026, 11, 22)) or 0) < 60
    assert cards["elderly"].age_on(dt.date(2026, 11, 22)) == 72
    assert cards["elderly"].valid_to is None  # 长期
    assert cards["hk_permit"].kind == "hk_mo_tw_permit"
    assert cards["hk_permit"].id_number.startswith("810000")
    assert cards["foreign_2023"].kind == "foreign_2023"
    assert cards["foreign_2023"].id_number.startswith("9")
    assert cards["foreign_2023"].name_en


@pytest.mark.parametrize("path", sorted(CARDS.glob("*.json")), ids=lambda p: p.stem)
def test_fixture_card_numbers_are_valid(path: Path) -> None:
    card = load_card(path)
    number = card.id_number
    assert len(number) == 18
    assert number[:17].isdigit()
    assert number[17] == check_char(number[:17])
    assert number not in ("11010519491231002X", "440524188001010014")  # published examples
    assert card.birth_date is not None
    assert number[6:14] == card.birth_date.strftime("%Y%m%d")
    assert int(number[16]) % 2 == (1 if card.sex == "M" else 0)
    assert card.valid_from is not None and card.valid_from <= dt.date(2026, 11, 22)
    assert card.valid_to is None or card.valid_to > dt.date(2026, 11, 22)


# ------------------------------------------------------------------ placements


def test_emits_once_per_placement_and_rearms_on_remove(reader: VirtualCardReader) -> None:
    got: list[IdCard] = []
    reader.subscribe(got.append)
    reader.present("resident")
    reader.present("resident")
    reader.present("elderly")  # another card cannot be read while one lies on the reader
    assert len(got) == 1 and got[0].kind == "resident"
    assert reader.card_present
    reader.remove()
    assert not reader.card_present
    reader.present("elderly")
    assert len(got) == 2 and got[1] == load_card(CARDS / "elderly.json")


def test_concurrent_placements_emit_once(reader: VirtualCardReader) -> None:
    got: list[IdCard] = []
    reader.subscribe(got.append)
    threads = [threading.Thread(target=reader.present, args=("resident",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(got) == 1


def test_present_in_memory_card(reader: VirtualCardReader) -> None:
    got: list[IdCard] = []
    reader.subscribe(got.append)
    card = IdCard(kind="resident", name="测试", id_number="330106198806150216")
    reader.present_card(card)
    reader.present_card(card)
    assert got == [card]


def test_close_lifts_the_card_and_reports_state() -> None:
    states: list[str] = []
    got: list[IdCard] = []
    reader = VirtualCardReader(CARDS)
    reader.subscribe(got.append, lambda state, detail: states.append(state))
    with reader:
        reader.present("resident")
    assert states == ["ok", "closed"]
    with reader:
        reader.present("resident")
    assert len(got) == 2


def test_present_needs_an_open_reader_and_a_known_card() -> None:
    reader = VirtualCardReader(CARDS)
    assert reader.card_names() == []
    with pytest.raises(DeviceUnavailable):
        reader.present_card(IdCard(kind="resident", name="测试", id_number="1"))
    with reader:
        with pytest.raises(KeyError, match="resident"):
            reader.present("nobody")


def test_created_by_backend_name() -> None:
    reader = create_card_reader("virtual", cards_dir=CARDS)
    assert isinstance(reader, VirtualCardReader)


def test_repr_never_shows_name_or_number(reader: VirtualCardReader, caplog) -> None:
    caplog.set_level("DEBUG")
    reader.present("resident")
    assert "330106198806150216" not in caplog.text
    assert "陈思远" not in caplog.text


# ------------------------------------------------------------------ bad files


def open_dir(tmp_path: Path) -> None:
    VirtualCardReader(tmp_path).open()


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "good.json", GOOD)
    (tmp_path / "broken.json").write_text('{"kind": "resident",\n "name": }', encoding="utf-8")
    with pytest.raises(DeviceUnavailable, match=r"broken\.json.*line 2"):
        open_dir(tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("birth_date", "1988-02-30", "YYYY-MM-DD"),
        ("birth_date", "19880215", "YYYY-MM-DD"),
        ("valid_to", "长期", "null means"),
        ("kind", "passport", "resident"),
        ("sex", "male", "M, F, U"),
        ("id_number", 330106, "string"),
        ("issue_count", "1", "whole number"),
        ("photo", "AAAA", "memory only"),
        ("birthdate", "1988-06-15", "unknown"),
    ],
)
def test_bad_field_names_file_and_field(
    tmp_path: Path, field: str, value: object, problem: str
) -> None:
    write(tmp_path, "bad.json", {**GOOD, field: value})
    with pytest.raises(DeviceUnavailable) as info:
        open_dir(tmp_path)
    message = str(info.value)
    assert "bad.json" in message
    assert repr(field) in message
    assert problem in message
    assert "330106198806150216" not in message and "测试" not in message


@pytest.mark.parametrize("missing", ["kind", "id_number", "name"])
def test_missing_field(tmp_path: Path, missing: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != missing}
    write(tmp_path, "short.json", data)
    with pytest.raises(DeviceUnavailable, match=rf"short\.json.*'{missing}'.*missing"):
        open_dir(tmp_path)


def test_not_an_object(tmp_path: Path) -> None:
    write(tmp_path, "list.json", [GOOD])
    with pytest.raises(DeviceUnavailable, match=r"list\.json"):
        open_dir(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable, match="not found"):
        open_dir(tmp_path / "nope")


def test_copied_fixture_loads_as_is(tmp_path: Path) -> None:
    shutil.copy(CARDS / "hk_permit.json", tmp_path / "x.json")
    with VirtualCardReader(tmp_path) as reader:
        assert reader.card_names() == ["x"]
    card = load_card(tmp_path / "x.json")
    assert card.pass_number and card.issue_count == 1
