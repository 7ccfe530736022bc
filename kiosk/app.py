"""Builds the kiosk core from settings: catalog, hall server, devices, voice, the flow.

Qt-free, so the demo, tests and benchmarks build exactly what the touchscreen runs. The UI
passes in its runner (work off the GUI thread, results back on it).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract.catalog import Catalog
from contract.errors import ConfigError
from devices.idcard.base import CardReader, SamProbe, create_card_reader
from devices.idcard.card import IdCard
from devices.printer.base import (
    Printer,
    PrinterStatus,
    PrintJob,
    create_printer_from_connection,
    new_dummy,
)
from devices.printer.connection import parse_connection
from devices.scanner.base import Scanner, create_scanner
from kiosk import __version__
from kiosk.cases import CaseService
from kiosk.catalog_sync import CatalogSwapper, CatalogSync, initial_catalog
from kiosk.embedded import EmbeddedHall, HallServerFactory
from kiosk.flow import Flow
from kiosk.guide import Guide
from kiosk.hall_client import HallClient
from kiosk.heartbeat import Heartbeat
from kiosk.journeys.precheck import PrecheckJourney
from kiosk.offline import KIND, OfflineIssuer, Reserve, ReserveKeeper
from kiosk.outbox import Dispatcher, Outbox, OutboxSender
from kiosk.precheck_results import KIND as PRECHECK_KIND
from kiosk.precheck_results import PrecheckResults
from kiosk.rating import RatingService
from kiosk.runner import ImmediateRunner, Runner
from kiosk.settings import Settings
from kiosk.sms import KIND as SMS_KIND
from kiosk.sms import SmsService
from kiosk.visit import FlowConfig
from osfiles.private_files import private_dir
from voice.base import Voice, create_voice

if TYPE_CHECKING:
    from kiosk.precheck.pipeline import PrecheckWorker

log = logging.getLogger(__name__)


@dataclass
class KioskCore:
    settings: Settings
    catalog: Catalog
    hall: HallClient  # an EmbeddedHall in embedded mode
    reader: CardReader
    printer: Printer
    scanner: Scanner
    voice: Voice
    flow: Flow
    guide: Guide
    outbox: Outbox
    sender: OutboxSender
    heartbeat: Heartbeat | None = None
    issuer: OfflineIssuer | None = None  # tickets: the hall server, else the number reserve
    keeper: ReserveKeeper | None = None  # leases numbers while online (offline_block > 0)
    precheck: PrecheckJourney | None = None  # 材料预审; None when [precheck] enabled = false
    alerts: list[tuple[dt.datetime, str]] = field(default_factory=list)  # for staff, newest last
    catalog_source: str = "file"  # "file", "last_good" or "server" (remote hall mode)
    catalog_sync: CatalogSync | None = None
    swapper: CatalogSwapper | None = None
    runner: Runner = field(default_factory=ImmediateRunner, repr=False)
    _closed: bool = field(default=False, repr=False)

    def warm_up(self) -> None:
        """Once the first screen is up: start the embedded server, and load python-escpos
        (its printer database takes ~0.4 s) so the first citizen's ticket prints at once."""
        start = getattr(self.hall, "start", None)
        if start is not None:
            start()
        threading.Thread(target=lambda: new_dummy(), name="warm-up", daemon=True).start()
        voice = self.voice

        def start_voice() -> None:  # its synthesis process (a first say() would start it)
            silent_before = not voice.available  # staff were told at start
            voice.start()  # looks for the sound card, starts the engine
            if not silent_before and not voice.available:  # no card, or no engine
                self.runner.post(lambda: self.alert_staff("voice:silent"))

        threading.Thread(target=start_voice, name="voice-warm-up", daemon=True).start()
        if self.precheck is not None and self.settings.precheck.warm_up:
            self.precheck.warm_up()  # the OCR worker process and its models, in the background

    def alert_staff(self, code: str) -> None:
        """A device problem staff must see (the staff panel and heartbeat will show these)."""
        log.warning("staff alert: %s", code)
        self.alerts.append((dt.datetime.now(), code))
        del self.alerts[:-100]

    def virtual_cards(self) -> list[tuple[str, str]]:
        """(name, label) of the cards a virtual reader can present; empty for real readers."""
        reader = self.reader
        if not reader.can_present:
            return []
        cards = reader.cards
        return [(n, cards[n].masked_name if n in cards else n) for n in reader.card_names()]

    def present_virtual_card(self, name: str) -> None:
        """Demo and training: put a virtual card on the virtual reader (lifting the last one)."""
        if not self.reader.can_present:
            raise RuntimeError("the card reader is not virtual")
        self.reader.remove()
        self.reader.present(name)

    # -- devices for the staff panel (it reaches them only through these) -----------------
    def card_reader_status(self) -> tuple[str, str]:
        """The reader's state ("ok", "offline", "sam_fault", "closed") and its detail."""
        return self.reader.state, self.reader.state_detail

    def watch_cards(self, on_card: Callable[[IdCard], None]) -> Callable[[], None]:
        """Staff test read: ``on_card`` hears the cards of the current reader (on the
        reader's thread) until the returned function is called."""
        reader = self.reader
        reader.subscribe(on_card)
        return lambda: reader.unsubscribe(on_card)

    def printer_status(self) -> PrinterStatus:
        return self.printer.status()

    def print_test_ticket(self, job: Any) -> PrintJob:
        return self.printer.print_ticket(job)

    def reset_printer_roll(self) -> bool:
        """A new paper roll: False when this printer keeps no roll counter."""
        if not self.printer.counts_roll:
            return False
        self.printer.reset_roll()
        return True

    # -- the staff panel: new settings without a restart ---------------------------------
    def apply(self, new: Settings) -> dict[str, list[str]]:
        """Switch to ``new`` settings where a device allows it, without restarting.

        Returns ``{"applied": [...], "restart": [...]}`` (section or key names). A device
        that fails to open raises (DeviceError/ConfigError) and the old one stays in use.
        Call on the flow's thread (the GUI thread) while no citizen is being served.
        """
        old = self.settings
        applied: list[str] = []
        restart: list[str] = []
        try:
            self._apply(old, new, applied, restart)
        except Exception:
            # what did switch stays switched (and is not switched again by the next save)
            self.settings = old.model_copy(update={s: getattr(new, s) for s in applied})
            raise
        self.settings = new
        log.info("settings applied: %s; restart needed for: %s", applied, restart or "nothing")
        return {"applied": applied, "restart": restart}

    def _apply(self, old: Settings, new: Settings, applied: list[str],
               restart: list[str]) -> None:  # fmt: skip
        def changed(section: str) -> bool:
            return bool(getattr(old, section) != getattr(new, section))

        if changed("printer"):
            printer = make_printer(new)
            printer.open()
            previous, self.printer = self.printer, printer
            self.flow.visit.printer = printer  # the next ticket prints on the new connection
            previous.close()
            applied.append("printer")
        if changed("card_reader"):
            self.reader.unsubscribe_all()
            self.reader.close()
            try:
                reader = make_card_reader(new)
                reader.open()
            except Exception:
                self.reader.open()  # back to the old reader
                subscribe_reader(self.reader, self.flow, self.runner)
                raise
            self.reader = reader
            subscribe_reader(reader, self.flow, self.runner)
            applied.append("card_reader")
        if changed("scanner"):
            scanner = make_scanner(new)
            scanner.open()
            previous_scanner, self.scanner = self.scanner, scanner
            if self.precheck is not None:
                self.precheck.scanner = scanner  # the next page is taken with the new one
            ratings = self.flow.rating.sink
            if ratings is not None and getattr(ratings, "scan", None) is not None:
                ratings.scan = scanner.capture  # type: ignore[attr-defined]  # QR of a ticket
            previous_scanner.close()
            applied.append("scanner")
        if changed("precheck"):
            restart.append("precheck")  # the OCR worker process starts with the kiosk
        if changed("voice"):
            if (old.voice.backend, old.voice.rate, old.voice.cache_dir) != (
                new.voice.backend, new.voice.rate, new.voice.cache_dir
            ):  # fmt: skip
                voice = make_voice(new)
                previous_voice, self.voice = self.voice, voice
                self.guide.voice = voice
                previous_voice.close()
            self.voice.default_volume = new.voice.volume
            self.voice.set_volume(new.voice.volume)
            self.guide.normal_mode = new.voice.enabled
            applied.append("voice")
        k_old, k_new = old.kiosk, new.kiosk
        for key in ("id", "data_dir", "catalog"):
            if getattr(k_old, key) != getattr(k_new, key):
                restart.append(f"kiosk.{key}")
        if k_old != k_new:
            cfg = self.flow.config
            cfg.inactivity_s = k_new.inactivity_s
            cfg.inactivity_grace_s = k_new.inactivity_grace_s
            cfg.thanks_s = k_new.thanks_s
            cfg.language = k_new.language
            cfg.elder_default = k_new.elder_default
            cfg.elder_age = k_new.elder_age
            cfg.elder_timeout_factor = k_new.elder_timeout_factor
            cfg.priority_lane = k_new.priority_lane
            applied.append("kiosk")
        if changed("hall"):
            h_old, h_new = old.hall, new.hall
            if h_old.mode != h_new.mode or (
                h_new.mode == "embedded" and h_old.timeout_s != h_new.timeout_s
            ):
                restart.append("hall.mode" if h_old.mode != h_new.mode else "hall.timeout_s")
            elif h_new.mode == "remote" and (
                h_old.url, h_old.token, h_old.timeout_s, h_old.ca_file
            ) != (h_new.url, h_new.token, h_new.timeout_s, h_new.ca_file):  # fmt: skip
                self._switch_hall(new)
            if self.heartbeat is not None:
                self.heartbeat.interval_s = h_new.heartbeat_s  # from the next beat on
            self.sender.interval_s = h_new.outbox_retry_s
            if self.catalog_sync is not None:
                self.catalog_sync.interval_s = h_new.catalog_sync_s
            applied.append("hall")
        if changed("staff"):
            applied.append("staff")

    def probe_card_reader(self) -> SamProbe:
        """Staff test: SAM status and SAM id through the reader's own transport, the reader
        paused meanwhile (run off the GUI thread); virtual readers have no SAM."""
        return self.reader.probe()

    def _switch_hall(self, new: Settings) -> None:
        """A remote hall server's new address or token: every user of the client switches."""
        h = new.hall
        client = HallClient(h.url, h.token, h.timeout_s, h.ca_file)
        previous, self.hall = self.hall, client
        self.flow.visit.hall = client
        if self.flow.rating.sink is not None:
            self.flow.rating.sink.hall = client  # type: ignore[attr-defined]
        if self.flow.case.sink is not None:
            self.flow.case.sink.hall = client  # type: ignore[attr-defined]
        if self.flow.ticket.sms is not None:
            self.flow.ticket.sms.hall = client  # type: ignore[attr-defined]
        if self.flow.precheck is not None and self.flow.precheck.results is not None:
            self.flow.precheck.results.hall = client
        if self.heartbeat is not None:
            self.heartbeat.post = client.heartbeat
        if self.issuer is not None:
            self.issuer.hall = client
        if self.keeper is not None:
            self.keeper.hall = client
        if self.catalog_sync is not None:
            self.catalog_sync.stop()
            self.catalog_sync = None
        self._start_catalog_sync(new, "")
        previous.close()

    def _start_catalog_sync(self, settings: Settings, etag: str) -> None:
        h = settings.hall
        if h.mode != "remote":
            return
        swapper = self.swapper
        assert swapper is not None

        def offer(catalog: Catalog) -> None:
            self.runner.post(lambda: swapper.offer(catalog))

        def refused(why: str) -> None:
            self.runner.post(lambda: self.alert_staff("catalog:refused"))

        self.catalog_sync = CatalogSync(h.url, h.token, settings.data_dir, h.catalog_sync_s,
                                        offer, etag, h.timeout_s, refused,
                                        ca_file=h.ca_file)  # fmt: skip
        self.catalog_sync.start()

    def _catalog_swapped(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.catalog_source = "server"

    def close(self, deadline_s: float = 30.0) -> list[str]:
        """Close everything, within about ``deadline_s``; safe to call twice. Returns the
        parts still closing at the deadline (left to the process's exit).

        The parts are independent, so they close at once, each in a thread of its own:
        closed one after the other, a stop under load took over 3 s (a card reader's port,
        the voice's synthesis process, the pre-check's OCR process, the embedded hall
        server waiting for its own start-up work). The outbox closes once its sender has
        stopped, the hall client last (the heartbeat and the sender use it)."""
        if self._closed:
            return []
        self._closed = True
        end = time.monotonic() + deadline_s
        took: list[str] = []  # what took long, for the log: a slow stop says where

        def run(name: str, closer: Callable[[], None]) -> None:
            t0 = time.monotonic()
            try:
                closer()
            except Exception:  # one failing device must not keep the others open
                log.exception("error while closing the %s", name)
            ms = (time.monotonic() - t0) * 1000
            if ms >= 100:
                took.append(f"{name} {ms:.0f} ms")

        def in_parallel(parts: list[tuple[str, Callable[[], None]]], least_s: float) -> list[str]:
            threads = [threading.Thread(target=run, args=part, name=f"close-{part[0]}",
                                        daemon=True) for part in parts]  # fmt: skip
            for t in threads:
                t.start()
            until = max(end, time.monotonic() + least_s)
            for t in threads:
                t.join(max(0.0, until - time.monotonic()))
            return [name for (name, _), t in zip(parts, threads, strict=True) if t.is_alive()]

        first: list[tuple[str, Callable[[], None]]] = []
        for name, part in (("heartbeat", self.heartbeat), ("keeper", self.keeper),
                           ("catalog sync", self.catalog_sync)):  # fmt: skip
            if part is not None:
                first.append((name, part.stop))
        if self.precheck is not None:
            first.append(("pre-check", self.precheck.close))  # the OCR worker process
        first += [("outbox sender", self.sender.stop), ("card reader", self.reader.close),
                  ("printer", self.printer.close), ("scanner", self.scanner.close),
                  ("voice", self.voice.close)]  # fmt: skip
        stuck = in_parallel(first, 0.0)
        last: list[tuple[str, Callable[[], None]]] = [("hall", self.hall.close)]
        if "outbox sender" not in stuck:  # else it may be writing: the commit is durable
            last.append(("outbox", self.outbox.close))
        stuck += in_parallel(last, 0.2)  # the outbox's close is quick: give it its turn
        if took:
            log.info("closing took long: %s", ", ".join(took))
        if stuck:
            log.warning("still closing after %.1f s, left to the exit: %s", deadline_s,
                        ", ".join(stuck))  # fmt: skip
        return stuck


def make_scanner(settings: Settings) -> Scanner:
    c = settings.scanner
    if c.backend == "camera":
        return create_scanner("camera", device=c.device, width=c.width, height=c.height)
    folder = c.folder or settings.data_dir / "scans"
    folder.mkdir(parents=True, exist_ok=True)
    return create_scanner("folder", folder=folder, repeat=c.repeat)


def make_precheck(settings: Settings, flow: Flow, scanner: Scanner) -> PrecheckJourney | None:
    """The pre-check sub-flow; its OCR worker process starts on first use or at warm-up."""
    c = settings.precheck
    if not c.enabled:
        return None

    def worker() -> PrecheckWorker:
        from kiosk.precheck.pipeline import PrecheckOptions, PrecheckWorker

        return PrecheckWorker(
            PrecheckOptions(engine=c.engine, ocr_threads=c.ocr_threads), workers=c.workers
        )

    return PrecheckJourney(
        flow.visit,
        scanner,
        worker,
        engine=c.engine,
        samples_dir=c.samples_dir,
        page_timeout_s=c.page_timeout_s,
    )


def make_voice(settings: Settings, start: bool = True) -> Voice:
    """The configured voice; ``start=False`` leaves its engine to ``voice.start()`` (or the
    first use): the kiosk starts it once the home screen is shown."""
    v = settings.voice
    if v.backend == "espeak":
        cache = v.cache_dir or settings.data_dir / "voice-cache"
        return create_voice("espeak", volume=v.volume, enabled=True, rate=v.rate,
                            cache_dir=cache, start=start)  # fmt: skip
    return create_voice(v.backend, volume=v.volume, enabled=True)


def make_card_reader(settings: Settings) -> CardReader:
    c = settings.card_reader
    timing = {"poll_interval_s": c.poll_interval_s, "command_timeout_s": c.command_timeout_s}
    if c.backend == "serial":
        if not c.url:
            raise ConfigError("card_reader.url: a serial reader needs a port, e.g. /dev/ttyUSB0")
        return create_card_reader("serial", url=c.url, baud=c.baud, **timing)
    if c.backend == "simulator":
        return create_card_reader("simulator", cards_dir=c.cards_dir, baud=c.baud, **timing)
    return create_card_reader("virtual", cards_dir=c.cards_dir)


def make_printer(settings: Settings) -> Printer:
    """The configured printer. Real printers that are off at start-up do not stop the kiosk:
    they report "offline" and connect on the next job."""
    p = settings.printer
    backend, _ = parse_connection(p.connection)
    options: dict[str, object] = {"paper_width_mm": p.paper_width_mm}
    if backend in ("virtual", "simulator"):
        options["out_dir"] = p.out_dir or settings.data_dir / "printed"
    if backend != "virtual":
        options.update(
            what_to_do_on_unknown=p.on_unknown_status,
            roll_length_mm=p.roll_length_mm,
            roll_warn_mm=p.roll_warn_mm,
            roll_state_path=settings.data_dir / "printer-roll.json",
        )
    if backend not in ("virtual", "simulator"):
        options["connect_on_open"] = False
    return create_printer_from_connection(p.connection, **options)


def subscribe_reader(reader: CardReader, flow: Flow, runner: Runner) -> None:
    """Cards and read failures (typed errors) go to the flow's thread."""
    reader.subscribe(lambda card: runner.post(lambda: flow.visit.card_presented(card)))
    reader.subscribe_errors(lambda error: runner.post(lambda: flow.visit.card_failed(error)))


def build_core(
    settings: Settings,
    runner: Runner | None = None,
    start_hall: bool = True,
    *,
    hall_server: HallServerFactory | None = None,
) -> KioskCore:
    """Open every device and connect to the hall server; raises ConfigError/DeviceError.

    ``hall_server`` makes the in-process hall server of ``hall.mode = "embedded"``; the
    composition root gives it (``hall.embedded.EmbeddedHallServer``) — the core does not
    know the hall package. ``start_hall=False`` leaves the embedded server to start on its
    first use or on ``core.hall.start()`` — the UI does that once the home screen is shown.
    """
    runner = runner or ImmediateRunner()
    data_dir = settings.data_dir
    # remote mode: the last good copy of the hall server's catalog, else the local file
    catalog, catalog_etag, catalog_source = initial_catalog(
        settings.hall.mode, settings.kiosk.catalog, data_dir
    )
    private_dir(data_dir)  # 0700: tokens, the outbox, the embedded hall's database and keys

    hall: HallClient
    if settings.hall.mode == "embedded":
        if hall_server is None:
            raise ConfigError(
                "hall.mode = 'embedded': this start has no in-process hall server (the"
                " composition root, python -m kiosk, provides one); use mode 'remote'"
            )
        server = hall_server(data_dir, settings.kiosk.catalog, settings.kiosk.id)
        hall = EmbeddedHall(server, settings.hall.timeout_s)
        if start_hall:
            hall.start()
    else:
        if not settings.hall.url.startswith(("http://", "https://")) or not settings.hall.token:
            raise ConfigError(
                "hall.url and hall.token: a remote hall server needs its address"
                " (http://host:port) and this kiosk's token (python -m hall add-kiosk KIOSK_ID)"
            )
        hall = HallClient(
            settings.hall.url, settings.hall.token, settings.hall.timeout_s, settings.hall.ca_file
        )

    opened: list[object] = []
    try:
        reader = make_card_reader(settings)
        reader.open()
        opened.append(reader)
        printer = make_printer(settings)
        printer.open()
        opened.append(printer)
        scanner = make_scanner(settings)
        scanner.open()
        opened.append(scanner)
        # the voice itself is always able to speak; the Guide decides when (长辈版 or hall's choice)
        voice = make_voice(settings, start=start_hall)  # with the hall: after the home screen
    except Exception:
        for device in reversed(opened):
            device.close()  # type: ignore[attr-defined]
        hall.close()
        raise

    flow = Flow(
        catalog,
        hall,
        printer,
        runner,
        FlowConfig(
            inactivity_s=settings.kiosk.inactivity_s,
            inactivity_grace_s=settings.kiosk.inactivity_grace_s,
            thanks_s=settings.kiosk.thanks_s,
            language=settings.kiosk.language,
            kiosk_id=settings.kiosk.id,
            elder_default=settings.kiosk.elder_default,
            elder_age=settings.kiosk.elder_age,
            elder_timeout_factor=settings.kiosk.elder_timeout_factor,
            priority_lane=settings.kiosk.priority_lane,
        ),
    )
    outbox = Outbox(data_dir / "outbox.sqlite3")
    ratings = RatingService(hall, outbox, scan=scanner.capture)
    cases = CaseService(hall, outbox)
    sms = SmsService(hall, outbox)  # 短信提醒: the citizen's number, after the ticket
    prechecks = PrecheckResults(hall, outbox)  # kept when the server is gone after the ticket
    # offline tickets need a server that can be gone while the kiosk runs: remote mode only
    # (the embedded server lives and dies with this process)
    offline = settings.hall.mode == "remote" and settings.hall.offline_block > 0
    reserve = Reserve(outbox) if offline else None
    issuer = OfflineIssuer(
        hall, reserve, lambda: flow.visit.catalog,
        connect_timeout_s=settings.hall.offline_connect_s,
        alert=lambda code: runner.post(lambda: core.alert_staff(code)),
    )  # fmt: skip
    flow.ticket.issuer = issuer
    dispatch = Dispatcher({"rating": ratings.send, "case": cases.send, KIND: issuer.send,
                           SMS_KIND: sms.send, PRECHECK_KIND: prechecks.send})  # fmt: skip
    sender = OutboxSender(outbox, dispatch, interval_s=settings.hall.outbox_retry_s)
    ratings.kick = cases.kick = issuer.kick = sms.kick = prechecks.kick = sender.kick

    def server_back() -> None:  # the keeper saw the server again: sync at once
        outbox.retry_now()
        sender.kick()

    issuer.back = server_back
    flow.rating.sink = ratings
    flow.case.sink = cases
    flow.ticket.sms = sms
    flow.precheck = make_precheck(settings, flow, scanner)
    if flow.precheck is not None:
        flow.precheck.results = prechecks
    ratings.on_settled = lambda key, outcome: runner.post(lambda: flow.rating.settled(key, outcome))
    sender.start()
    guide = Guide(voice, normal_mode=settings.voice.enabled)
    flow.changed.connect(guide.follow)
    subscribe_reader(reader, flow, runner)
    core = KioskCore(settings, catalog, hall, reader, printer, scanner, voice, flow, guide,
                     outbox, sender, catalog_source=catalog_source, runner=runner,
                     precheck=flow.precheck)  # fmt: skip
    core.swapper = CatalogSwapper(flow, core._catalog_swapped)
    flow.changed.connect(core.swapper.flow_changed)
    core._start_catalog_sync(settings, catalog_etag)
    core.heartbeat = Heartbeat(core, hall.heartbeat, settings.hall.heartbeat_s, __version__)
    core.heartbeat.start()
    core.issuer = issuer
    if reserve is not None:
        core.keeper = ReserveKeeper(hall, reserve, issuer, lambda: flow.visit.catalog,
                                    settings.kiosk.id, settings.hall.offline_block)  # fmt: skip
        core.keeper.start()
    flow.staff_alert.connect(core.alert_staff)
    if not voice.available:
        core.alert_staff("voice:silent")
    return core
