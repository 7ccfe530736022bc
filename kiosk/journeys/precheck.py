"""材料预审 at the kiosk: the sub-flow's state and actions (Qt-free).

home → 材料预审 → groups → items (an item or a bundle) → capture, page by page → verdict →
继续取号 (identify/notice/ticket for the same item) or 返回首页. The one-time notice offers
the same pre-check for its item (the card holder, if read, is cross-checked with the ID-card
page).

Each page: the scanner's ``capture()`` and the analysis run through the flow's runner (a
worker thread), the analysis itself in the ``PrecheckWorker``'s process — never on the GUI
thread. A late result of a cancelled pre-check or an ended visit is dropped (``attempt``
and the session id). Pages live only in memory as ``PageSummary`` (document type, quality
flags, readable, holder match — no names, no ID numbers) and go with the visit.

The verdict is advice, never a refusal: the slip is printed, the summary spoken, and the
citizen may always take a ticket. When a ticket is then issued for the same item, the result
(codes only: per-material index, type, status and core flag, overall, page count, engine)
is attached to it at the hall server so the window sees it; a ticket issued offline keeps
it in the outbox and delivers it with the ticket (``result_for``, kiosk/offline.py).

Demo and training (the folder scanner): the sample documents in ``precheck.samples_dir``
can be "put under the camera" — copied into the scanner's folder — from the capture screen.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract.catalog import Catalog
from devices.errors import DeviceError, DeviceTimeout
from kiosk.precheck.verdict import (
    DOC_NAMES,
    PageSummary,
    Verdict,
    slip_lines,
    spoken_summary,
    verdict_for,
)
from kiosk.visit import Purpose, Screen, Visit

if TYPE_CHECKING:
    from devices.printer.base import PrintJob
    from devices.scanner.base import Scanner
    from kiosk.identity import Holder
    from kiosk.precheck.pipeline import PageResult, PrecheckWorker
    from kiosk.tickets import Ticket

log = logging.getLogger(__name__)

SAMPLE_NAME = re.compile(r"^\d+_(?P<doc>[a-z_]+?)_(?P<variant>clean|blurred|too_dark|too_bright|glare|cropped)\.(jpe?g|png)$")  # fmt: skip
DEMO_PREFIX = "demo-"  # files the demo put into the scanner folder (removed again)


@dataclass(frozen=True)
class PageView:
    """What the capture screen says about the last analysed page (no personal data)."""

    number: int  # 1-based
    doc_type: str
    quality: tuple[str, ...]
    advice: tuple[str, ...]  # Chinese, one per quality flag
    advice_en: tuple[str, ...]
    fine: bool  # readable enough to count
    material: str = ""  # the checklist material it counts for ("" if none yet)
    material_en: str = ""


@dataclass(frozen=True)
class PrecheckState:
    entry_id: str
    origin: str  # "items" (from the home tile) or "notice"
    attempt: str  # a new one for each pre-check: late results of an old one are dropped
    pages: tuple[PageSummary, ...] = ()
    last: PageView | None = None
    analysing: bool = False  # a page is being captured and analysed
    problem: str | None = None  # "no_page" (nothing under the camera), "scanner", "failed"
    verdict: Verdict | None = None
    slip: str | None = None  # "printing", "printed", "failed"
    slip_job: Any = None  # the PrintJob of the slip (virtual printer: its PNG)
    # the result at the hall server: "sending", "sent", "failed"; "queued": kept in the
    # outbox — with an offline ticket (kiosk/offline.py), or for an online one when the
    # server went down after issuing it (kiosk/precheck_results.py)
    attached: str | None = None
    # the ID numbers read on each kept page: in memory only, for the card holder cross-check
    # of a citizen identified after the pre-check (gone with the visit; never sent or shown)
    ids: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)
    holder_checked: bool = False  # the pages were cross-checked with the identified holder

    @property
    def page_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True)
class Sample:
    """A sample document the demo can put under the camera."""

    name: str  # file name
    doc_type: str
    variant: str  # "clean" or a quality flag the sample shows

    @property
    def label(self) -> str:
        return DOC_NAMES.get(self.doc_type, DOC_NAMES["other"])[0]

    @property
    def label_en(self) -> str:
        return DOC_NAMES.get(self.doc_type, DOC_NAMES["other"])[1]


class PrecheckJourney:
    """The pre-check's actions. Owns the state part ``precheck`` (a ``PrecheckState``)."""

    def __init__(
        self,
        visit: Visit,
        scanner: Scanner,
        worker_factory: Callable[[], PrecheckWorker],
        *,
        engine: str = "rapidocr",
        samples_dir: Path | None = None,
        page_timeout_s: float = 30.0,
    ) -> None:
        self.visit = visit
        self.scanner = scanner
        self.worker_factory = worker_factory
        self.engine = engine
        self.samples_dir = samples_dir
        self.page_timeout_s = page_timeout_s
        self._worker: PrecheckWorker | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._dropped: set[Path] = set()  # demo files put into the scanner folder
        # the results to the server, kept in the outbox when it is unreachable
        # (kiosk/precheck_results.py; wired by kiosk/app.py; None: sent directly, once)
        self.results: Any = None
        if not visit.has_part("precheck"):
            visit.add_part("precheck", None)
        visit.on_back(Screen.PRECHECK, self.cancel)
        visit.on_back(Screen.PRECHECK_RESULT, self.cancel)
        visit.ended.connect(lambda _: self.discard())

    # -- the worker process ---------------------------------------------------------------
    def worker(self) -> PrecheckWorker:
        """The OCR worker process, started on first use (or by ``warm_up``)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the pre-check is closed")
            if self._worker is None:
                self._worker = self.worker_factory()
            return self._worker

    def _replace_worker(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close(wait=False)  # terminate it; the next page starts a new process

    def warm_up(self) -> None:
        """Start the worker process and load the engine's models, off the calling thread."""

        def run() -> None:
            try:
                self.worker().warmed.result(timeout=120)
            except Exception:  # the first page reports the real error to the citizen
                if not self._closed:
                    log.exception("warming the pre-check worker failed")

        threading.Thread(target=run, name="precheck-warm-up", daemon=True).start()

    def close(self) -> None:
        """Stop the worker process (at once: a page in progress is of no use any more);
        remove demo files. Safe twice."""
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close(wait=False)
        self._remove_dropped()

    # -- state ----------------------------------------------------------------------------
    @property
    def state(self) -> PrecheckState | None:
        st: PrecheckState | None = self.visit.state.precheck
        return st

    def _update(self, **changes: Any) -> None:
        st = self.state
        if st is not None:
            self.visit.update(precheck=replace(st, **changes))

    def interim(self) -> Verdict | None:
        """The verdict of the pages so far (the capture screen's checklist)."""
        st = self.state
        if st is None:
            return None
        return verdict_for(self.visit.catalog, st.entry_id, st.pages)

    # -- actions --------------------------------------------------------------------------
    def start(self, entry_id: str, origin: str = "items") -> None:
        """Open the capture screen for an item or bundle."""
        self.visit.catalog.entry(entry_id)  # KeyError for a bad id: a programming error
        self._remove_dropped()
        purpose = Purpose.PRECHECK if origin == "items" else self.visit.state.purpose
        self.visit.go(
            Screen.PRECHECK,
            entry_id=entry_id,
            purpose=purpose,
            precheck=PrecheckState(entry_id, origin, uuid.uuid4().hex),
        )

    def capture(self) -> None:
        """Take the page under the camera and analyse it (off the GUI thread)."""
        st = self.state
        if st is None or st.analysing or self.visit.state.screen is not Screen.PRECHECK:
            return
        self.visit.touch()
        number = st.page_count + 1
        holder = self.visit.state.holder
        name, number_id = (holder.name, holder.id_number) if holder is not None else ("", "")
        self._update(analysing=True, problem=None)
        attempt = st.attempt

        def work() -> PageResult:
            data = self.scanner.capture()
            future = self.worker().submit(
                data, f"page-{number}", holder_name=name, holder_id=number_id
            )
            return future.result(timeout=self.page_timeout_s)

        def done(result: Any) -> None:
            self._remove_dropped(taken_only=True)
            current = self.state
            if current is None or current.attempt != attempt:
                log.info("page of a cancelled pre-check dropped")
                return
            self._page_done(result)

        self.visit.runner.submit(work, self.visit.for_this_visit(done))

    def _page_done(self, result: Any) -> None:
        st = self.state
        assert st is not None
        if isinstance(result, DeviceTimeout):
            self._update(analysing=False, problem="no_page")
            return
        if isinstance(result, DeviceError):
            log.warning("scanner failed: %s", type(result).__name__)
            self.visit.staff_alert.emit(f"scanner:{type(result).__name__}")
            self._update(analysing=False, problem="scanner")
            return
        if isinstance(result, Exception):
            log.error("page analysis failed: %s", type(result).__name__)
            if isinstance(result, BrokenProcessPool | FutureTimeout):
                # the worker died or hangs on a page: the next page gets a fresh one
                self._replace_worker()
                self.visit.staff_alert.emit(f"precheck:{type(result).__name__}")
            self._update(analysing=False, problem="failed")
            return
        page = PageSummary.from_result(result)
        pages = st.pages + (page,)
        verdict = verdict_for(self.visit.catalog, st.entry_id, pages)
        matched = next((m for m in verdict.materials if m.page == page.file), None)
        view = PageView(
            len(pages),
            page.doc_type,
            page.quality,
            tuple(result.advice),
            tuple(result.advice_en),
            page.fine,
            matched.name if matched and matched.status == "present_fine" else "",
            matched.name_en if matched and matched.status == "present_fine" else "",
        )
        if page.quality and not page.fine:
            # a bad page is not kept: the citizen is asked to retake it (重拍)
            self._update(analysing=False, last=view)
            return
        ids = st.ids + (tuple(result.id_numbers),)
        self._update(analysing=False, pages=pages, last=view, ids=ids)
        if verdict.overall == "complete":  # every listed material seen: done
            self.finish()

    def show_page(self, result: PageResult) -> None:
        """Take an already analysed page as if it had just been captured (the screen tour
        and staff screenshots use it, so they need no OCR process)."""
        if self.state is not None and not self.state.analysing:
            self._page_done(result)

    def retake(self) -> None:
        """重拍: forget the last (bad) page's advice and take it again."""
        st = self.state
        if st is None or st.analysing:
            return
        self._update(last=None, problem=None)
        self.capture()

    def finish(self) -> None:
        """完成: the verdict for the pages so far; print the slip."""
        st = self.state
        if st is None or st.analysing:
            return
        verdict = verdict_for(self.visit.catalog, st.entry_id, st.pages)
        log.info(
            "pre-check %s: %s after %d page(s)", verdict.entry_id, verdict.overall, st.page_count
        )
        self.visit.go(
            Screen.PRECHECK_RESULT,
            precheck=replace(st, verdict=verdict, slip="printing", last=None),
        )
        self.print_slip()

    def print_slip(self) -> None:
        st = self.state
        if st is None or st.verdict is None:
            return
        lines = slip_lines(st.verdict, self.visit.language)
        hall = self.visit.catalog.hall_name if self.visit.language == "zh" else (
            self.visit.catalog.hall_name_en)  # fmt: skip
        printer = self.visit.printer
        when = self.visit.now()
        if st.slip != "printing":  # finish() already says so: one screen update, not two
            self._update(slip="printing")

        def work() -> PrintJob:
            from kiosk.precheck.slip import write_slip

            width = getattr(printer, "paper_width_mm", 80)
            job: PrintJob = printer.run_job(  # type: ignore[attr-defined]
                "precheck", lambda p: write_slip(p, hall, lines, when, width)
            )
            return job

        def done(result: Any) -> None:
            if isinstance(result, Exception):
                log.warning("pre-check slip not printed: %s", type(result).__name__)
                self._update(slip="failed")
            else:
                self._update(slip="printed", slip_job=result)

        self.visit.runner.submit(work, self.visit.for_this_visit(done))

    def cancel(self) -> None:
        """取消 (or 返回): leave the pre-check; its pages are forgotten, a page still being
        analysed is dropped when it comes back."""
        st = self.state
        self._remove_dropped()
        if st is None:
            self.visit.home()
            return
        if st.origin == "notice":
            self.visit.go(Screen.NOTICE, precheck=None)
        else:
            self.visit.go(Screen.ITEMS, precheck=None, purpose=Purpose.PRECHECK)

    def continue_to_ticket(self) -> None:
        """继续取号 for the same item: the notice if the citizen is identified, else identify."""
        st = self.state
        if st is None:
            return
        self.visit.update(purpose=Purpose.TICKET)
        if self.visit.state.holder is not None:
            self.visit.go(Screen.NOTICE)
        else:
            self.visit.go(Screen.IDENTIFY, holder=None)

    def discard(self) -> None:
        """The visit ends: remove what the demo put into the scanner folder."""
        self._remove_dropped()

    # -- the card holder identified after the pre-check ------------------------------------
    def checked_with(self, holder: Holder) -> PrecheckState | None:
        """继续取号 from the home tile: the citizen identified themselves after the pages
        were read. Their own ID card page must be theirs: the pre-check cross-checked now
        (the flow publishes it with the identification, in one change)."""
        st = self.state
        if st is None or st.verdict is None or st.holder_checked:
            return st
        pages = []
        for page, ids in zip(st.pages, st.ids, strict=False):
            if page.doc_type == "id_card_front" and page.holder_match == "unknown" and ids:
                match = "match" if holder.id_number in ids else "mismatch"
                page = replace(page, holder_match=match)
            pages.append(page)
        verdict = verdict_for(self.visit.catalog, st.entry_id, pages)
        if verdict.overall != st.verdict.overall:
            log.info("pre-check after the holder cross-check: %s", verdict.overall)
        return replace(st, pages=tuple(pages), verdict=verdict, holder_checked=True)

    # -- the result at the hall server ----------------------------------------------------
    def result_body(self, verdict: Verdict, pages: int) -> dict[str, Any]:
        """Codes only: never a recognised name or number."""
        return {
            "service_id": verdict.entry_id,
            "overall": verdict.overall,
            "pages": pages,
            "engine": self.engine,
            "kiosk_id": self.visit.config.kiosk_id,
            "checked_at": dt.datetime.now(dt.UTC).isoformat(),
            "materials": [
                {"index": i, "doc_type": m.doc_type, "status": m.status, "core": m.core}
                for i, m in enumerate(verdict.materials)
            ],
        }

    def result_for(self, entry_id: str) -> dict[str, Any] | None:
        """The result to keep with an offline ticket for ``entry_id`` (the same codes the
        online path attaches), or None when this visit pre-checked nothing for it."""
        st = self.state
        if st is None or st.verdict is None or st.verdict.entry_id != entry_id:
            return None
        return self.result_body(st.verdict, st.page_count)

    def ticket_issued(self, ticket: Ticket) -> None:
        st = self.state
        if st is None or st.verdict is None or st.verdict.entry_id != ticket.service_id:
            return
        if ticket.offline:  # kept with the ticket in the outbox (``result_for``), sent with it
            self._update(attached="queued")
            return
        results = self.results
        send = results.attach if results else getattr(self.visit.hall, "submit_precheck", None)
        if send is None:
            return
        body = self.result_body(st.verdict, st.page_count)
        self._update(attached="sending")

        def done(result: Any) -> None:
            if isinstance(result, Exception):
                log.warning("pre-check result not attached to the ticket: %s", result)
                self._update(attached="failed")
            else:  # "queued": the server went down after the ticket; the outbox delivers it
                self._update(attached=result if result == "queued" else "sent")

        self.visit.runner.submit(lambda: send(ticket.id, body), self.visit.for_this_visit(done))

    # -- words ----------------------------------------------------------------------------
    def spoken(self) -> str:
        st = self.state
        if st is None or st.verdict is None:
            return ""
        return spoken_summary(st.verdict, self.visit.language)

    # -- demo: sample documents under the "camera" ----------------------------------------
    def samples(self) -> list[Sample]:
        """Sample documents for the current item (folder scanner only; demo and training)."""
        folder = getattr(self.scanner, "folder", None)
        st = self.state
        if folder is None or self.samples_dir is None or st is None:
            return []
        try:
            names = sorted(p.name for p in self.samples_dir.iterdir())
        except OSError:
            return []
        wanted = {m.doc_type for m in self.visit.catalog.materials_for(
            self.visit.catalog.entry(st.entry_id))}  # fmt: skip
        out = []
        for name in names:
            m = SAMPLE_NAME.match(name)
            if m and m["doc"] in wanted:
                out.append(Sample(name, m["doc"], m["variant"]))
        return out

    def present_sample(self, name: str) -> None:
        """Demo: put a sample document under the camera (into the scanner's folder)."""
        folder: Path | None = getattr(self.scanner, "folder", None)
        if folder is None or self.samples_dir is None:
            raise RuntimeError("the scanner is not a folder scanner")
        source = self.samples_dir / Path(name).name
        target = folder / f"{DEMO_PREFIX}{uuid.uuid4().hex[:8]}-{source.name}"
        shutil.copyfile(source, target)
        past = time.time() - 5  # "settled": the folder scanner ignores files being written
        os.utime(target, (past, past))
        self._dropped.add(target)
        self.visit.touch()

    def _remove_dropped(self, taken_only: bool = False) -> None:
        taken_pages = getattr(self.scanner, "taken", None)  # the folder scanner's
        taken = taken_pages() if taken_pages is not None else frozenset()
        for path in list(self._dropped):
            if taken_only and path not in taken:
                continue
            path.unlink(missing_ok=True)
            self._dropped.discard(path)


def checklist_names(catalog: Catalog, entry_id: str) -> list[tuple[str, str, bool]]:
    """(name, name_en, core) of each required material, in checklist order."""
    return [(m.name, m.name_en, m.core) for m in catalog.materials_for(catalog.entry(entry_id))]
