"""Words for the core's problem codes: what happened and what to do next (translated)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from kiosk.visit import Message, Problem
from ui.language import local_pair


def _t(text: str) -> str:
    return QCoreApplication.translate("Messages", text)


def invalid_id_text(code: str) -> str:
    texts = {
        "length": QCoreApplication.translate("Messages", "身份证号应为18位，请核对后重新输入。"),
        "chars": QCoreApplication.translate(
            "Messages", "身份证号前17位是数字，最后一位是数字或X，请核对。"
        ),
        "date": QCoreApplication.translate("Messages", "号码中的出生日期不对，请逐位核对。"),
        "check": QCoreApplication.translate(
            "Messages", "号码最后一位（校验位）对不上，请逐位核对，或直接刷身份证。"
        ),
    }
    return texts.get(code, texts["check"])


def card_error_text(code: str, device_text: str = "") -> str:
    """A card reader's failure by its code (devices/errors.py ``error_code``); a code the
    screen has no words of its own for shows the device's words (``device_text``)."""
    if code == "card_auth":
        return QCoreApplication.translate(
            "Messages", "这张证件没有通过验证。请到服务台，工作人员会帮您办理。"
        )
    if code == "unknown_card":
        return QCoreApplication.translate(
            "Messages", "读卡器认不出这张证件。请输入证件号码，或到服务台。"
        )
    if code in ("sam_fault", "command_rejected", "frame"):
        return QCoreApplication.translate(
            "Messages", "读卡器暂时不能用，已通知工作人员。请改为输入身份证号。"
        )
    if code not in ("card_read", "card", "no_card") and device_text:
        return device_text
    return QCoreApplication.translate("Messages", "没有读出身份证。请把身份证放平，重新放一次。")


def message_text(message: Message, language: str = "zh") -> str:
    p = message.problem
    if p is Problem.INVALID_ID:
        return invalid_id_text(message.detail)
    if p is Problem.HALL_DOWN and message.detail == "reserve_exhausted":
        return QCoreApplication.translate(
            "Messages",
            "暂时连不上叫号系统，本机的备用号码也已用完，没有取到号。"
            "请到服务台，工作人员会帮您取号（已通知工作人员）。",
        )
    if p is Problem.HALL_DOWN and message.detail in ("query", "visits"):
        return QCoreApplication.translate(
            "Messages",
            "暂时连不上叫号系统，离线时查不到办件进度和今天的号票。请稍后再试，或到服务台咨询。",
        )
    if p is Problem.HALL_DOWN:
        return QCoreApplication.translate(
            "Messages",
            "暂时连不上叫号系统，没有取到号。请点“重试”，或到服务台请工作人员帮您取号。",
        )
    if p is Problem.HALL_REJECTED:
        return QCoreApplication.translate(
            "Messages", "叫号系统没有受理这次取号。请到服务台请工作人员帮您办理。"
        )
    if p is Problem.IDENTITY_REQUIRED:
        return QCoreApplication.translate(
            "Messages", "这个事项需要登记身份，请刷身份证或输入身份证号。"
        )
    if p is Problem.CARD:
        device_text = local_pair((message.text_zh, message.text_en), language)
        return card_error_text(message.detail, device_text)
    if p is Problem.TICKET_NOT_FOUND:
        if message.detail == "not_served":
            return QCoreApplication.translate(
                "Messages", "这个号码还没有办理完，办完后再来评价吧。"
            )
        return QCoreApplication.translate(
            "Messages", "没有找到今天的这个号码，请核对号票上的号码（字母加数字）。"
        )
    if p is Problem.ALREADY_RATED:
        return QCoreApplication.translate(
            "Messages", "这个号码已经评价过了，每次办事评价一次。谢谢您！"
        )
    if p is Problem.REASON_NEEDED:
        return QCoreApplication.translate("Messages", "请至少选一项不满意的原因，我们好改进。")
    if p is Problem.CASE_INVALID:
        texts = {
            "item": QCoreApplication.translate(
                "Messages", "请先选择没有办成的事项，或点“事项不在目录中”。"
            ),
            "condition": QCoreApplication.translate("Messages", "请至少选择一项受理条件。"),
            "category": QCoreApplication.translate("Messages", "请至少选择一个问题类别。"),
            "phone": QCoreApplication.translate("Messages", "手机号应为11位，以1开头，请核对。"),
            "consent": QCoreApplication.translate("Messages", "请阅读并同意手机号的使用说明。"),
        }
        return texts.get(message.detail, texts["condition"])
    if p is Problem.CASE_RATING:
        ratings = {
            "tail_format": QCoreApplication.translate("Messages", "请输入手机号的后4位。"),
            "tail_mismatch": QCoreApplication.translate(
                "Messages", "手机号后四位不对，请核对回访电话。"
            ),
            "too_many_tries": QCoreApplication.translate(
                "Messages", "尝试次数过多，请到办不成事反映窗口评价。"
            ),
            "already_rated": QCoreApplication.translate(
                "Messages", "这件反映已经评价过了，谢谢您！"
            ),
            "not_closed": QCoreApplication.translate("Messages", "反映办结后才能评价办理情况。"),
            "rating_closed": QCoreApplication.translate(
                "Messages", "这件反映的评价期已过，谢谢您的关注！"
            ),
        }
        return ratings.get(
            message.detail,
            QCoreApplication.translate("Messages", "这件反映无法在本机评价，请到窗口办理。"),
        )
    if p is Problem.CASE_NOT_FOUND:
        return QCoreApplication.translate("Messages", "没有找到这个编号，请核对回执上的编号。")
    if p is Problem.PRINTER:
        return QCoreApplication.translate(
            "Messages",
            "号票没有打印出来，但您的号码已经取好：请记下屏幕上的号码，或用手机拍下二维码。工作人员已收到提醒。",
        )
    if p is Problem.SMS_INVALID:
        if message.detail == "prefix":
            return QCoreApplication.translate(
                "Messages", "这不是手机号码：手机号以1开头，第二位是3到9。请核对后重新输入。"
            )
        return QCoreApplication.translate("Messages", "手机号码应为11位数字，请核对后重新输入。")
    if p is Problem.SMS_FAILED:
        return QCoreApplication.translate(
            "Messages", "短信提醒没有登记上，请留意大厅屏幕和广播叫号。"
        )
    if p is Problem.NOTICE_PRINTER:
        return QCoreApplication.translate(
            "Messages", "告知单没有打印出来。您可以用手机拍下这一页，或继续取号。"
        )
    return QCoreApplication.translate("Messages", "出了点问题，请到服务台请工作人员帮忙。")
