"""Spoken calls for the call boards: "请 A042 号 到 3 号窗口办理" as a WAV file.

Synthesised offline on the hall server with the project's own Mandarin voice code: the
sentence goes through ``voice.espeak.prepare`` (queue number read letter by letter and
digit by digit, the window number as a number, everything as tone-numbered pinyin) and is
spoken by espeak-ng's ``cmn-latn-pinyin`` voice — never Debian's plain ``cmn`` voice,
which reads pinyin and tone numbers aloud in English. The ``espeak-ng`` program is run
per sentence (no engine state in the server process; ~0.1–0.4 s), and the WAV is cached
per text: in memory (the newest ``MEMORY_ITEMS``) and on disk in the server's data
directory (``HALL_DATA_DIR``, else next to the SQLite file, else the system's temporary
directory) under ``announcements/``, named by a hash of text, voice, engine version and
rate (``voice.cache.PromptCache``), so every process of one machine shares the files.

``GET /api/v1/announcements/{key}.wav``, key ``{ticket number}-{counter}`` (``A042-3``),
is public like the board: it says only a number and a window, both already on the board.
Only numbers with a prefix of the catalog and known counters are accepted (bounded input,
bounded cache). When synthesis fails the route answers 503, the fault is logged and shown
on the staff monitoring page (``Announcer.fault``); the board shows the call regardless.

``HALL_ESPEAK_NG`` names the espeak-ng program (default ``espeak-ng`` on PATH).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import struct
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import make_url

from voice.cache import PromptCache
from voice.espeak import DEFAULT_RATE, ESPEAK_NG, prepare
from voice.playback import wav_duration
from voice.text import spell_ticket_number, window_phrase

log = logging.getLogger(__name__)

MEMORY_ITEMS = 256
SYNTH_TIMEOUT_S = 15.0
KEY_PATTERN = re.compile(r"^([A-Z]\d{1,6})-([0-9A-Za-z]{1,16})$")

router = APIRouter(tags=["board"])


class VoiceFailed(Exception):
    """The announcement could not be synthesised (engine missing, crashed, no audio)."""


def call_sentence(number: str, counter: str) -> str:
    """What the hall says for a call, as written: ``请 A042 号 到 3号窗口办理``."""
    return f"请 {number} 号 到 {window_phrase(counter)}办理"


def spoken_sentence(number: str, counter: str) -> str:
    """The sentence with the number already spelled (``请 A 零 四 二 号 到 3号窗口办理``),
    as given to ``voice.espeak.prepare`` — a queue number is always read digit by digit."""
    return f"请 {spell_ticket_number(number)} 号 到 {window_phrase(counter)}办理"


def announcement_key(number: str, counter: str) -> str:
    return f"{number}-{counter}"


def audio_url(number: str, counter: str) -> str:
    return f"/api/v1/announcements/{announcement_key(number, counter)}.wav"


def fix_wav_sizes(wav: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back, so its RIFF and data chunk sizes say
    "2 GB"; browsers then report a wrong duration. Set them to the real sizes."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise VoiceFailed("espeak-ng produced no WAV audio")
    out = bytearray(wav)
    out[4:8] = struct.pack("<I", len(wav) - 8)
    pos = 12
    while pos + 8 <= len(out):
        chunk = bytes(out[pos : pos + 4])
        size = struct.unpack_from("<I", out, pos + 4)[0]
        if chunk == b"data":
            out[pos + 4 : pos + 8] = struct.pack("<I", len(out) - pos - 8)
            return bytes(out)
        pos += 8 + size + (size & 1)
    raise VoiceFailed("espeak-ng's WAV has no data chunk")


def default_cache_dir(database_url: str) -> Path:
    data_dir = os.environ.get("HALL_DATA_DIR")
    if data_dir:
        return Path(data_dir) / "announcements"
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "announcements"
    return Path(tempfile.gettempdir()) / "hall-announcements"


class Announcer:
    """Synthesises and caches call announcements; safe from any thread."""

    def __init__(
        self, cache_dir: str | os.PathLike[str], *, rate: int = DEFAULT_RATE, program: str = ""
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.rate = rate
        self.program = program or os.environ.get("HALL_ESPEAK_NG") or ESPEAK_NG
        self._disk: PromptCache | None = None
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._version: str | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="announce-warm")
        self.fault: str | None = None
        """The last synthesis failure, in Chinese for staff; None once synthesis works."""
        self.fault_at: dt.datetime | None = None
        self.synthesised = 0
        self.failures = 0

    @classmethod
    def from_env(cls, database_url: str) -> Announcer:
        return cls(default_cache_dir(database_url))

    def _engine_version(self) -> str:
        if self._version is None:
            try:
                done = subprocess.run(
                    [self.program, "--version"], capture_output=True, text=True, timeout=5
                )
                self._version = done.stdout.strip().split("\n")[0][:80] or "?"
            except (OSError, subprocess.SubprocessError):
                self._version = "?"
        return self._version

    def _cache(self) -> PromptCache | None:
        if self._disk is None:
            try:
                self._disk = PromptCache(self.cache_dir)
            except OSError as exc:
                log.warning("announcement cache %s unusable (memory only): %s", self.cache_dir, exc)
                return None
        return self._disk

    def wav(self, number: str, counter: str) -> bytes:
        """The announcement's WAV; raises VoiceFailed (the fault is recorded)."""
        voice, spoken = prepare(spoken_sentence(number, counter))
        tag = f"{voice}|{self._engine_version()}"
        key = PromptCache.key(spoken, tag, self.rate)
        with self._lock:
            cached = self._memory.get(key)
            if cached is not None:
                self._memory.move_to_end(key)
                return cached
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one synthesis per text, however many boards ask at once
            with self._lock:
                cached = self._memory.get(key)
            disk = self._cache()
            if cached is None and disk is not None:
                cached = disk.get(spoken, tag, self.rate)
            if cached is None:
                cached = self._synthesise(voice, spoken)
                if disk is not None:
                    try:
                        disk.put(spoken, tag, self.rate, cached)
                    except OSError as exc:
                        log.warning("announcement not cached on disk: %s", exc)
            with self._lock:
                self._memory[key] = cached
                self._memory.move_to_end(key)
                while len(self._memory) > MEMORY_ITEMS:
                    self._memory.popitem(last=False)
                self._key_locks.pop(key, None)
        return cached

    def _synthesise(self, voice: str, spoken: str) -> bytes:
        started = time.monotonic()
        try:
            done = subprocess.run(
                [self.program, "-v", voice, "-s", str(self.rate), "--stdout"],
                input=spoken.encode(),
                capture_output=True,
                timeout=SYNTH_TIMEOUT_S,
                check=True,
            )
            wav = fix_wav_sizes(done.stdout)
            if wav_duration(wav) <= 0:
                raise VoiceFailed("espeak-ng produced no audio")
        except (OSError, subprocess.SubprocessError, VoiceFailed, ValueError) as exc:
            self.failures += 1
            self.fault = f"叫号语音合成失败（{type(exc).__name__}），叫号仍显示在大屏上"
            self.fault_at = dt.datetime.now(dt.UTC)
            log.error("call announcement synthesis failed (%s): %s", self.program, exc)
            raise VoiceFailed(str(exc)) from exc
        self.synthesised += 1
        self.fault = None
        self.fault_at = None
        log.debug("announcement synthesised in %.0f ms", (time.monotonic() - started) * 1000)
        return wav

    def start(self) -> Future[None] | None:
        """Load the text preparation (pypinyin's dictionaries, ~0.5 s) and ask the engine
        its version in the background, so the first call is not the one to pay for it.
        Returns the priming's future (None when shutting down): the dictionaries are
        ~190k objects that live as long as the server, which the app freezes once they
        are loaded (``hall.app``)."""
        try:
            return self._pool.submit(self._prime)
        except RuntimeError:
            return None

    def _prime(self) -> None:
        prepare(spoken_sentence("A001", "1"))
        self._engine_version()

    def warm(self, number: str, counter: str) -> None:
        """Synthesise in the background (right after a call, before the boards ask)."""
        try:
            self._pool.submit(self._warm, number, counter)
        except RuntimeError:  # shutting down
            pass

    def _warm(self, number: str, counter: str) -> None:
        try:
            self.wav(number, counter)
        except VoiceFailed:
            pass  # recorded; the board's request will report it again

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


async def warm_on_calls(app: Any) -> None:
    """Synthesise each call's and recall's announcement as soon as its event arrives (in
    every server process: each keeps its own memory cache), until cancelled."""
    announcer: Announcer = app.state.announcer
    with app.state.events.subscription(lambda e: e.kind in ("call", "recall")) as queue:
        while True:
            event = await queue.get()
            if event.ticket_number and event.counter_id:
                announcer.warm(event.ticket_number, event.counter_id)


def parse_key(request: Request, key: str) -> tuple[str, str] | None:
    """(number, counter) if the key names a number of this hall's catalog and a known
    counter, else None."""
    match = KEY_PATTERN.match(key)
    if match is None:
        return None
    number, counter = match.groups()
    catalog = request.app.state.catalog
    if number[0] not in {g.prefix for g in catalog.groups}:
        return None
    if not any(counter in g.counters for g in catalog.groups):
        return None
    return number, counter


@router.get(
    "/api/v1/announcements/{key}.wav",
    responses={
        200: {"content": {"audio/wav": {}}, "description": "the spoken call"},
        404: {"description": "not a number of this hall or an unknown counter"},
        503: {"description": "the voice engine failed (reported on the staff page)"},
    },
)
async def announcement(key: str, request: Request) -> Response:
    """The spoken call "请 A042 号 到 3号窗口办理" (key ``A042-3``).

    Authorization: none — public like the board; it says only a ticket number and a window.
    """
    parsed = parse_key(request, key[:40])
    if parsed is None:
        return JSONResponse({"detail": "没有这个叫号（票号或窗口号不对）"}, status_code=404)
    announcer: Announcer = request.app.state.announcer
    try:
        wav = await run_in_threadpool(announcer.wav, *parsed)
    except VoiceFailed:
        return JSONResponse(
            {"detail": "叫号语音暂时无法合成，已通知工作人员"},
            status_code=503,
            headers={"Cache-Control": "no-store"},
        )
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "public, max-age=3600"})
