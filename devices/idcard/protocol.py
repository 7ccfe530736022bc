"""The resident ID-card reader's serial protocol (GA 467 SAM module): bytes ⇄ objects.

Pure: no I/O, no clocks, no threads. ``reader.py`` owns the port and the polling thread,
``simulator.py`` answers with the same bytes, and an outside conformance suite calls the
names below, so keep them stable.

Wire format
===========

Every frame starts with the 5-byte preamble ``AA AA AA 96 69`` followed by a 2-byte
big-endian length ``LEN`` that counts every byte after itself up to and including the
checksum. ``CHK`` is the XOR of every byte between the preamble and ``CHK`` (the two LEN
bytes included)::

    command   AA AA AA 96 69 | LEN(2) | CMD PARA [DATA]     | CHK
    response  AA AA AA 96 69 | LEN(2) | SW1 SW2 SW3 [DATA]  | CHK

A receiver reads the 7-byte head, then ``LEN`` more bytes. Commands used here
(``CMD PARA``): 10 FF SAM reset, 11 FF SAM status, 12 FF SAM id, 20 01 find card,
20 02 select card, 30 01 read text + photo, 30 03 read extra address, 30 10 read text +
photo + fingerprint, 61 FF set max RF bytes. ``SW1 SW2`` are 00 00 on the readers we know;
``SW3`` is the status: 0x90 success, 0x9F card found, 0x91 no such item, everything else an
error (``STATUS`` below maps each to a typed exception with a citizen message).

Read answers (30 01 / 30 10, status 0x90), ``DATA`` =
``text_len(2, BE) photo_len(2, BE) [fp_len(2, BE)] text photo [fingerprint]`` with
text 256 bytes and photo 1024 bytes (WLT, encrypted; kept in memory only). A 30 01 answer
is 1295 bytes on the wire, a 30 10 answer with a 1024-byte fingerprint 2321 bytes — the
largest frame a reader sends (``MAX_RESPONSE_LEN``).

Text block: 256 bytes of UCS-2 little-endian, space padded; sizes below in bytes. The
character at byte 248 (UCS-2 index 124) tells the card type:

- resident (blank): name 30, sex 2, nation 4, birth 16, address 70, ID number 36,
  issuer 30, valid from 16, valid to 16, reserved 36.
- ``J`` Hong Kong/Macau/Taiwan residence permit: resident layout, nation blank, and the
  last 36 bytes hold pass number 18, issue count 4, reserved 6, type flag 2, reserved 6.
- ``I`` foreign permanent resident card (2017): English name 120, sex 2, card number 30,
  nationality 6, Chinese name 30, valid from 16, valid to 16, birth 16, card version 4,
  issuing office code 8, type flag 2, reserved 6.
- ``Y`` foreign permanent resident card (2023): Chinese name 30, sex 2, renewal count 4,
  birth 16, English name chars 1–35 70, ID number 36, reserved 30, valid from 16,
  valid to 16, English name chars 36–46 22, nationality 6, type flag 2,
  previous-card link 6.

Sex is '1' male, '2' female, '0' unknown, '9' unspecified; dates are YYYYMMDD, and a valid-to
of "长期" means no expiry (``valid_to=None``). Nation is a GB 3304 code ('01' 汉 … '56' 基诺,
'97' 其他, '98' 外国血统中国籍人士); ``IdCard.nation`` holds the name as printed on the card.

Mapping to ``IdCard`` fields that have no slot of their own: the 2017 card's issuing office
code goes to ``issuer``; its card version and the 2023 card's previous-card link are not
kept; a 2023 card's ``issuer`` is the National Immigration Administration (the layout has no
issuer field) and its renewal count is ``issue_count``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import reduce
from operator import xor
from typing import ClassVar, Literal

from devices.errors import CardError, DeviceError, DeviceUnavailable, ProtocolError
from devices.idcard.card import CardKind, IdCard

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEAD_LEN = 7  # preamble + LEN

# (CMD, PARA) of the commands the reader and simulator use
SAM_RESET = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_EXTRA_ADDRESS = (0x30, 0x03)
READ_TEXT_PHOTO_FP = (0x30, 0x10)
SET_MAX_RF_BYTES = (0x61, 0xFF)

SW_OK = 0x90
SW_CARD_FOUND = 0x9F
SW_NO_SUCH_ITEM = 0x91
SW_NO_CARD = 0x80

TEXT_LEN = 256
PHOTO_LEN = 1024  # what real readers send; any length is accepted when parsing
MAX_FINGERPRINT_LEN = 1024
MIN_RESPONSE_LEN = 4  # SW1 SW2 SW3 CHK
# 30 10 answer with the largest fingerprint: SW(3) + three lengths(6) + text + photo + fp + CHK
MAX_RESPONSE_LEN = 3 + 6 + TEXT_LEN + PHOTO_LEN + MAX_FINGERPRINT_LEN + 1
MAX_RESPONSE_FRAME = HEAD_LEN + MAX_RESPONSE_LEN  # 2321 bytes
MIN_COMMAND_LEN = 3  # CMD PARA CHK
MAX_COMMAND_LEN = 3 + 256  # nothing we know sends more than a few data bytes

NIA_ISSUER = "中华人民共和国国家移民管理局"  # issues the 2023 foreign permanent resident card

# GB 3304 codes of the 56 nationalities (names as printed on the card), plus 97 and 98.
NATIONS: dict[str, str] = {
    "01": "汉",
    "02": "蒙古",
    "03": "回",
    "04": "藏",
    "05": "维吾尔",
    "06": "苗",
    "07": "彝",
    "08": "壮",
    "09": "布依",
    "10": "朝鲜",
    "11": "满",
    "12": "侗",
    "13": "瑶",
    "14": "白",
    "15": "土家",
    "16": "哈尼",
    "17": "哈萨克",
    "18": "傣",
    "19": "黎",
    "20": "傈僳",
    "21": "佤",
    "22": "畲",
    "23": "高山",
    "24": "拉祜",
    "25": "水",
    "26": "东乡",
    "27": "纳西",
    "28": "景颇",
    "29": "柯尔克孜",
    "30": "土",
    "31": "达斡尔",
    "32": "仫佬",
    "33": "羌",
    "34": "布朗",
    "35": "撒拉",
    "36": "毛南",
    "37": "仡佬",
    "38": "锡伯",
    "39": "阿昌",
    "40": "普米",
    "41": "塔吉克",
    "42": "怒",
    "43": "乌孜别克",
    "44": "俄罗斯",
    "45": "鄂温克",
    "46": "德昂",
    "47": "保安",
    "48": "裕固",
    "49": "京",
    "50": "塔塔尔",
    "51": "独龙",
    "52": "鄂伦春",
    "53": "赫哲",
    "54": "门巴",
    "55": "珞巴",
    "56": "基诺",
    "97": "其他",
    "98": "外国血统中国籍人士",
}
_NATION_CODES = {name: code for code, name in NATIONS.items()}

Sex = Literal["M", "F", "U"]
_SEX_FROM_CODE: dict[str, Sex] = {"1": "M", "2": "F", "0": "U", "9": "U"}
_SEX_TO_CODE = {"M": "1", "F": "2", "U": "0"}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_PAD = " \x00"


# --------------------------------------------------------------------------- errors


class ReaderError(DeviceError):
    """A reader failure with words for the citizen (``message_zh``/``message_en``).

    ``str(error)`` is the staff-facing detail (English, no personal data); ``code`` is the
    reader's SW3 status byte when the reader sent one, else None; ``for_staff`` is True when
    the citizen cannot fix it (the kiosk should call staff rather than ask to retry).
    """

    error_code: ClassVar[str] = "card_read"
    message_zh: ClassVar[str] = "读卡出错，请重新放一次身份证"
    message_en: ClassVar[str] = "The card could not be read. Please place it again."
    for_staff: ClassVar[bool] = False

    def __init__(self, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code


class NoCardError(ReaderError, CardError):
    """0x80: no card on the reader."""

    error_code = "no_card"

    message_zh = "请把身份证放在读卡区"
    message_en = "Please place your ID card on the reader."


class CardReadError(ReaderError, CardError):
    """0x41, 0x81, 0x3F, 0x47, 0x37: the card moved or lies badly; placing it again helps."""

    error_code = "card_read"

    message_zh = "请把身份证放平，重新放一次"
    message_en = "Please lay the card flat on the reader and place it again."


class UnknownCardType(ReaderError, CardError):
    """0x40: not a card this reader can read (bank card, transport card …)."""

    error_code = "unknown_card"

    message_zh = "无法识别这张卡，请使用身份证或居住证"
    message_en = "This card cannot be read. Please use an ID card or residence permit."


class CardAuthError(ReaderError, CardError):
    """0x31, 0x32, 0x33: card and SAM did not authenticate each other (or data check)."""

    error_code = "card_auth"

    message_zh = "证件验证未通过，请重新放一次；仍不行请到人工窗口"
    message_en = (
        "The card could not be verified. Please place it again, or go to a staffed counter."
    )


class SamError(ReaderError, DeviceUnavailable):
    """0x60, 0x66: the reader's security module failed or is not authorised (staff)."""

    error_code = "sam_fault"

    message_zh = "读卡器暂时不能使用，请联系工作人员"
    message_en = "The card reader is out of order. Please ask a member of staff."
    for_staff = True


class CommandRejected(ReaderError, ProtocolError):
    """0x10, 0x11, 0x21, 0x23, 0x24, or an unknown status: the reader refused our frame."""

    error_code = "command_rejected"

    message_zh = "读卡器通信出错，请重新放一次身份证"
    message_en = "The card reader had a communication error. Please place the card again."


class FrameError(ReaderError, ProtocolError):
    """The answer was corrupt, of the wrong shape, or its text could not be parsed."""

    error_code = "frame"

    message_zh = "读卡出错，请重新放一次身份证"
    message_en = "The card could not be read. Please place it again."


STATUS: dict[int, tuple[type[ReaderError], str]] = {
    0x10: (CommandRejected, "checksum error in command"),
    0x11: (CommandRejected, "length error in command"),
    0x21: (CommandRejected, "bad command"),
    0x23: (CommandRejected, "command not permitted"),
    0x24: (CommandRejected, "unknown error"),
    0x31: (CardAuthError, "card failed to authenticate the SAM"),
    0x32: (CardAuthError, "SAM failed to authenticate the card"),
    0x33: (CardAuthError, "data verification failed"),
    0x37: (CardReadError, "fingerprint error"),
    0x3F: (CardReadError, "data length error"),
    0x40: (UnknownCardType, "unknown card type"),
    0x41: (CardReadError, "read failed"),
    0x47: (CardReadError, "random number failed"),
    0x60: (SamError, "SAM self-test failed"),
    0x66: (SamError, "SAM not authorised"),
    0x80: (NoCardError, "find card failed (no card)"),
    0x81: (CardReadError, "select card failed"),
}


def status_error(sw3: int) -> ReaderError:
    """The typed exception for an error status byte (unknown codes: CommandRejected)."""
    cls, what = STATUS.get(sw3, (CommandRejected, "unknown status"))
    return cls(f"reader status 0x{sw3:02X}: {what}", code=sw3)


# --------------------------------------------------------------------------- frames


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of all bytes (0–255). Folds a big integer for long frames: ~6× faster."""
    n = len(data)
    if n <= 64:
        return reduce(xor, data, 0)
    value = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) // 2
        shift = 8 * half
        value = (value >> shift) ^ (value & ((1 << shift) - 1))
        n = half
    return value


def _frame(payload: bytes) -> bytes:
    body = (len(payload) + 1).to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def _byte(name: str, value: int) -> int:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{name} must be 0..255, not {value}")
    return value


def encode_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A complete command frame, e.g. ``encode_command(0x20, 0x01)`` = find card."""
    if len(data) + 3 > MAX_COMMAND_LEN:
        raise ValueError(f"command data too long: {len(data)} bytes")
    return _frame(bytes([_byte("cmd", cmd), _byte("para", para)]) + bytes(data))


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A complete response frame (the simulator's side); SW1 SW2 are 00 00 on real readers."""
    if len(data) + MIN_RESPONSE_LEN > MAX_RESPONSE_LEN:
        raise ValueError(f"response data too long: {len(data)} bytes")
    sw = bytes([_byte("sw1", sw1), _byte("sw2", sw2), _byte("sw3", sw3)])
    return _frame(sw + bytes(data))


@dataclass(frozen=True)
class Response:
    """One decoded answer. ``data`` is everything between SW3 and CHK."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.sw3 == SW_OK

    def __repr__(self) -> str:  # data may hold a card's text: show only its size
        return f"Response(sw3=0x{self.sw3:02X}, sw1={self.sw1}, sw2={self.sw2}, {len(self.data)} B)"


@dataclass(frozen=True)
class Command:
    """One decoded command (what the simulator receives)."""

    cmd: int
    para: int
    data: bytes = b""


class _FrameScanner:
    """Streaming frame finder shared by both directions.

    Holds at most ``max_frame`` bytes: input is taken in slices that fit, and bytes that
    cannot start a frame are dropped at once (only a trailing partial preamble is kept).
    A candidate whose length is impossible or whose checksum is wrong is dropped by
    skipping its first byte and searching again, so a valid frame hidden inside a
    corrupt one is still found.
    """

    def __init__(self, min_len: int, max_len: int) -> None:
        self.min_len = min_len
        self.max_len = max_len
        self.max_frame = HEAD_LEN + max_len
        self._buf = bytearray()
        self.errors = 0  # frames dropped: impossible length or bad checksum
        self.discarded = 0  # bytes skipped outside frames (garbage, dropped frames' bytes)
        self.frames = 0  # frames decoded

    @property
    def buffered(self) -> int:
        """Bytes held now (never more than ``max_frame``)."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget a partial frame (the reader calls this before each command)."""
        self.discarded += len(self._buf)
        self._buf.clear()

    def bytes_wanted(self) -> int:
        """How many more bytes complete the head or the pending frame (≥ 1).

        A transport can read exactly this many and so never waits for bytes that may not
        come, nor reads past the end of the frame.
        """
        buf = self._buf
        if len(buf) < HEAD_LEN:
            return HEAD_LEN - len(buf)
        return max(1, HEAD_LEN + ((buf[5] << 8) | buf[6]) - len(buf))

    def _payloads(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        out: list[bytes] = []
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        pos, end = 0, len(view)
        while True:
            room = self.max_frame - len(self._buf)
            if room > 0 and pos < end:
                self._buf += view[pos : pos + room]
                pos += room
            self._scan(out)
            if pos >= end:
                return out

    def _scan(self, out: list[bytes]) -> None:
        buf = self._buf
        while buf:
            start = buf.find(PREAMBLE)
            if start < 0:
                keep = 0
                for k in range(len(PREAMBLE) - 1, 0, -1):
                    if buf.endswith(PREAMBLE[:k]):
                        keep = k
                        break
                self.discarded += len(buf) - keep
                del buf[: len(buf) - keep]
                return
            if start:
                self.discarded += start
                del buf[:start]
            if len(buf) < HEAD_LEN:
                return
            length = (buf[5] << 8) | buf[6]
            if not self.min_len <= length <= self.max_len:
                self.errors += 1
                self.discarded += 1
                del buf[:1]
                continue
            total = HEAD_LEN + length
            if len(buf) < total:
                return
            if checksum(buf[5 : total - 1]) != buf[total - 1]:
                self.errors += 1
                self.discarded += 1
                del buf[:1]
                continue
            out.append(bytes(buf[HEAD_LEN : total - 1]))
            self.frames += 1
            del buf[:total]


class FrameDecoder(_FrameScanner):
    """Streaming decoder of reader answers: ``feed(bytes) -> list[Response]``.

    Accepts bytes split anywhere, resynchronises on garbage, drops frames with a bad
    checksum or an impossible length (counted in ``errors``), never raises on input and
    never buffers more than one maximum-size frame (``MAX_RESPONSE_FRAME`` bytes).
    """

    def __init__(self) -> None:
        super().__init__(MIN_RESPONSE_LEN, MAX_RESPONSE_LEN)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Response]:
        return [Response(p[0], p[1], p[2], p[3:]) for p in self._payloads(data)]


class CommandDecoder(_FrameScanner):
    """The simulator's side: ``feed(bytes) -> list[Command]``, same rules as FrameDecoder."""

    def __init__(self) -> None:
        super().__init__(MIN_COMMAND_LEN, MAX_COMMAND_LEN)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Command]:
        return [Command(p[0], p[1], p[2:]) for p in self._payloads(data)]


# --------------------------------------------------------------------------- card text


def id_check_char(first17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _malformed(what: str) -> FrameError:
    # ``what`` names the field, never its value (it may be a name or a number).
    return FrameError(f"card text malformed: {what}")


class _Fields:
    """Slices of the decoded 128-character text by byte offset and byte size."""

    def __init__(self, text: str) -> None:
        self.text = text

    def raw(self, offset: int, size: int) -> str:
        return self.text[offset // 2 : (offset + size) // 2]

    def get(self, offset: int, size: int) -> str:
        return self.raw(offset, size).rstrip(_PAD)


def _sex(code: str) -> Sex:
    try:
        return _SEX_FROM_CODE[code]
    except KeyError:
        raise _malformed("sex") from None


def _date(value: str, name: str) -> dt.date:
    if not re.fullmatch(r"\d{8}", value):
        raise _malformed(name)
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _malformed(name) from None


def _valid_to(value: str) -> dt.date | None:
    return None if value == "长期" else _date(value, "valid_to")


def _count(value: str, name: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise _malformed(name)
    return int(value)


def _id18(value: str, name: str = "id_number") -> str:
    value = value.strip().upper()
    if not _ID18.match(value) or id_check_char(value[:17]) != value[17]:
        raise _malformed(name)
    return value


def parse_card(text: bytes, photo: bytes = b"", fingerprint: bytes = b"") -> IdCard:
    """The 256-byte text block (UCS-2 LE) as an IdCard; raises ProtocolError if malformed.

    Checks what a corrupt frame that slipped past the 8-bit checksum would break: the
    type flag, sex code, real dates, and the ID number's check character.
    """
    if len(text) != TEXT_LEN:
        raise _malformed(f"text is {len(text)} bytes, not {TEXT_LEN}")
    try:
        decoded = bytes(text).decode("utf-16-le")
    except UnicodeDecodeError:
        raise _malformed("not UCS-2") from None
    f = _Fields(decoded)
    flag = f.raw(248, 2)
    photo, fingerprint = bytes(photo), bytes(fingerprint)
    if flag in (" ", "\x00", "J"):
        nation_code = f.get(32, 4)
        nation = ""
        kind: CardKind
        if flag == " " or flag == "\x00":
            kind = "resident"
            if nation_code:
                if not nation_code.isdigit() or len(nation_code) != 2:
                    raise _malformed("nation")
                nation = NATIONS.get(nation_code, "")  # a future code: the name is unknown
            pass_number, issue_count = "", None
        else:
            kind = "hk_mo_tw_permit"
            pass_number = f.get(220, 18)
            issue_count = _count(f.get(238, 4), "issue_count")
        return IdCard(
            kind=kind,
            name=f.get(0, 30),
            sex=_sex(f.get(30, 2)),
            nation=nation,
            birth_date=_date(f.get(36, 16), "birth_date"),
            address=f.get(52, 70),
            id_number=_id18(f.get(122, 36)),
            issuer=f.get(158, 30),
            valid_from=_date(f.get(188, 16), "valid_from"),
            valid_to=_valid_to(f.get(204, 16)),
            pass_number=pass_number,
            issue_count=issue_count,
            photo=photo,
            fingerprint=fingerprint,
        )
    if flag == "I":
        number = f.get(122, 30).strip().upper()
        if not _ID_FOREIGN_2017.match(number):
            raise _malformed("id_number")
        return IdCard(
            kind="foreign_2017",
            name_en=f.get(0, 120),
            sex=_sex(f.get(120, 2)),
            id_number=number,
            nationality=f.get(152, 6),
            name=f.get(158, 30),
            valid_from=_date(f.get(188, 16), "valid_from"),
            valid_to=_valid_to(f.get(204, 16)),
            birth_date=_date(f.get(220, 16), "birth_date"),
            issuer=f.get(240, 8),
            photo=photo,
            fingerprint=fingerprint,
        )
    if flag == "Y":
        return IdCard(
            kind="foreign_2023",
            name=f.get(0, 30),
            sex=_sex(f.get(30, 2)),
            issue_count=_count(f.get(32, 4), "issue_count"),
            birth_date=_date(f.get(36, 16), "birth_date"),
            name_en=(f.raw(52, 70) + f.raw(220, 22)).rstrip(_PAD),
            id_number=_id18(f.get(122, 36)),
            valid_from=_date(f.get(188, 16), "valid_from"),
            valid_to=_valid_to(f.get(204, 16)),
            nationality=f.get(242, 6),
            issuer=NIA_ISSUER,
            photo=photo,
            fingerprint=fingerprint,
        )
    raise FrameError("card text malformed: unknown card type flag", code=None)


def parse_read_response(resp: Response) -> IdCard:
    """The IdCard in a 30 01 (text + photo) or 30 10 (+ fingerprint) answer.

    An error status raises its typed error (``status_error``); a wrong shape raises
    FrameError (a ProtocolError).
    """
    if resp.sw3 != SW_OK:
        raise status_error(resp.sw3)
    data = resp.data
    if len(data) < 4:
        raise FrameError("read answer too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN:
        raise FrameError(f"read answer: text length {text_len}, expected {TEXT_LEN}")
    if len(data) == 4 + text_len + photo_len:  # 30 01
        start, fp_len = 4, 0
    elif len(data) >= 6 and len(data) == 6 + text_len + photo_len + (
        fp_len := int.from_bytes(data[4:6], "big")
    ):  # 30 10
        start = 6
    else:
        raise FrameError("read answer: lengths do not add up")
    text = data[start : start + text_len]
    photo = data[start + text_len : start + text_len + photo_len]
    fingerprint = data[start + text_len + photo_len : start + text_len + photo_len + fp_len]
    return parse_card(text, photo, fingerprint)


# --------------------------------------------------------------------------- encoders


class _Text:
    """Builds the 128-character text block field by field (byte offsets and sizes)."""

    def __init__(self) -> None:
        self.chars = [" "] * (TEXT_LEN // 2)

    def put(self, offset: int, size: int, value: str, name: str) -> None:
        if len(value) > size // 2:
            raise ValueError(f"{name} is longer than {size // 2} characters")
        if any(ord(c) > 0xFFFF or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError(f"{name} has a character UCS-2 cannot hold")
        start = offset // 2
        self.chars[start : start + len(value)] = list(value)

    def encode(self) -> bytes:
        return "".join(self.chars).encode("utf-16-le")


def _ymd(value: dt.date | None, name: str) -> str:
    if value is None:
        raise ValueError(f"{name} is required")
    return value.strftime("%Y%m%d")


def _count_text(value: int | None, name: str) -> str:
    if value is None:
        return ""
    if not 0 <= value <= 99:
        raise ValueError(f"{name} must be 0..99")
    return f"{value:02d}"


def encode_card_text(card: IdCard) -> bytes:
    """The 256-byte text block for ``card`` (what a reader sends; the simulator's side)."""
    t = _Text()
    valid_to = "长期" if card.valid_to is None else _ymd(card.valid_to, "valid_to")
    sex = _SEX_TO_CODE[card.sex]
    if card.kind in ("resident", "hk_mo_tw_permit"):
        t.put(0, 30, card.name, "name")
        t.put(30, 2, sex, "sex")
        if card.kind == "resident" and card.nation:
            code = _NATION_CODES.get(card.nation) or _NATION_CODES.get(
                card.nation.removesuffix("族")
            )
            if code is None:
                raise ValueError("nation is not a GB 3304 name")
            t.put(32, 4, code, "nation")
        t.put(36, 16, _ymd(card.birth_date, "birth_date"), "birth_date")
        t.put(52, 70, card.address, "address")
        t.put(122, 36, card.id_number, "id_number")
        t.put(158, 30, card.issuer, "issuer")
        t.put(188, 16, _ymd(card.valid_from, "valid_from"), "valid_from")
        t.put(204, 16, valid_to, "valid_to")
        if card.kind == "hk_mo_tw_permit":
            t.put(220, 18, card.pass_number, "pass_number")
            t.put(238, 4, _count_text(card.issue_count, "issue_count"), "issue_count")
            t.put(248, 2, "J", "type flag")
    elif card.kind == "foreign_2017":
        t.put(0, 120, card.name_en, "name_en")
        t.put(120, 2, sex, "sex")
        t.put(122, 30, card.id_number, "id_number")
        t.put(152, 6, card.nationality, "nationality")
        t.put(158, 30, card.name, "name")
        t.put(188, 16, _ymd(card.valid_from, "valid_from"), "valid_from")
        t.put(204, 16, valid_to, "valid_to")
        t.put(220, 16, _ymd(card.birth_date, "birth_date"), "birth_date")
        t.put(240, 8, card.issuer, "issuer (issuing office code)")
        t.put(248, 2, "I", "type flag")
    elif card.kind == "foreign_2023":
        t.put(0, 30, card.name, "name")
        t.put(30, 2, sex, "sex")
        t.put(32, 4, _count_text(card.issue_count, "issue_count"), "issue_count")
        t.put(36, 16, _ymd(card.birth_date, "birth_date"), "birth_date")
        if len(card.name_en) > 46:
            raise ValueError("name_en is longer than 46 characters")
        t.put(52, 70, card.name_en[:35], "name_en")
        t.put(220, 22, card.name_en[35:], "name_en")
        t.put(122, 36, card.id_number, "id_number")
        t.put(188, 16, _ymd(card.valid_from, "valid_from"), "valid_from")
        t.put(204, 16, valid_to, "valid_to")
        t.put(242, 6, card.nationality, "nationality")
        t.put(248, 2, "Y", "type flag")
    else:
        raise ValueError(f"unknown card kind {card.kind!r}")
    return t.encode()


def encode_read_response(
    card: IdCard, photo: bytes = b"", fingerprint: bytes | None = None
) -> bytes:
    """A complete read answer: 30 01 layout, or 30 10 when ``fingerprint`` is given."""
    text = encode_card_text(card)
    lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if fingerprint is None:
        return encode_response(SW_OK, lengths + text + bytes(photo))
    lengths += len(fingerprint).to_bytes(2, "big")
    return encode_response(SW_OK, lengths + text + bytes(photo) + bytes(fingerprint))
