"""Names in free text (contract/names.py): a labelled set of invented sentences, each with
the names it really contains; precision and recall are measured over the whole set and the
hall's own words (王府井, 张贴, 高效, 方便 …) must come through untouched."""

from __future__ import annotations

import json

from contract.names import SURNAMES, scrub_names
from contract.scrub import scrub_text

# (sentence, the names in it). Invented people only.
Labelled = list[tuple[str, tuple[str, ...]]]

# a cue points at the name: 我叫, 姓名, 我是 + surname, a title after it
CUED: Labelled = [
    ("我叫王小明，想办营业执照", ("王小明",)),
    ("你好，我叫李建国。", ("李建国",)),
    ("我的名字叫欧阳娜娜，上次材料没带齐", ("欧阳娜娜",)),
    ("姓名：赵丽华，电话已留", ("赵丽华",)),
    ("姓名是孙志强", ("孙志强",)),
    ("本人叫周文斌，反映排队太久", ("周文斌",)),
    ("名叫吴海燕的工作人员很耐心", ("吴海燕",)),
    ("我是李明，想问一下社保转移", ("李明",)),
    ("我是陈晓东来办税的", ("陈晓东",)),
    ("我是司马青云的家属", ("司马青云",)),
    ("感谢王小红老师耐心讲解", ("王小红",)),
    ("3号窗口的张伟师傅态度很好", ("张伟",)),
    ("刘建华先生帮我填了表", ("刘建华",)),
    ("请转告黄美玲女士材料已补齐", ("黄美玲",)),
    ("门口的郭秀英阿姨很热心", ("郭秀英",)),
    ("谢谢何志明同志", ("何志明",)),
    ("诸葛明亮老师讲得很清楚", ("诸葛明亮",)),
    ("林芳小姐解释得很清楚", ("林芳",)),
    ("我叫马骏", ("马骏",)),
    ("名字是徐静蕾，", ("徐静蕾",)),
    ("已联系李建国先生，明天回访", ("李建国",)),
    ("跟我对接的是邓丽老师", ("邓丽",)),
    ("我叫小芳", ("小芳",)),
    ("办完了，谢谢宋佳琪小姐", ("宋佳琪",)),
    ("我叫钱多多，来补办社保卡", ("钱多多",)),
]

# no cue: a person praised or blamed, pointed at by the words before or after the name
CUELESS: Labelled = [
    ("工作人员刘小红很耐心", ("刘小红",)),
    ("刘小红很耐心，一次就办好了", ("刘小红",)),
    ("今天窗口的张伟态度很差", ("张伟",)),
    ("3号窗口的陈静非常热情", ("陈静",)),
    ("赵磊说材料不全，让我明天再来", ("赵磊",)),
    ("被王芳拒绝了两次", ("王芳",)),
    ("跟李娟说了好几遍她都不听", ("李娟",)),
    ("感谢周海燕耐心讲解", ("周海燕",)),
    ("投诉杨帆，上班时间玩手机", ("杨帆",)),
    ("黄丽丽不理人，问三遍才回答", ("黄丽丽",)),
    ("马建国服务很周到", ("马建国",)),
    ("窗口的郑秀英让我跑了三趟", ("郑秀英",)),
    ("工作人员谢婷婷特别细心", ("谢婷婷",)),
    ("胡杰一直在看手机，不理群众", ("胡杰",)),
    ("是徐明帮我填的表", ("徐明",)),
    ("今天何丽萍态度很好", ("何丽萍",)),
    ("上次林志强说可以网上办", ("林志强",)),
    ("多亏了高翔，不然今天又白跑", ("高翔",)),
    ("罗晓东办事很利索", ("罗晓东",)),
    ("梁静的服务态度非常好", ("梁静",)),
    ("叫宋文斌的那个工作人员很凶", ("宋文斌",)),
    ("韩梅梅帮我复印了材料", ("韩梅梅",)),
    ("唐亮讲得很清楚", ("唐亮",)),
    ("冯丽华总是爱理不理的", ("冯丽华",)),
    ("曹斌辛苦了！", ("曹斌",)),
    ("邓超不在工位上，等了半小时", ("邓超",)),
    ("窗口的彭丽解释得很清楚", ("彭丽",)),
    ("希望领导表扬蒋晓燕", ("蒋晓燕",)),
    ("和沈佳一起来办的，她也很满意", ("沈佳",)),
    ("给韦小宝打了电话没人接", ("韦小宝",)),
    ("崔浩然非常负责", ("崔浩然",)),
    ("董丽娜把我的材料弄丢了", ("董丽娜",)),
    ("陆明说要去三楼办", ("陆明",)),
    ("那位姜红对老人很耐心", ("姜红",)),
    ("范志刚态度恶劣，大声吼人", ("范志刚",)),
    ("石磊很专业，几分钟就办完", ("石磊",)),
    ("今天袁媛不在吗？", ("袁媛",)),
    ("谭静一直很耐心", ("谭静",)),
    ("廖凯让我先取号再等", ("廖凯",)),
    ("工作人员熊伟说系统坏了", ("熊伟",)),
    ("找贾敏办的，很快", ("贾敏",)),
    ("昨天邱丽丽说今天能拿证", ("邱丽丽",)),
    ("秦海洋服务热情", ("秦海洋",)),
    ("欧阳明辉态度很好", ("欧阳明辉",)),
    ("办税窗口的夏雨婷特别耐心，点赞", ("夏雨婷",)),
    ("朱晓梅和孟凡两个人都很好", ("朱晓梅", "孟凡")),
    ("表扬一下吴磊，办事效率高", ("吴磊",)),  # 一下 is no sign of a person: missed
    ("找了孙浩半天也没找到人", ("孙浩",)),  # 找了 … 半天: missed
    ("今早张伟来过电话", ("张伟",)),  # no word around it says a person: missed
    ("窗口的刘翀很好", ("刘翀",)),  # 翀 is not among the common given-name characters
    # written after the rules were set, and kept as they came out
    ("感谢宋晓燕帮忙", ("宋晓燕",)),
    ("曾志伟态度很不好", ("曾志伟",)),
    ("窗口的卢丽很热心", ("卢丽",)),
    ("今天蔡明不在岗", ("蔡明",)),
    ("被付强骂了一顿", ("付强",)),
    ("程丽娟非常耐心", ("程丽娟",)),
    ("上午苏婷给我办的，很快", ("苏婷",)),
    ("跟任建华说了也没用", ("任建华",)),
    ("投诉叶青，让我等了一小时", ("叶青",)),
    ("工作人员杜鹏说系统维护", ("杜鹏",)),
]

# no name to mask: a surname and a title only (the masked form shows the surname anyway),
# and a hall's comments with words that begin with a surname, and cues with no name after
NO_NAME: Labelled = [
    ("王先生态度很好", ()),
    ("李老师讲得清楚，张师傅也很热心", ()),
    ("很感谢窗口的刘女士", ()),
    ("我们大厅王老师很好", ()),
    ("很高兴王老师帮忙", ()),
    ("小王说过可以办", ()),
    ("老李态度很好", ()),
    ("窗口的王姐很热心", ()),
    ("王府井那边的大厅也能办吗", ()),
    ("大厅里张贴的通知看不清", ()),
    ("办事很高效，很方便", ()),
    ("黄金周期间是否正常上班", ()),
    ("高新区的营业执照在这里办吗", ()),
    ("希望多安排几位老师", ()),
    ("窗口的老师都很耐心", ()),
    ("我是来办营业执照的", ()),
    ("我是外地户口能办吗", ()),
    ("我是王府井社区的居民", ()),
    ("我是第一次来，流程不清楚", ()),
    ("名字叫什么都不知道", ()),
    ("申请人姓名栏不会填", ()),
    ("方便的话请多开一个窗口", ()),
    ("周末能不能开放", ()),
    ("江北区的不动产登记在几号窗口", ()),
    ("金额填错了怎么办", ()),
    ("叫号太慢了，等了一个小时", ()),
    ("这位师傅说要去三楼", ()),
    ("石材公司的执照年检", ()),
    ("程序太复杂，白跑了一趟", ()),
    ("全程网办还是要来现场", ()),
    ("高兴地说老师很好", ()),
    ("我是外地来的", ()),
    ("我是本地人，姓名栏填错了", ()),
    ("明天还要再来一趟，太麻烦了", ()),
    ("周末能不能多开几个窗口", ()),
    ("余额查询在哪个窗口", ()),
    ("安全通道被堵住了", ()),
    ("马上就办好了，很满意", ()),
    ("常常要排很久的队", ()),
    ("许多老人不会用自助机", ()),
    ("何时能拿到证？", ()),
    ("向来都是这么办的吗", ()),
    ("毛病很多，系统老是卡", ()),
    ("白天上班没时间来", ()),
    ("江边那个分中心也能办吗", ()),
    ("于是我又排了一次队", ()),
    ("李子园社区的居民来办低保", ()),
    ("孔子学院的证明在哪开", ()),
    ("工作人员高效又热情", ()),
    ("窗口的安排不合理", ()),
    ("被安排到了另一个窗口", ()),
    ("让明天再来，白跑一趟", ()),
    ("工作人员明显不耐烦", ()),
    ("窗口的文明用语做得好", ()),
    ("工作人员全程陪同办理", ()),
    ("大厅很安静，环境很好", ()),
    ("卫生很干净，厕所也不错", ()),
    ("沙发很舒服，等候不累", ()),
    ("温馨提示写得很清楚", ()),
    ("材料齐全很快就办完了", ()),
    ("国庆期间上班吗", ()),
    ("全国通办太方便了", ()),
    ("感谢政府，感谢国家", ()),
    ("感谢党和政府", ()),
    ("平安夜也不关门吗", ()),
    ("明白了，谢谢", ()),
    ("说明书很详细", ()),
    ("阳光很好，大厅很亮", ()),
    ("房东的证明要不要公证", ()),
    ("公安的窗口在二楼", ()),
    ("高峰期人太多了", ()),
    ("时间太长了，等了两小时", ()),
    ("相信政府会改进", ()),
    ("居民身份证补办要多久", ()),
    ("农民工工资拖欠找谁", ()),
    ("幸福社区的证明也要带", ()),
    ("智慧大厅很先进", ()),
    ("找不到打印机在哪", ()),
    ("给老人让座的志愿者很热心", ()),
    ("和蔼可亲的工作人员", ()),
    ("跟着指示牌走就行", ()),
    ("被告知要回社区开证明", ()),
    ("工作人员向我解释了半天", ()),
    ("工作人员马上处理了", ()),
    ("工作人员解答很耐心", ()),
    ("工作人员高度负责", ()),
    ("工作人员冷冰冰的", ()),
    ("工作人员严格按规定办", ()),
    ("窗口的明星员工名不虚传", ()),
    ("申请材料太多了", ()),
    ("查询结果很快就出来了", ()),
    ("万一材料不全怎么办", ()),
    ("平时人不多，今天特别多", ()),
    ("成功办理了，谢谢", ()),
    ("车位太少，停车难", ()),
    ("印象很好，下次还来", ()),
    ("费用怎么算不清楚", ()),
    ("盖章很快，不用等", ()),
    ("关于社保转移的问题没人解答", ()),
    ("宁可多跑一趟也要办好", ()),
    ("容易出错的地方能提醒一下吗", ()),
    ("简直太方便了", ()),
    ("海报上的电话打不通", ()),
    ("公平公正，很好", ()),
    ("明天早上几点开门", ()),
    ("今天高兴，一次办成", ()),
    ("花了一上午才办完", ()),
    ("路上堵车来晚了", ()),
    ("管理很规范", ()),
    ("华丽的装修没必要", ()),
    ("国家政策解读很清楚", ()),
    ("全新的自助机很好用", ()),
    ("文件太多看不懂", ()),
    ("信息填错了能改吗", ()),
    ("投诉江宁区的窗口", ()),
    ("跟王府井那边说的不一样", ()),
    ("被高新区退回了材料", ()),
    ("窗口的电脑太旧了", ()),
    ("工作人员都很好", ()),
    ("感谢金华分中心的帮助", ()),
    ("明明说好今天能拿", ()),
    ("向阳街道的证明在哪开", ()),
    ("安静的环境让人舒服", ()),
    # written after the rules were set, and kept as they came out
    ("办证的流程贴在墙上就好了", ()),
    ("希望增加周六上午的服务时间", ()),
    ("自助机的屏幕太灵敏了", ()),
    ("老人家看不清字，希望字大一点", ()),
    ("社保卡激活要去银行吗", ()),
    ("公积金提取要带什么", ()),
    ("为什么要交两次材料", ()),
    ("江南分中心比这里快", ()),
    ("服务态度有待提高", ()),
    ("排队叫号系统经常出错", ()),
    ("高龄津贴怎么申请", ()),
    ("孙子的户口能不能迁过来", ()),
    ("找工作人员找了半天", ()),
    ("让群众少跑腿，点赞", ()),
    ("被要求补交材料三次", ()),
    ("给个好评，效率高", ()),
    ("跟上次来相比快多了", ()),
    ("和以前比方便多了", ()),
    ("窗口的同志很辛苦", ()),
    ("感谢党的好政策", ()),
    ("工作人员非常和蔼", ()),
    ("工作人员很专业，解释得明明白白", ()),
    ("黄色的指示牌很显眼", ()),
    ("白色的表格填完交到哪里", ()),
    ("金融服务窗口在哪", ()),
    ("石头路不好走，门口要修", ()),
    ("龙华区的人也能来办吗", ()),
    ("安排得很合理", ()),
    ("康复中心的证明有用吗", ()),
    ("花园社区的居委会盖章", ()),
    ("平均等了四十分钟", ()),
    ("明年还会涨价吗", ()),
    ("宁愿网上办也不想排队", ()),
    ("周边停车位不够", ()),
    ("严重超时，投诉", ()),
    ("余下的材料明天补", ()),
    ("雷雨天也开门吗", ()),
    ("秦淮区的可以办吗", ()),
    ("万能的大厅，什么都能办", ()),
    ("邵阳人在这里能办吗", ()),
]

LABELLED: Labelled = CUED + CUELESS + NO_NAME


def _masked_spans(original: str, scrubbed: str) -> list[str]:
    """The original text of every masked run: a kept first character then stars."""
    assert len(original) == len(scrubbed)
    spans, i = [], 0
    while i < len(original):
        if scrubbed[i] == "*" and original[i] != "*":
            start = i - 1  # the kept first character
            while i < len(original) and scrubbed[i] == "*":
                i += 1
            spans.append(original[start:i])
        else:
            i += 1
    return spans


def _figures(labelled: Labelled = LABELLED) -> dict[str, float | int]:
    true_positive = false_positive = false_negative = 0
    for sentence, names in labelled:
        found = _masked_spans(sentence, scrub_names(sentence))
        true_positive += sum(1 for f in found if f in names)
        false_positive += sum(1 for f in found if f not in names)
        false_negative += sum(1 for n in names if n not in found)
    return {
        "sentences": len(labelled),
        "names": sum(len(n) for _, n in labelled),
        "true_positive": true_positive,
        "false_positive": false_positive,
        "false_negative": false_negative,
        "precision": round(true_positive / max(1, true_positive + false_positive), 3),
        "recall": round(true_positive / max(1, true_positive + false_negative), 3),
    }


def test_precision_and_recall_on_the_labelled_set() -> None:
    figures = _figures()
    print("name scrubbing:", json.dumps(figures))
    print("  names with no cue:", json.dumps(_figures(CUELESS)))
    no_name = _figures(NO_NAME)
    print("  sentences with no name:", no_name["sentences"], "masked:", no_name["false_positive"])
    assert figures["precision"] >= 0.95, figures
    assert figures["recall"] >= 0.9, figures


def test_the_labelled_set_is_big_enough_to_mean_something() -> None:
    names = [n for _, ns in LABELLED for n in ns]
    cueless = [n for _, ns in CUELESS for n in ns]
    assert len(LABELLED) >= 150 and len(names) >= 60 and len(cueless) >= len(names) / 2
    assert len(set(s for s, _ in LABELLED)) == len(LABELLED)  # no sentence twice
    # the sentences with no name: a hall's comments, most with words that begin with a surname
    with_surname_words = [s for s, _ in NO_NAME if any(c in SURNAMES for c in s)]
    assert len(with_surname_words) >= 60


# the known limits, kept in the set so the figures stay honest
KNOWN_LIMITS = {
    "朱晓梅和孟凡两个人都很好",
    "表扬一下吴磊，办事效率高",
    "找了孙浩半天也没找到人",
    "今早张伟来过电话",
    "窗口的刘翀很好",
}


KNOWN_FALSE_POSITIVES = {"雷雨天也开门吗"}  # 雷 a surname, 雨天 given-name characters


def test_every_labelled_name_is_masked_and_hall_words_stay() -> None:
    for sentence, names in LABELLED:
        if sentence in KNOWN_FALSE_POSITIVES:
            assert scrub_names(sentence) != sentence, sentence  # still masked: say so
            continue
        scrubbed = scrub_names(sentence)
        if sentence in KNOWN_LIMITS:
            # still missed (when one is caught, take it off the list)
            assert any(name in scrubbed for name in names), (sentence, scrubbed)
            continue
        for name in names:
            assert name not in scrubbed, (sentence, scrubbed)
            assert name[0] + "*" * (len(name) - 1) in scrubbed, (sentence, scrubbed)
        if not names:
            assert scrubbed == sentence, (sentence, scrubbed)


def test_the_card_holders_own_name_is_masked_without_any_cue() -> None:
    text = "上官婉清的材料上次漏了一页，婉清下午再来，Zhang Wei 的表也要改"
    scrubbed = scrub_names(text, known=["上官婉清", "Zhang Wei"])
    assert "上官婉清" not in scrubbed and "婉清" not in scrubbed
    assert "上***的材料" in scrubbed  # mask_name: the first character kept
    assert "zhang wei" not in scrubbed.lower()
    assert "的材料上次漏了一页" in scrubbed


def test_the_hall_scrubber_masks_names_with_the_numbers() -> None:
    scrubbed = scrub_text("我叫王小明，电话 138 1234 5678")
    assert scrubbed == "我叫王**，电话 138****5678"


def test_the_surname_list_has_the_common_and_the_compound_surnames() -> None:
    assert len(SURNAMES) >= 400
    assert {"王", "李", "张", "刘", "陈", "欧阳", "司马", "诸葛", "上官"} <= SURNAMES
