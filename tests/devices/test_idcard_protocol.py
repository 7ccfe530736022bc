"""The GA 467 reader protocol: golden frames, the streaming decoder, card text layouts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from functools import reduce
from operator import xor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.errors import CardError, DeviceError, DeviceUnavailable, ProtocolError
from devices.idcard import protocol as p
from devices.idcard.card import IdCard
from devices.idcard.virtual import load_card

CARDS = Path(__file__).resolve().parents[2] / "config" / "cards"
PREAMBLE = bytes.fromhex("AAAAAA9669")

# The example frames of the command table in /work/shared/DEVICES.md, copied verbatim.
DEVICES_MD_FRAMES = {
    "SAM status": (0x11, 0xFF, b"", "AA AA AA 96 69 00 03 11 FF ED"),
    "SAM id": (0x12, 0xFF, b"", "AA AA AA 96 69 00 03 12 FF EE"),
    "find card": (0x20, 0x01, b"", "AA AA AA 96 69 00 03 20 01 22"),
    "select card": (0x20, 0x02, b"", "AA AA AA 96 69 00 03 20 02 21"),
    "read text + photo": (0x30, 0x01, b"", "AA AA AA 96 69 00 03 30 01 32"),
    "read text + photo + fingerprint": (0x30, 0x10, b"", "AA AA AA 96 69 00 03 30 10 23"),
    "set max RF bytes": (0x61, 0xFF, b"\x50", "AA AA AA 96 69 00 04 61 FF 50 CA"),
}


def xor_of(data: bytes) -> int:
    """The checksum rule written independently of the code under test."""
    return reduce(xor, data, 0)


def response(sw3: int, data: bytes = b"") -> bytes:
    """A response frame built by hand from the DEVICES.md rules (not by the encoder)."""
    body = (len(data) + 4).to_bytes(2, "big") + bytes([0, 0, sw3]) + data
    return PREAMBLE + body + bytes([xor_of(body)])


def fixture_cards() -> dict[str, IdCard]:
    return {path.stem: load_card(path) for path in sorted(CARDS.glob("*.json"))}


FOREIGN_2017 = IdCard(
    kind="foreign_2017",
    name="王大卫",
    name_en="SMITH JOHN DAVID",
    id_number="GBR310085061512",
    sex="M",
    birth_date=dt.date(1985, 6, 15),
    nationality="GBR",
    issuer="1500",
    valid_from=dt.date(2019, 3, 1),
    valid_to=dt.date(2029, 3, 1),
)
FOREIGN_2023_LONG = IdCard(
    kind="foreign_2023",
    name="",
    # 46 characters: the longest name the 2023 card holds, split after character 35
    name_en="VANDERBILT-MONTGOMERY ALEXANDRA CHARLOTTE ROSE",
    id_number="931840198504120023",
    sex="F",
    birth_date=dt.date(1985, 4, 12),
    nationality="USA",
    issuer=p.NIA_ISSUER,
    valid_from=dt.date(2023, 12, 1),
    valid_to=dt.date(2033, 12, 1),
    issue_count=2,
)


# --------------------------------------------------------------------------- golden frames


@pytest.mark.parametrize("name", sorted(DEVICES_MD_FRAMES))
def test_devices_md_example_checksums_are_right(name: str) -> None:
    """Every example in the table: its CHK equals the XOR computed here (all seven are)."""
    frame = bytes.fromhex(DEVICES_MD_FRAMES[name][3])
    assert frame[:5] == PREAMBLE
    length = int.from_bytes(frame[5:7], "big")
    assert len(frame) == 7 + length, "LEN counts the bytes after itself, CHK included"
    assert frame[-1] == xor_of(frame[5:-1]), f"{name}: DEVICES.md checksum is wrong"


@pytest.mark.parametrize("name", sorted(DEVICES_MD_FRAMES))
def test_encode_command_matches_devices_md(name: str) -> None:
    cmd, para, data, text = DEVICES_MD_FRAMES[name]
    assert p.encode_command(cmd, para, data) == bytes.fromhex(text)


@pytest.mark.parametrize("name", sorted(DEVICES_MD_FRAMES))
def test_command_decoder_reads_devices_md_frames(name: str) -> None:
    cmd, para, data, text = DEVICES_MD_FRAMES[name]
    decoder = p.CommandDecoder()
    assert decoder.feed(bytes.fromhex(text)) == [p.Command(cmd, para, data)]
    assert decoder.errors == 0


def test_golden_responses() -> None:
    # find card, card found: the answer vendors document, with its checksum computed
    found = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert found == response(0x9F, bytes(4))
    assert p.encode_response(0x9F, bytes(4)) == found
    assert p.FrameDecoder().feed(found) == [p.Response(0, 0, 0x9F, bytes(4))]
    sam_ok = bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
    assert p.encode_response(0x90) == sam_ok == response(0x90)
    decoded = p.FrameDecoder().feed(sam_ok)
    assert decoded == [p.Response(0, 0, 0x90)] and decoded[0].ok


def test_read_answer_sizes_match_devices_md() -> None:
    card = fixture_cards()["resident"]
    plain = p.encode_read_response(card, photo=bytes(1024))
    assert len(plain) == 1295  # DEVICES.md: a successful 30 01 answers 1295 bytes
    assert plain[7:10] == bytes([0, 0, 0x90])
    assert plain[10:14] == bytes.fromhex("0100 0400")  # text 256, photo 1024 (BE)
    with_fp = p.encode_read_response(card, photo=bytes(1024), fingerprint=bytes(1024))
    assert len(with_fp) == p.MAX_RESPONSE_FRAME == 2321
    assert with_fp[14:16] == bytes.fromhex("0400")
    assert plain[-1] == xor_of(plain[5:-1]) and with_fp[-1] == xor_of(with_fp[5:-1])


def test_encode_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        p.encode_command(0x100, 0)
    with pytest.raises(ValueError):
        p.encode_response(-1)
    with pytest.raises(ValueError):
        p.encode_response(0x90, bytes(p.MAX_RESPONSE_LEN))


@pytest.mark.parametrize("size", [1, 63, 64, 65, 255, 1295, 2321])
def test_checksum_matches_plain_xor(size: int) -> None:
    data = os.urandom(size)
    assert p.checksum(data) == xor_of(data)


# --------------------------------------------------------------------------- status codes


@pytest.mark.parametrize(
    ("code", "cls", "base"),
    [
        (0x80, p.NoCardError, CardError),
        (0x41, p.CardReadError, CardError),
        (0x81, p.CardReadError, CardError),
        (0x31, p.CardAuthError, CardError),
        (0x32, p.CardAuthError, CardError),
        (0x33, p.CardAuthError, CardError),
        (0x40, p.UnknownCardType, CardError),
        (0x60, p.SamError, DeviceUnavailable),
        (0x66, p.SamError, DeviceUnavailable),
        (0x10, p.CommandRejected, ProtocolError),
        (0x21, p.CommandRejected, ProtocolError),
        (0x55, p.CommandRejected, ProtocolError),  # not in the table
    ],
)
def test_status_codes_map_to_typed_errors(code: int, cls: type, base: type) -> None:
    error = p.status_error(code)
    assert type(error) is cls and isinstance(error, base) and isinstance(error, DeviceError)
    assert error.code == code
    assert f"0x{code:02X}" in str(error)
    assert error.message_zh and error.message_en
    assert error.for_staff == (cls is p.SamError)
    with pytest.raises(cls):
        p.parse_read_response(p.Response(0, 0, code))


def test_read_failed_tells_the_citizen_to_lay_the_card_flat() -> None:
    assert p.status_error(0x41).message_zh == "请把身份证放平，重新放一次"


# --------------------------------------------------------------------------- card text


def card_ids(card: IdCard) -> str:
    return card.kind if card.name_en != FOREIGN_2023_LONG.name_en else "foreign_2023_long"


ALL_LAYOUTS = [*fixture_cards().values(), FOREIGN_2017, FOREIGN_2023_LONG]


@pytest.mark.parametrize("card", ALL_LAYOUTS, ids=card_ids)
def test_every_layout_round_trips(card: IdCard) -> None:
    text = p.encode_card_text(card)
    assert len(text) == 256
    assert p.parse_card(text) == card
    photo, fingerprint = os.urandom(1024), os.urandom(700)
    for frame, fp in (
        (p.encode_read_response(card, photo), b""),
        (p.encode_read_response(card, photo, fingerprint), fingerprint),
    ):
        (resp,) = p.FrameDecoder().feed(frame)
        parsed = p.parse_read_response(resp)
        assert parsed == card
        assert parsed.photo == photo and parsed.fingerprint == fp


def test_all_four_kinds_are_covered() -> None:
    assert {c.kind for c in ALL_LAYOUTS} == {
        "resident",
        "hk_mo_tw_permit",
        "foreign_2017",
        "foreign_2023",
    }


def ucs2(value: str, size: int) -> bytes:
    """A field padded with spaces to ``size`` bytes, built independently of the encoder."""
    raw = value.encode("utf-16-le")
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def test_hand_built_resident_text_parses() -> None:
    text = (
        ucs2("张三", 30)
        + ucs2("1", 2)
        + ucs2("05", 4)
        + ucs2("19491231", 16)
        + ucs2("北京市朝阳区某路1号", 70)
        + ucs2("11010519491231002X", 36)
        + ucs2("北京市公安局朝阳分局", 30)
        + ucs2("20200101", 16)
        + ucs2("长期", 16)
        + ucs2("", 36)
    )
    card = p.parse_card(text)
    assert card.kind == "resident" and card.name == "张三" and card.sex == "M"
    assert card.nation == "维吾尔"
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.id_number == "11010519491231002X"
    assert card.valid_to is None  # 长期
    assert p.encode_card_text(card) == text


def test_hand_built_layout_offsets() -> None:
    """Where the encoder puts the type flag and the split 2023 English name (bytes)."""
    permit = p.encode_card_text(fixture_cards()["hk_permit"])
    assert permit[248:250] == "J".encode("utf-16-le")
    assert permit[220:238] == ucs2("H60012345", 18)
    assert permit[238:242] == ucs2("01", 4)
    assert permit[32:36] == ucs2("", 4)  # nation reserved on the permit
    old = p.encode_card_text(FOREIGN_2017)
    assert old[248:250] == "I".encode("utf-16-le")
    assert old[0:120] == ucs2("SMITH JOHN DAVID", 120)
    assert old[122:152] == ucs2("GBR310085061512", 30)
    assert old[152:158] == ucs2("GBR", 6)
    new = p.encode_card_text(FOREIGN_2023_LONG)
    assert new[248:250] == "Y".encode("utf-16-le")
    assert new[52:122] == ucs2(FOREIGN_2023_LONG.name_en[:35], 70)
    assert new[220:242] == ucs2(FOREIGN_2023_LONG.name_en[35:], 22)
    assert new[242:248] == ucs2("USA", 6)
    assert new[32:36] == ucs2("02", 4)


def test_nation_table_is_gb_3304() -> None:
    codes = sorted(p.NATIONS)
    assert codes == [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    assert len(set(p.NATIONS.values())) == 58
    assert p.NATIONS["01"] == "汉" and p.NATIONS["56"] == "基诺"
    assert p.NATIONS["97"] == "其他" and p.NATIONS["98"] == "外国血统中国籍人士"


@pytest.mark.parametrize("code", sorted(p.NATIONS))
def test_every_nation_round_trips(code: str) -> None:
    card = dataclasses.replace(fixture_cards()["resident"], nation=p.NATIONS[code])
    text = p.encode_card_text(card)
    assert text[32:36] == ucs2(code, 4)
    assert p.parse_card(text).nation == p.NATIONS[code]


def test_nation_with_zu_suffix_is_accepted_when_encoding() -> None:
    card = dataclasses.replace(fixture_cards()["resident"], nation="汉族")
    assert p.parse_card(p.encode_card_text(card)).nation == "汉"


def put(text: bytes, offset: int, value: str) -> bytes:
    raw = value.encode("utf-16-le")
    return text[:offset] + raw + text[offset + len(raw) :]


GOOD_TEXT = p.encode_card_text(fixture_cards()["resident"])


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (GOOD_TEXT[:254], "bytes"),
        (GOOD_TEXT + b"  ", "bytes"),
        (put(GOOD_TEXT, 30, "3"), "sex"),
        (put(GOOD_TEXT, 36, "19880231"), "birth_date"),
        (put(GOOD_TEXT, 36, "1988061X"), "birth_date"),
        (put(GOOD_TEXT, 188, "        "), "valid_from"),
        (put(GOOD_TEXT, 204, "永久"), "valid_to"),
        (put(GOOD_TEXT, 122 + 34, "7"), "id_number"),  # wrong check character
        (put(GOOD_TEXT, 32, "0A"), "nation"),
        (put(GOOD_TEXT, 248, "Q"), "type flag"),
        (GOOD_TEXT[:10] + b"\x00\xd8" + GOOD_TEXT[12:], "UCS-2"),  # lone surrogate
    ],
)
def test_malformed_text_raises_protocol_error(text: bytes, what: str) -> None:
    with pytest.raises(ProtocolError) as info:
        p.parse_card(text)
    assert isinstance(info.value, p.FrameError)
    message = str(info.value)
    assert "330106198806150216" not in message and "陈思远" not in message


def test_unknown_but_numeric_nation_code_reads_as_blank() -> None:
    assert p.parse_card(put(GOOD_TEXT, 32, "77")).nation == ""


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x00",
        bytes.fromhex("0100 0400") + bytes(256),  # photo missing
        bytes.fromhex("0200 0400") + bytes(512 + 1024),  # text length not 256
        bytes.fromhex("0100 0000 0010") + GOOD_TEXT,  # fingerprint missing
    ],
)
def test_read_answer_with_wrong_shape_raises_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        p.parse_read_response(p.Response(0, 0, 0x90, data))


def test_encoder_refuses_what_a_card_cannot_hold() -> None:
    resident = fixture_cards()["resident"]
    with pytest.raises(ValueError, match="name"):
        p.encode_card_text(dataclasses.replace(resident, name="张" * 16))
    with pytest.raises(ValueError, match="nation"):
        p.encode_card_text(dataclasses.replace(resident, nation="火星"))
    with pytest.raises(ValueError, match="UCS-2"):
        p.encode_card_text(dataclasses.replace(resident, name="𠮷"))
    with pytest.raises(ValueError, match="birth_date"):
        p.encode_card_text(dataclasses.replace(resident, birth_date=None))
    with pytest.raises(ValueError, match="46"):
        p.encode_card_text(dataclasses.replace(FOREIGN_2023_LONG, name_en="X" * 47))


def test_response_repr_hides_the_data() -> None:
    (resp,) = p.FrameDecoder().feed(p.encode_read_response(fixture_cards()["resident"]))
    assert "陈" not in repr(resp) and "0x90" in repr(resp)


# --------------------------------------------------------------------------- decoder


def without_preamble(data: bytes) -> bytes:
    while PREAMBLE in data:
        data = data.replace(PREAMBLE, b"\xaa\x96")
    return data


def small_frames() -> st.SearchStrategy[bytes]:
    # no preamble inside the data: a dropped frame's bytes are searched again, and a
    # preamble there would start a frame of its own (bytes alone cannot tell otherwise)
    return st.builds(
        p.encode_response,
        st.integers(0, 255),
        st.binary(max_size=40).map(without_preamble),
        st.integers(0, 255),
        st.integers(0, 255),
    )


def valid_frames() -> st.SearchStrategy[bytes]:
    big = st.sampled_from(
        [p.encode_read_response(c, os.urandom(1024)) for c in fixture_cards().values()]
        + [p.encode_read_response(FOREIGN_2017, bytes(1024), bytes(1024))]
    )
    return st.one_of(small_frames(), small_frames(), big)


def clean_garbage() -> st.SearchStrategy[bytes]:
    """Garbage that holds no complete preamble (a preamble plus a plausible length would
    make any decoder wait for that many bytes: a frame, as far as the bytes can tell)."""
    tricky = st.lists(st.sampled_from([0xAA, 0x96, 0x69, 0x00, 0x04]), max_size=60).map(bytes)
    return st.one_of(st.binary(max_size=300), tricky).map(without_preamble)


def decoded(frames: list[bytes]) -> list[p.Response]:
    return [p.Response(f[7], f[8], f[9], f[10:-1]) for f in frames]


def feed_in_chunks(decoder: p.FrameDecoder, data: bytes, cuts: list[int]) -> list[p.Response]:
    out: list[p.Response] = []
    last = 0
    for cut in sorted({min(c, len(data)) for c in cuts}) + [len(data)]:
        out += decoder.feed(data[last:cut])
        assert decoder.buffered <= p.MAX_RESPONSE_FRAME
        last = cut
    return out


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=5000), st.lists(st.integers(0, 5000), max_size=20))
def test_random_bytes_never_raise(data: bytes, cuts: list[int]) -> None:
    decoder = p.FrameDecoder()
    for resp in feed_in_chunks(decoder, data, cuts):
        assert isinstance(resp, p.Response)
    assert decoder.buffered <= p.MAX_RESPONSE_FRAME


@FAST
@given(
    st.lists(st.tuples(clean_garbage(), valid_frames()), min_size=1, max_size=6),
    clean_garbage(),
    st.lists(st.integers(0, 20000), max_size=30),
)
def test_valid_frames_in_garbage_are_all_recovered(
    parts: list[tuple[bytes, bytes]], tail: bytes, cuts: list[int]
) -> None:
    data = b"".join(g + f for g, f in parts) + tail
    decoder = p.FrameDecoder()
    assert feed_in_chunks(decoder, data, cuts) == decoded([f for _, f in parts])
    assert decoder.errors == 0


@FAST
@given(st.lists(valid_frames(), min_size=1, max_size=4), st.data())
def test_corrupt_frames_between_valid_ones_are_dropped_and_counted(
    frames: list[bytes], data: st.DataObject
) -> None:
    """A frame with a wrong checksum is dropped; the good frames around it all arrive."""
    stream = b""
    bad = 0
    for frame in frames:
        if data.draw(st.booleans()):
            broken = frame[:-1] + bytes([frame[-1] ^ data.draw(st.integers(1, 255))])
            stream += broken
            bad += 1
        stream += frame
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    decoder = p.FrameDecoder()
    assert feed_in_chunks(decoder, stream, cuts) == decoded(frames)
    assert decoder.errors == bad


def test_split_at_every_position() -> None:
    """Frames of every size, the stream cut once at each byte position."""
    frames = [
        p.encode_response(0x9F, bytes(4)),
        p.encode_read_response(fixture_cards()["hk_permit"], os.urandom(1024)),
        p.encode_response(0x80),
        p.encode_read_response(FOREIGN_2017, os.urandom(1024), os.urandom(1024)),
    ]
    stream = b"\x00\xaa\x96" + b"".join(frames) + b"\xaa\xaa"
    expected = decoded(frames)
    for cut in range(len(stream) + 1):
        decoder = p.FrameDecoder()
        assert decoder.feed(stream[:cut]) + decoder.feed(stream[cut:]) == expected, cut
        assert decoder.errors == 0


def test_byte_by_byte() -> None:
    frame = p.encode_read_response(fixture_cards()["elderly"], bytes(1024))
    decoder = p.FrameDecoder()
    out = []
    for i in range(len(frame)):
        assert decoder.bytes_wanted() >= 1
        out += decoder.feed(frame[i : i + 1])
    assert out == decoded([frame])


def test_bytes_wanted_is_what_completes_the_frame() -> None:
    frame = p.encode_read_response(fixture_cards()["resident"], bytes(1024))
    decoder = p.FrameDecoder()
    assert decoder.bytes_wanted() == 7
    decoder.feed(frame[:3])
    assert decoder.bytes_wanted() == 4
    decoder.feed(frame[3:100])
    assert decoder.bytes_wanted() == len(frame) - 100
    assert decoder.feed(frame[100:]) and decoder.bytes_wanted() == 7


@pytest.mark.parametrize("length", [0, 1, 2, 3, p.MAX_RESPONSE_LEN + 1, 0xFFFF])
def test_impossible_length_is_dropped_without_waiting(length: int) -> None:
    good = p.encode_response(0x90)
    decoder = p.FrameDecoder()
    head = PREAMBLE + length.to_bytes(2, "big")
    assert decoder.feed(head + good) == decoded([good])
    assert decoder.errors == 1


def test_largest_frame_is_accepted() -> None:
    frame = p.encode_response(0x90, bytes(p.MAX_RESPONSE_LEN - 4))
    assert len(frame) == p.MAX_RESPONSE_FRAME
    assert p.FrameDecoder().feed(frame) == decoded([frame])


def test_truncated_frame_then_valid_frames_recovers() -> None:
    """A frame cut short swallows what follows until its claimed length is reached; it then
    fails its checksum and the decoder finds the frames inside it."""
    read = p.encode_read_response(fixture_cards()["resident"], bytes(range(256)) * 4)
    small = [p.encode_response(0x9F, bytes(4)), p.encode_response(0x90, bytes(8))]
    stream = read[:600] + b"".join(small) + read
    decoder = p.FrameDecoder()
    assert decoder.feed(stream) == decoded([*small, read])
    assert decoder.errors == 1


def test_buffer_never_exceeds_one_maximum_frame() -> None:
    decoder = p.FrameDecoder()
    # a plausible head followed by a flood of bytes with no frame in them
    head = PREAMBLE + p.MAX_RESPONSE_LEN.to_bytes(2, "big")
    for chunk in (head, bytes(10_000), head + bytes(50_000), os.urandom(100_000)):
        decoder.feed(chunk)
        assert decoder.buffered <= p.MAX_RESPONSE_FRAME
    assert decoder.errors >= 2


def test_reset_forgets_a_partial_frame() -> None:
    frame = p.encode_response(0x90)
    decoder = p.FrameDecoder()
    decoder.feed(frame[:8])
    decoder.reset()
    assert decoder.buffered == 0
    assert decoder.feed(frame) == decoded([frame])


def test_feed_accepts_bytearray_and_memoryview() -> None:
    frame = p.encode_response(0x9F, bytes(4))
    assert p.FrameDecoder().feed(bytearray(frame)) == decoded([frame])
    assert p.FrameDecoder().feed(memoryview(frame)) == decoded([frame])
