"""The staff panel's pages: one per device or subject. Each page shows the current values,
tests its device through the core (blocking work on the runner, never the GUI thread) and
says what it would change (``changes()``); the panel saves and applies them together.

Chinese first, through ``tr()`` like every screen; personal data is never shown unmasked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from devices.errors import DeviceTimeout
from kiosk import staff
from kiosk.app import KioskCore
from kiosk.settings import BAUD_RATES
from ui.preview import CameraPreview
from ui.widgets import button, label


def _combo(name: str, items: list[str], current: str, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setEditable(editable)
    for item in items:
        box.addItem(item)
    if current not in items:
        box.addItem(current)
    box.setCurrentText(current)
    return box


def _line(name: str, text: str) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    return edit


def _spin(name: str, low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setValue(value)
    return spin


def _check(name: str, text: str, on: bool) -> QCheckBox:
    box = QCheckBox(text)
    box.setObjectName(name)
    box.setChecked(on)
    return box


TEST_READ_S = 30.0  # a test read waits this long for a card


class Page(QWidget):
    """A form on top, test buttons and a result line below."""

    def __init__(self, core: KioskCore) -> None:
        super().__init__()
        self.core = core
        self.col = QVBoxLayout(self)
        self.form = QFormLayout()
        self.col.addLayout(self.form)
        self._retired = False

    def changes(self) -> dict[str, dict[str, Any]]:
        return {}

    def refresh(self) -> None:
        """Show the current state (called when the page is shown and after a save)."""

    def run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def deliver(result: Any) -> None:
            if not self._retired:  # the page was rebuilt after a save meanwhile
                done(result)

        self.core.runner.submit(work, deliver)

    def retire(self) -> None:
        """The page is being replaced: late results and card reads must not reach it."""
        self._retired = True

    @staticmethod
    def _diff(section: str, current: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        return {section: changed} if changed else {}


class ReaderPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        c = core.settings.card_reader
        self.backend = _combo("reader_backend", ["simulator", "virtual", "serial"], c.backend)
        self.url = _combo("reader_url", [], c.url, editable=True)
        self.baud = _combo("reader_baud", [str(b) for b in BAUD_RATES], str(c.baud), True)
        self.form.addRow(self.tr("类型"), self.backend)
        self.form.addRow(self.tr("串口"), self.url)
        self.form.addRow(self.tr("波特率"), self.baud)
        self.ports = label("", role="muted", name="reader_ports")
        self.col.addWidget(self.ports)
        self.col.addWidget(button(self.tr("刷新串口列表"), self.list_ports, "secondary",
                                  "reader_refresh"))  # fmt: skip
        self.col.addWidget(button(self.tr("测试读卡"), self.test_read, name="reader_test"))
        self.col.addWidget(button(self.tr("检测 SAM 模块"), self.test_sam, name="reader_sam"))
        self.status = label("", name="reader_status")
        self.col.addWidget(self.status)
        self.col.addStretch(1)
        self._waiting = False
        # gives up on a test read with no card; a card in time stops it, so the timeout can
        # never overwrite a successful read
        self.read_timeout = QTimer(self)
        self.read_timeout.setSingleShot(True)
        self.read_timeout.timeout.connect(self._no_card)
        self._stop_watching: Callable[[], None] | None = None

    def changes(self) -> dict[str, dict[str, Any]]:
        text = self.baud.currentText().strip()
        baud: Any = int(text) if text.isdigit() else text  # the loader explains a bad value
        values = {"backend": self.backend.currentText(), "url": self.url.currentText().strip(),
                  "baud": baud}  # fmt: skip
        return self._diff("card_reader", self.core.settings.card_reader, values)

    def refresh(self) -> None:
        state, detail = self.core.card_reader_status()
        self.status.setText(self.tr("状态：{state} {detail}").format(state=state, detail=detail))
        self.list_ports()

    def list_ports(self) -> None:
        ports = staff.serial_ports()
        current = self.url.currentText()
        self.url.clear()
        lines = []
        for port in ports:
            self.url.addItem(port.device)
            if port.hwgrep:
                self.url.addItem(port.hwgrep)  # pins the USB adapter whatever its tty name
            vid = f" USB {port.vid_pid}" if port.vid_pid else ""
            lines.append(f"{port.device} — {port.description}{vid}")
        self.url.setCurrentText(current)
        self.ports.setText("\n".join(lines) or self.tr("没有找到串口"))

    def test_read(self) -> None:
        """Show the next card placed on the reader, masked."""
        if self._stop_watching is not None:
            self._stop_watching()  # the reader may have been replaced meanwhile
        self._stop_watching = self.core.watch_cards(self._on_card)
        self._waiting = True
        self.status.setText(self.tr("请把身份证放到读卡器上…"))
        self.read_timeout.start(round(TEST_READ_S * 1000))  # restarts an earlier test read's

    def _no_card(self) -> None:
        if self._waiting and not self._retired:
            self._waiting = False
            self.status.setText(
                self.tr("{s} 秒内没有读到卡：请检查读卡器的连接和设置，或换一张卡再试。").format(
                    s=round(TEST_READ_S)
                )
            )

    def _on_card(self, card: Any) -> None:  # the reader's thread
        self.core.runner.post(lambda: self._card(card))

    def retire(self) -> None:
        super().retire()
        self.read_timeout.stop()
        stop, self._stop_watching = self._stop_watching, None
        if stop is not None:
            stop()

    def _card(self, card: Any) -> None:
        if not self._waiting or self._retired:
            return
        self._waiting = False
        self.read_timeout.stop()
        s = staff.card_summary(card)
        self.status.setText(
            self.tr("读卡成功：{name} {id}（{kind}）").format(
                name=s["name"], id=s["id"], kind=s["kind"]
            )
        )

    def test_sam(self) -> None:
        core = self.core
        self.status.setText(self.tr("正在检测…"))
        self.run(core.probe_card_reader, self._sam_done)

    def _sam_done(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.status.setText(self.tr("检测失败：{e}").format(e=result))
        else:
            self.status.setText(
                self.tr("SAM 状态：{status}；SAM 编号：{id}").format(
                    status=result.status, id=result.sam_id or "-"
                )
            )


class PrinterPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        p = core.settings.printer
        self.connection = _combo("printer_connection", ["simulator", "virtual"], p.connection,
                                 editable=True)  # fmt: skip
        self.width = _combo("printer_width", ["58", "80"], str(p.paper_width_mm))
        self.form.addRow(self.tr("连接"), self.connection)
        self.form.addRow(self.tr("纸宽（毫米）"), self.width)
        self.col.addWidget(label(self.tr("例如 network:192.168.1.50:9100、serial:/dev/ttyUSB0:9600、usb:0416:5011"), role="muted"))  # fmt: skip
        self.col.addWidget(button(self.tr("测试打印"), self.test_print, name="printer_test"))
        self.col.addWidget(button(self.tr("查询状态"), self.query, name="printer_query"))
        self.col.addWidget(button(self.tr("换了新纸卷：计数清零"), self.reset_roll, "secondary",
                                  "printer_roll_reset"))  # fmt: skip
        self.status = label("", name="printer_status")
        self.col.addWidget(self.status)
        self.col.addStretch(1)
        self._asking = False

    def changes(self) -> dict[str, dict[str, Any]]:
        values = {"connection": self.connection.currentText().strip(),
                  "paper_width_mm": int(self.width.currentText())}  # fmt: skip
        return self._diff("printer", self.core.settings.printer, values)

    def refresh(self) -> None:
        self.query()

    def live(self) -> None:
        """Called every few seconds while the page is shown: the live status."""
        if not self._asking:
            self.query()

    def query(self) -> None:
        self._asking = True
        self.run(self.core.printer_status, self._status)

    def _status(self, result: Any) -> None:
        self._asking = False
        if isinstance(result, Exception):
            self.status.setText(self.tr("状态：无法查询（{e}）").format(e=type(result).__name__))
        else:
            self.status.setText(self.tr("状态：{s}").format(s=result.summary()))

    def test_print(self) -> None:
        import datetime as dt

        from devices.printer.samples import staff_sample_ticket

        self.status.setText(self.tr("正在打印…"))
        job = staff_sample_ticket(dt.datetime.now())
        core = self.core
        self.run(lambda: core.print_test_ticket(job), self._printed)

    def _printed(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.status.setText(self.tr("打印失败：{e}").format(e=result))
        else:
            state = result.status.summary() if result.status is not None else "-"
            self.status.setText(self.tr("已打印测试票；状态：{s}").format(s=state))

    def reset_roll(self) -> None:
        if not self.core.reset_printer_roll():
            self.status.setText(self.tr("这台打印机不计纸长"))
            return
        self.status.setText(self.tr("纸卷计数已清零"))


class CameraPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        s = core.settings.scanner
        self.backend = _combo("camera_backend", ["folder", "camera"], s.backend)
        self.device = _line("camera_device", str(s.device))
        self.width = _spin("camera_width", 320, 8000, s.width)
        self.height = _spin("camera_height", 240, 6000, s.height)
        self.form.addRow(self.tr("类型"), self.backend)
        self.form.addRow(self.tr("设备"), self.device)
        self.form.addRow(self.tr("宽（像素）"), self.width)
        self.form.addRow(self.tr("高（像素）"), self.height)
        self.preview = CameraPreview()  # the live picture, while this page is shown
        self.preview.on_frame = self._sharpness
        self.live = label("", name="camera_live")
        self.col.addWidget(self.preview)
        self.col.addWidget(self.live)
        self.col.addWidget(button(self.tr("拍照测试"), self.test, name="camera_test"))
        self.col.addWidget(button(self.tr("拍照并识别（OCR）"), self.test_ocr, name="camera_ocr"))
        self.result = label("", name="camera_result")
        self.col.addWidget(self.result)
        self.col.addStretch(1)

    def refresh(self) -> None:
        scanner = self.core.scanner
        live = CameraPreview.available(scanner)
        self.preview.setVisible(live)
        if live:
            self.preview.start(scanner)
        else:
            self.live.setText(self.tr("文件夹扫描：没有实时画面（把图片放进 {folder}）").format(
                folder=getattr(scanner, "folder", "")))  # fmt: skip

    def _sharpness(self, sharpness: float) -> None:
        threshold = getattr(getattr(self.core.scanner, "auto", None), "sharpness_threshold", 0)
        self.live.setText(
            self.tr("实时画面：清晰度 {s}（自动拍照至少 {t}）").format(
                s=round(sharpness), t=round(threshold)
            )
        )

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API)
        self.preview.stop()
        super().hideEvent(event)

    def retire(self) -> None:
        super().retire()
        self.preview.stop()

    def test_ocr(self) -> None:
        scanner, precheck = self.core.scanner, self.core.precheck
        self.result.setText(self.tr("正在拍照并识别…"))
        self.run(lambda: staff.ocr_test(scanner.capture(), precheck), self._recognised)

    def _recognised(self, result: Any) -> None:
        if isinstance(result, DeviceTimeout):
            self._done(result)
            return
        if isinstance(result, Exception):
            self.result.setText(self.tr("识别失败：{e}").format(e=result))
            return
        self.result.setText(
            self.tr("类型 {doc}（把握 {c}）；读出：{fields}；问题：{flags}；识别 {ms} 毫秒").format(
                doc=result["doc_type"], c=result["confidence"],
                fields="、".join(result["fields"]) or self.tr("无"),
                flags="、".join(result["quality"]) or self.tr("无"), ms=result["total_ms"],
            )
        )  # fmt: skip

    def changes(self) -> dict[str, dict[str, Any]]:
        text = self.device.text().strip()
        device: Any = int(text) if text.isdigit() else text
        values = {"backend": self.backend.currentText(), "device": device,
                  "width": self.width.value(), "height": self.height.value()}  # fmt: skip
        return self._diff("scanner", self.core.settings.scanner, values)

    def test(self) -> None:
        scanner = self.core.scanner
        self.result.setText(self.tr("正在拍照…"))
        self.run(lambda: staff.camera_test(scanner.capture()), self._done)

    def _done(self, result: Any) -> None:
        if isinstance(result, DeviceTimeout):  # nothing under the camera (or in the folder)
            self.result.setText(
                self.tr("没有拍到材料：请把一页材料放到摄像头下再试（{e}）").format(e=result)
            )
            return
        if isinstance(result, Exception):
            self.result.setText(self.tr("拍照失败：{e}").format(e=result))
            return
        flags = "、".join(result["flags"]) or self.tr("无")
        self.result.setText(
            self.tr("图像 {size}；清晰度 {sharp}；问题：{flags}").format(
                size=result["size"], sharp=result["sharpness"], flags=flags
            )
        )


class VoicePage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        v = core.settings.voice
        self.backend = _combo("voice_backend", ["espeak", "recording"], v.backend)
        self.rate = _spin("voice_rate", 80, 300, v.rate)
        self.volume = _spin("voice_volume", 0, 100, round(v.volume * 100))
        self.enabled = _check("voice_enabled", self.tr("标准版也播报语音"), v.enabled)
        self.phrase = _line("voice_phrase", self.tr("请A零四二号到三号窗口办理"))
        self.form.addRow(self.tr("引擎"), self.backend)
        self.form.addRow(self.tr("语速（字/分）"), self.rate)
        self.form.addRow(self.tr("音量（%）"), self.volume)
        self.form.addRow("", self.enabled)
        self.form.addRow(self.tr("试听内容"), self.phrase)
        self.col.addWidget(button(self.tr("试听"), self.test, name="voice_test"))
        self.status = label("", name="voice_status")
        self.col.addWidget(self.status)
        self.col.addStretch(1)

    def changes(self) -> dict[str, dict[str, Any]]:
        values = {"backend": self.backend.currentText(), "rate": self.rate.value(),
                  "volume": self.volume.value() / 100, "enabled": self.enabled.isChecked()}  # fmt: skip
        return self._diff("voice", self.core.settings.voice, values)

    def refresh(self) -> None:
        available = self.core.voice.available
        self.status.setText(self.tr("声音正常") if available else self.tr("没有声卡：静音运行"))

    def test(self) -> None:
        self.core.voice.say(self.phrase.text())
        self.status.setText(self.tr("已播放：{t}").format(t=self.phrase.text()))


class HallPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        h = core.settings.hall
        self.mode = _combo("hall_mode", ["embedded", "remote"], h.mode)
        self.url = _line("hall_url", h.url)
        self.kiosk_id = _line("kiosk_id", core.settings.kiosk.id)
        self.token = _line("hall_token", "")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(staff.mask_token(h.token) or self.tr("（未设置）"))
        self.form.addRow(self.tr("模式"), self.mode)
        self.form.addRow(self.tr("服务器地址"), self.url)
        self.form.addRow(self.tr("本机编号"), self.kiosk_id)
        self.form.addRow(self.tr("令牌（留空不改）"), self.token)
        self.col.addWidget(button(self.tr("测试连接"), self.test, name="hall_test"))
        self.result = label("", name="hall_result")
        self.col.addWidget(self.result)
        self.col.addStretch(1)

    def changes(self) -> dict[str, dict[str, Any]]:
        values: dict[str, Any] = {"mode": self.mode.currentText(), "url": self.url.text().strip()}
        if self.token.text().strip():
            values["token"] = self.token.text().strip()
        out = self._diff("hall", self.core.settings.hall, values)
        out.update(self._diff("kiosk", self.core.settings.kiosk,
                              {"id": self.kiosk_id.text().strip()}))  # fmt: skip
        return out

    def test(self) -> None:
        hall = self.core.hall
        timeout = self.core.settings.hall.timeout_s
        url, token = self.url.text().strip(), self.token.text().strip()
        if self.mode.currentText() == "remote" and url:
            token = token or self.core.settings.hall.token

            def work() -> dict[str, Any]:
                return staff.hall_test(url, token, timeout)
        else:

            def work() -> dict[str, Any]:
                return staff.hall_test(hall.base_url, hall.token, timeout)  # type: ignore[union-attr]

        self.result.setText(self.tr("正在连接…"))
        self.run(work, self._done)

    def _done(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.result.setText(self.tr("连接失败：{e}").format(e=result))
        else:
            self.result.setText(self.tr("连接正常，往返 {ms} 毫秒").format(ms=result["rtt_ms"]))


class DisplayPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        k = core.settings.kiosk
        self.elder_default = _check("display_elder_default", self.tr("默认使用长辈版"),
                                    k.elder_default)  # fmt: skip
        self.elder_age = _spin("display_elder_age", 40, 100, k.elder_age)
        self.inactivity = _spin("display_inactivity", 20, 3600, k.inactivity_s)
        self.grace = _spin("display_grace", 20, 600, k.inactivity_grace_s)
        self.thanks = _spin("display_thanks", 3, 120, k.thanks_s)
        self.language = _combo("display_language", ["zh", "en"], k.language)
        self.form.addRow("", self.elder_default)
        self.form.addRow(self.tr("长辈版年龄（岁）"), self.elder_age)
        self.form.addRow(self.tr("无操作提醒（秒）"), self.inactivity)
        self.form.addRow(self.tr("提醒后等待（秒）"), self.grace)
        self.form.addRow(self.tr("致谢页（秒）"), self.thanks)
        self.form.addRow(self.tr("默认语言"), self.language)
        self.col.addStretch(1)

    def changes(self) -> dict[str, dict[str, Any]]:
        values = {
            "elder_default": self.elder_default.isChecked(),
            "elder_age": self.elder_age.value(),
            "inactivity_s": self.inactivity.value(),
            "inactivity_grace_s": self.grace.value(),
            "thanks_s": self.thanks.value(),
            "language": self.language.currentText(),
        }
        return self._diff("kiosk", self.core.settings.kiosk, values)


class CatalogPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.info = label("", name="catalog_info")
        self.col.addWidget(self.info)
        self.col.addWidget(button(self.tr("从文件重新加载"), self.reload_file,
                                  name="catalog_reload_file"))  # fmt: skip
        self.fetch_button = button(self.tr("从大厅服务器获取"), self.fetch, name="catalog_fetch")
        self.col.addWidget(self.fetch_button)
        self.result = label("", name="catalog_result")
        self.col.addWidget(self.result)
        self.col.addStretch(1)

    def refresh(self) -> None:
        core = self.core
        remote = core.settings.hall.mode == "remote"
        source = {"file": self.tr("本机文件"), "last_good": self.tr("上次从服务器取得的副本"),
                  "server": self.tr("大厅服务器")}.get(core.catalog_source, core.catalog_source)  # fmt: skip
        lines = [self.tr("当前版本：{v}（来源：{s}）").format(v=core.catalog.version, s=source)]
        if not remote:
            lines.append(self.tr("内嵌模式：本机文件 {f} 就是事项目录").format(
                f=core.settings.kiosk.catalog))  # fmt: skip
        sync = core.catalog_sync
        if sync is not None and sync.last_error:
            lines.append(self.tr("服务器上的目录有误，已拒绝，继续用旧目录：{e}").format(
                e=sync.last_error))  # fmt: skip
        self.info.setText("\n".join(lines))
        self.fetch_button.setVisible(remote)

    def reload_file(self) -> None:
        from kiosk.catalog_sync import reload_from_file

        path = self.core.settings.kiosk.catalog
        self.run(lambda: reload_from_file(path), self._loaded)

    def _loaded(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.result.setText(self.tr("目录有误，未更换：{e}").format(e=result))
            return
        if self.core.settings.hall.mode != "remote":
            # the embedded hall server issues tickets from the catalog it started with
            self.result.setText(
                self.tr("目录文件有效（{v}）；内嵌服务器需要重启才能使用").format(v=result.version)
            )
            return
        swapper = self.core.swapper
        if swapper is not None:
            swapper.offer(result)
        self.core.catalog_source = "file"
        self.result.setText(self.tr("已加载目录 {v}").format(v=result.version))
        self.refresh()

    def fetch(self) -> None:
        sync = self.core.catalog_sync
        if sync is None:
            return
        self.result.setText(self.tr("正在获取…"))
        self.run(sync.fetch_once, self._fetched)

    def _fetched(self, result: Any) -> None:
        text = {
            "updated": self.tr("已更新"),
            "unchanged": self.tr("没有变化"),
            "refused": self.tr("服务器上的目录有误，已拒绝"),
            "unavailable": self.tr("连不上大厅服务器"),
        }.get(str(result), str(result))
        self.result.setText(text)
        self.refresh()


class OutboxPage(Page):
    def __init__(self, core: KioskCore) -> None:
        super().__init__(core)
        self.info = label("", name="outbox_info")
        self.col.addWidget(self.info)
        self.col.addWidget(button(self.tr("立即重试"), self.retry, name="outbox_retry"))
        self.alerts = label("", name="outbox_alerts")
        self.col.addWidget(self.alerts)
        self.col.addStretch(1)

    def refresh(self) -> None:
        outbox = self.core.outbox
        dead = outbox.dead_letters()
        lines = [
            self.tr("待发送：{n} 条；发送失败：{d} 条").format(n=outbox.backlog(), d=len(dead))
        ]
        for m in dead[-5:]:  # kinds and errors only: payloads may hold masked data, not shown
            lines.append(f"{m.kind} #{m.id}: {m.last_error[:80]}")
        self.info.setText("\n".join(lines))
        recent = [f"{when:%H:%M:%S} {code}" for when, code in self.core.alerts[-8:]]
        self.alerts.setText(self.tr("最近的提醒：") + "\n" + ("\n".join(recent) or self.tr("无")))

    def retry(self) -> None:
        self.core.outbox.retry_now()
        self.core.sender.kick()
        self.refresh()
