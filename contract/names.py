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
- **no cue around them** — a person praised or blamed ("刘小红很耐心", "今天窗口的张伟态度
  很差", "被王芳拒绝了"): a common surname and one or two given-name characters
  (``GIVEN_CHARS``, about 330 of the commonest) where the words before them point at a
  person (找, 让, 被, 跟, 窗口的, 工作人员, 感谢, 投诉 …: ``_PERSON_BEFORE``) or the words
  after them say something about one (很, 非常, 态度, 服务, 说, 不理, 让我 …:
  ``_PERSON_AFTER``), starting where a word can start (the text's edge, punctuation, 的,
  是, a time such as 今天, or those words before);
- **known names** — names the caller knows are in the text (the kiosk passes the card
  holder's own name while the visit has it): every occurrence, and the given name alone
  when it has two characters or more.

A name is masked as everywhere in the project (``contract.fields.mask_name``): its first
character kept, the rest stars — "王小明" → "王**". A surname alone ("王先生") is what the
masked form shows anyway and is left as written. Words that merely begin with a surname
are untouched: most go on with a character no given name uses (高效, 方便, 周末, 马上,
余额, 王府井, 张贴), and the commonest of the others (明天, 高兴, 文明, 黄金, 全国 …) are
listed in ``COMMON_WORDS``.

Not found: a name with no cue and none of those words around it ("今早张伟来过电话",
"表扬一下吴磊"), and a given name with a character outside ``GIVEN_CHARS`` ("刘翀很好").
tests/contract/test_names.py measures precision and recall on a labelled set of invented
sentences (its figures are in the README).

Pure Python (the contract package). ``contract.scrub.scrub_text`` calls it with the number
masks: the kiosk before text leaves it, the hall server before text is stored.
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

GIVEN_CHARS: frozenset[str] = frozenset(
    # the commonest characters of given names, hand-picked; characters that mostly end a
    # word (子 家 便 效 末 额 全 序 …) are left out on purpose
    "东丹丽义乐书云亮仁伊伟佳依俊信倩健光兰兴兵军冬冰凌凡凤凯刚利力勇勋勤华卓博卫友发哲善喜嘉"
    "国坚垚天妍妙妮姗姣威娅娇娜娟娣娥娴婉婕婧婵婷媚媛嫣嫦孝学宁宇安宏宙宝寿山岩岭峰川巧帆平庆康"
    "建弘强彤彦彩彪彬德志忠思怡恬悦惠慧懿成才振敏敬文斌斐新旭昊昌明昕星春晋晓晖晗晟晨晴晶曦月杉"
    "杨杰松林枫柏柯柳树桂桐梅梓梦森楠榕欢欣武毅民江河泓波泰泽洁洋洪浩海涛涵淇淑淼清湘源澄瀚炜烨"
    "焕焱然煜熙燕爱玉玮玲珊珍珏珠珺琛琦琨琪琳琴琼瑛瑜瑞瑶瑾璇璋璐生盛真睿石磊礼祥祺禄福秀秋立笑"
    "筱素紫红维美翔翠翼耀聪腾航良艳芊芙芝芬芮芳芷芸苑若英茜茹荣荷莉莎莲莹菁菊菡菲萌萍萱蓉蓓蓝蓬"
    "蔓蔚蕊蕙蕾薇虎虹诗诚诺豪贞贤贵超越跃轩辉辰达远金鑫铭阳隆雁雄雅雨雪雷震霖霜霞露青静韵顺颖风"
    "飞香驰骏鸿鹏鹤麟龙"
)
"""Characters common in given names: a name found with no cue must be made of them."""

_GIVEN_FIRST = frozenset("小子亚永少之") | GIVEN_CHARS  # 刘小红, 李子涵: first of two only

COMMON_WORDS: frozenset[str] = frozenset(
    # Words that begin with a surname and go on with a given-name character: the commonest
    # of them in Rime's essay.txt word-frequency list (count >= 1000, simplified), the
    # names of famous people taken out, and a few of the hall's own words.
    """
    明天 相信 全国 幸福 居然 农民 那天 韩国 成立 高兴 阳光 权利 明星 白天 居民 祝福 来源 全新
    黄金 文明 智慧 夏天 权力 元素 沙发 文学 卫生 公平 安静 宁波 平静 高达 和平 明明 国庆 时光
    公民 祖国 权威 米兰 海洋 冷静 全力 凌晨 平安 智力 欧美 卫星 华丽 沈阳 金山 高峰 平凡 浦东
    公安 南昌 黄河 国民 高清 卓越 鲜明 南宁 桂林 吉林 海军 相爱 宁静 简洁 全文 房东 金刚 原文
    全民 明月 师生 黎明 南海 高贵 强力 明亮 索爱 官兵 关爱 修建 平民 国美 黄山 白云 南山 蓝天
    富豪 吉利 华东 花生 雷达 银河 包月 王国 封建 战友 相思 武林 吉祥 来信 唐山 苏宁 阴阳 揭露
    安利 沙龙 成天 江山 明珠 高明 高山 富贵 房源 金华 陆军 黄岩 柏林 揭晓 鲜艳 高雅 强国 荣耀
    元宝 安宁 朴素 花香 全天 南航 高新 国航 武力 武昌 文书 平平 辛勤 冷清 湛江 白金 计生 丛林
    丛书 封信 柯达 海信 国安 华山 南阳 公文 白发 查明 蓝光 应力 哈利 公然 全然 南国 高超 明清
    白雪 江海 斯文 安然 金星 平生 伊利 黄石 常德 冶金 衡阳 冷笑 国学 南美 全书 马达 阴天 申明
    银川 明媚 金发 费力 浦发 战国 乐山 高盛 满天 方才 印发 全美 鲜红 史诗 安庆 苏丹 时才 江河
    岳阳 安康 母爱 赫然 国立 文静 梅雨 海风 车友 成才 乌云 金龙 晋江 白虎 楼宇 国泰 马力 满月
    万达 党建 白玉 敬礼 毛发 杨柳 智利 林立 范文 龙华 薄荷 玉石 强强 阿德 丰盛 黄龙 安阳 江东
    海宁 廉洁 龙珠 高丽 马虎 杨梅 夏新 丁香 毛利 刘海 全军 云云 富民 华文 钟爱 海天 江宁 揭发
    国宝 许诺 向阳 华美
    冷冰
    """.split()
)
"""Common words that look like a surname and a given name; never masked without a cue."""

# Words before a name that point at a person; words after one that say something about them.
_PERSON_BEFORE = re.compile(
    r"(?:找|让|叫|被|给|和|跟|与|窗口的?|柜台的?|工作人员|员工|办事员|经办人|接待员|导办员|"
    r"帮办员|感谢|谢谢|多谢|多亏了?|表扬|投诉|举报|批评|点赞|的是|这位|那位|这个|那个)$"
)
_PERSON_AFTER = tuple(
    """
    很 非常 特别 挺 真 太 态度 服务 办事 办理 处理 接待 不理 爱理不理 让我 叫我 帮我 帮忙
    给我 对我 跟我 和我 把 说 讲 告诉 解释 答复 回答 耐心 热情 认真 负责 细心 专业 主动
    一直 总是 老是 不 没 也 都 就 又 还 和 一起 辛苦 拒绝 推 骂 吼 凶 玩手机 业务 效率
    的服务 的态度 是个 人很 人挺
    """.split()
)
# where a word starts without any other sign: after these, or a time such as 今天
_WORD_START = re.compile(r"(?:[的了是也还就又都而但]|今天|昨天|前天|上午|下午|早上|中午|晚上|"
                         r"刚才|上次|那天|当时)$")  # fmt: skip

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
            if text[start : start + surname + 1] in COMMON_WORDS:
                continue  # "很高兴王老师": 高兴 is no name
            best = start
            if start == 0 or not _is_han(text[start - 1]) or text[start - 1] in _BEFORE:
                break
        if best is not None and end - best > _surname_at(text, best):
            found.append((best, end))
    return found + _cueless(text)


def _cueless(text: str) -> list[tuple[int, int]]:
    """Names with no cue: a surname and given-name characters in a person's context."""
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        surname = _surname_at(text, i)
        if not surname or text[i] in _STOP:
            i += 1
            continue
        before = text[max(0, i - 5) : i]
        person_before = bool(_PERSON_BEFORE.search(before))
        starts = i == 0 or not _is_han(text[i - 1]) or person_before or _WORD_START.search(before)
        span = _cueless_at(text, i, surname, person_before) if starts else None
        if span is None:
            i += 1
            continue
        found.append(span)
        i = span[1]
    return found


def _cueless_at(text: str, i: int, surname: int, person_before: bool) -> tuple[int, int] | None:
    """The name (surname + 2 or 1 given characters) at ``i`` if the words around point at one."""
    for given in (2, 1):
        end = i + surname + given
        chars = text[i + surname : end]
        if len(chars) < given or not all(c in GIVEN_CHARS for c in chars[1:]):
            continue
        if chars[0] not in (_GIVEN_FIRST if given == 2 else GIVEN_CHARS) or chars[0] == text[i]:
            continue  # 国国 (共和国国家) is no name
        if text[i : i + surname + 1] in COMMON_WORDS or text[i:end] in COMMON_WORDS:
            continue
        if text.startswith(_PERSON_AFTER, end):
            return (i, end)
        # after 找/被/跟/窗口的 …: a full three-character name, or one the sentence goes on after
        if person_before and (given == 2 or _boundary_after(text, end)):
            return (i, end)
    return None


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
