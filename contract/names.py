"""Names in Chinese free text: found by the words around them and masked (issue 15, item 6).

A citizen's comment or case description, or a staff note, names people: themselves ("我叫王
小明", "姓名：李建国") and staff ("感谢刘小红老师", "3号窗口的张师傅"). Names have no pattern
of their own, so they are found only where the text says a name follows or precedes:

- **strong cues** — 我叫, 我的名字叫 / 名字叫 / 名叫, 本人叫, 姓名：/是/为: the next Han
  characters up to a word that cannot be part of a name, at most ``MAX_NAME`` of them,
  are a name whatever its first character;
- **我是 / 本人是** — a name only when it starts with a common surname (``SURNAMES``) and
  ends where the sentence goes on (punctuation, end, or a word like 想/来/的): "我是李明，"
  is a name, "我是王府井社区的" is not;
- **honorifics** — 先生, 女士, 小姐, 阿姨, 师傅, 老师, 大爷, 大妈, 同志 after a common
  surname and at most two more characters: "王小明老师" → "王**老师";
- **known names** — names the caller knows are in the text (the kiosk passes the card
  holder's own name while the visit has it): every occurrence, and the given name alone
  when it has two characters or more.

A name is masked as everywhere in the project (``contract.fields.mask_name``): its first
character kept, the rest stars — "王小明" → "王**". A surname alone ("王先生") is what the
masked form shows anyway and is left as written. Words that merely begin with a surname
(王府井, 张贴, 高效, 方便, 黄金周) are untouched: no cue, no name.

Names written without any cue ("刘小红很耐心") are not found: there is no pattern to
tell them from words. tests/contract/test_names.py measures precision and recall on a
labelled set of invented sentences.

Pure Python (the contract package): both the kiosk (before text leaves it) and the hall
(before text is stored) call ``scrub_names``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contract.fields import mask_name

MAX_NAME = 4
"""Characters of a name found after a strong cue (compound surname and two more)."""

COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 申屠 "
    "独孤 南宫 西门 百里 呼延 闻人 澹台 公冶 宗政 濮阳 太叔 万俟 赫连 淳于 单于 拓跋 东郭 "
    "左丘 公羊 梁丘 谷梁 司空 亓官 仲孙 第五 羊舌 微生 乐正 壤驷 漆雕 段干"
).split()

_SINGLE = (
    # the commonest ~400 single-character surnames (population order, roughly)
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕"
    "楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣"
    "晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉"
    "银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
SURNAMES: frozenset[str] = frozenset(_SINGLE) | frozenset(COMPOUND_SURNAMES)
"""The commonest Chinese surnames: about 400 single-character ones and the compound ones."""

HONORIFICS = ("先生", "女士", "小姐", "阿姨", "师傅", "老师", "大爷", "大妈", "同志")

# A character that cannot continue a name: particles, common verbs, pronouns and the like
# (a name written after 我叫 ends where the sentence goes on).
_STOP = set(
    "的了是在想要来去到和与跟也还就过今昨前这那请帮办因为所但可我你他她们啊呀吧呢吗哦嘛，。、；：！？"
    "说找问给让被把从向对及或很都已正刚再又会能需应该没不有"
)
_BEFORE = _STOP | set("谢感赞表扬位名")  # ends a word that comes before a name (谢谢, 感谢)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_STRONG_CUE = re.compile(
    r"(?:(?:我的名字叫|我的名字是|名字叫|名字是|我叫|名叫|本人叫)|姓名(?=[：:\s是为]))[：:\s是为]*"
)  # 姓名 only with a colon, space, 是 or 为 after it: "姓名栏" is a form's field
_WEAK_CUE = re.compile(r"(?:我是|本人是|我就是)")
_NOT_A_NAME = ("什么", "啥", "多少")


def _is_han(char: str) -> bool:
    return bool(_HAN.match(char))


def _surname_at(text: str, i: int) -> int:
    """Length of the surname starting at ``text[i]`` (2 compound, 1 single), 0 if none."""
    if text[i : i + 2] in SURNAMES:
        return 2
    return 1 if text[i : i + 1] in SURNAMES else 0


def _run(text: str, i: int, limit: int) -> int:
    """How many name-like characters start at ``i``: Han, not a stop word, at most limit."""
    n = 0
    while i + n < len(text) and n < limit and _is_han(text[i + n]) and text[i + n] not in _STOP:
        n += 1
    return n


def _boundary_after(text: str, end: int) -> bool:
    return end >= len(text) or not _is_han(text[end]) or text[end] in _STOP


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every name the cues point at."""
    found: list[tuple[int, int]] = []
    for cue in _STRONG_CUE.finditer(text):
        start = cue.end()
        if text.startswith(_NOT_A_NAME, start):
            continue
        n = _run(text, start, MAX_NAME)
        if n >= 2:  # one character after 我叫 is rarely a name ("我叫号")
            found.append((start, start + n))
    for cue in _WEAK_CUE.finditer(text):
        start = cue.end()
        surname = _surname_at(text, start)
        if not surname:
            continue
        # the longest name (surname + 1..2) that the sentence visibly goes on after
        for given in (2, 1):
            end = start + surname + given
            if _run(text, start, surname + given) == surname + given and _boundary_after(text, end):
                found.append((start, end))
                break
    for title in re.finditer("|".join(HONORIFICS), text):
        end = title.start()
        # readings that start with a surname and have at most two more characters: the
        # shortest that starts right after a stop word or the text's edge ("感谢王小明老师":
        # 王小明), else the longest ("联系李建国先生": 李建国, not 国)
        best = None
        for length in (1, 2, 3, 4):
            start = end - length
            if start < 0 or _run(text, start, length) != length:
                break
            surname = _surname_at(text, start)
            if not surname or surname > length or length - surname > 2:
                continue
            best = start
            if start == 0 or not _is_han(text[start - 1]) or text[start - 1] in _BEFORE:
                break
        if best is not None and end - best > _surname_at(text, best):
            found.append((best, end))
    return found


def _mask(name: str) -> str:
    return mask_name(name)


def scrub_names(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with the names its cues point at, and the ``known`` names, masked."""
    for name in sorted({n.strip() for n in known if n and len(n.strip()) >= 2}, key=len,
                       reverse=True):  # fmt: skip
        masked = _mask(name)
        text = re.sub(re.escape(name), lambda _m, m=masked: m, text, flags=re.IGNORECASE)
        if _is_han(name[0]) and len(name) >= 3:
            given = name[_surname_at(name, 0) or 1 :]
            if len(given) >= 2:
                text = text.replace(given, "*" * len(given))
    spans = sorted(_spans(text))
    out: list[str] = []
    at = 0
    for start, end in spans:
        if start < at:
            continue  # overlaps a name already masked
        out.append(text[at:start])
        out.append(_mask(text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out)
