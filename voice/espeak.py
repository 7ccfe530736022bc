"""Mandarin speech with pyttsx3 driving espeak-ng, owned by one worker thread.

Why it is built this way (see shared/DEVICES.md, "Voice (TTS)"):

- **Correct Mandarin.** Debian 12's espeak-ng 1.51 ``cmn`` voice reads Chinese characters
  as pinyin plus English tone numbers ("hao four"). Chinese text is therefore converted to
  tone-numbered pinyin (``voice.text.pinyin_for_speech``) and spoken with the
  ``cmn-latn-pinyin`` voice, which says pinyin syllables and single letters properly.
  Text with no Chinese and an English word in it is spoken with the ``en`` voice.
- **One thread owns the engine.** pyttsx3's ``runAndWait`` must run in the thread that
  created the engine, so a worker thread creates it and takes jobs from a queue. ``say``,
  ``stop`` and ``close`` only touch the queue and the player: they return within
  milliseconds, so the GUI never stalls.
- **Interruptible playback.** The worker synthesises a whole utterance to WAV in memory
  (pyttsx3 ``save_to_file``: about 10–20 ms for a 5 s sentence here) and streams it to an
  ``aplay`` child process that ``say``/``stop`` can terminate at once. Volume is applied to
  the samples as they are streamed, so cached prompts serve every volume.
- **No sound card.** ``aplay -l`` is read at start; with no card ``.available`` is False,
  nothing is spoken, one warning is logged for staff, and nothing raises. A playback that
  fails later does the same. ``save_wav`` and ``phonemes`` still work (they need no card).
- **pyttsx3 2.99 quirks handled here** (each has a test that fails without its fix): a new
  engine's first ``runAndWait`` returns before the WAV is written (``default_engine``
  primes it); ``runAndWait`` can cancel a just-set rate (``_await_espeak_queue``); espeak-ng's
  synthesis callback is process-wide and the newest engine takes it (``_bind_callback``
  under ``_ESPEAK_LOCK``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voice.base import Voice
from voice.cache import DEFAULT_PROMPTS, PromptCache
from voice.playback import (
    AplayPlayer,
    Playback,
    Player,
    scale_frames,
    sound_card_present,
    wav_duration,
)
from voice.text import english_for_speech, is_mandarin, pinyin_for_speech

log = logging.getLogger(__name__)

MANDARIN_VOICE = "cmn-latn-pinyin"
ENGLISH_VOICE = "en"
ESPEAK_NG = "espeak-ng"  # the command-line program, for phonemes
DEFAULT_RATE = 150  # words (pinyin syllables) per minute: ~2.5 syllables/s, unhurried for elders
MIN_RATE, MAX_RATE = 80, 450  # espeak-ng's usable range
JOB_TIMEOUT_S = 30.0  # a save_wav call waits at most this long for the worker
CLOSE_TIMEOUT_S = 5.0

# espeak-ng keeps its voice, rate and synthesis callback per process, not per engine: every
# use of the library (by any EspeakVoice in the process) holds this lock.
_ESPEAK_LOCK = threading.Lock()


class Engine(Protocol):
    """The part of a pyttsx3 engine used here (a test can inject a stub)."""

    def setProperty(self, name: str, value: object) -> None: ...

    def save_to_file(self, text: str, filename: str) -> None: ...

    def runAndWait(self) -> None: ...


def prepare(text: str) -> tuple[str, str]:
    """(espeak voice, text given to it) for what the kiosk wants said."""
    if is_mandarin(text):
        return MANDARIN_VOICE, pinyin_for_speech(text)
    return ENGLISH_VOICE, english_for_speech(text)


# English words for digits as espeak-ng writes them (stress marks and tones removed): what
# the stock ``cmn`` voice says for tone numbers ("hao four") and for digits.
ENGLISH_NUMBER_PHONEMES = (
    "zi@roU",
    "w0n",
    "wVn",
    "tu:",
    "Tri:",
    "fo@",
    "faIv",
    "sIks",
    "sEv@n",
    "eIt",
    "naIn",
)


def pronunciation_problems(mnemonics: str) -> list[str]:
    """Signs in espeak-ng phonemes that speech fell back to English; empty when clean.

    A ``(en)`` language switch, or an English number word (how espeak-ng 1.51's ``cmn``
    voice reads tone numbers and digits). For tests of every prompt the kiosk speaks.
    """
    problems = []
    if "(en)" in mnemonics:
        problems.append("switches to English: (en)")
    bare = re.sub(r"[0-9',_|]", "", mnemonics)
    problems += [f"English number word {w!r}" for w in ENGLISH_NUMBER_PHONEMES if w in bare]
    return problems


def _driver_print(*args: object, **_: object) -> None:
    # pyttsx3's espeak driver prints "Audio saved to ..." for every file; keep it in the log.
    log.debug("pyttsx3: %s", " ".join(str(a) for a in args))


def default_engine() -> Engine:
    """A new pyttsx3 engine on the espeak driver (not ``pyttsx3.init``'s shared one, which
    would belong to whichever thread made it first)."""
    import pyttsx3
    from pyttsx3.drivers import espeak as espeak_driver

    espeak_driver.print = _driver_print  # type: ignore[attr-defined]
    engine: Engine = pyttsx3.Engine("espeak")
    # pyttsx3 2.99 leaves a new engine in a state where the next runAndWait returns before
    # the WAV is written: its driver starts "busy", so the first run executes its queued
    # end-of-loop command before synthesis starts; and when espeak-ng is still applying the
    # driver's initial settings, that command sets a "stopping" flag that cancels the next
    # synthesis (measured: 56 of 200 new engines). Empty runs, each once espeak-ng's queue
    # is empty, clear both; from then on runAndWait returns only when the file is written.
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    for _ in range(3):
        _await_espeak_queue(engine)
        engine.runAndWait()
        if not getattr(driver, "_stopping", False):
            break
    return engine


def espeak_library_version() -> str:
    """Version of the libespeak-ng that pyttsx3 loaded, e.g. "1.51"."""
    from pyttsx3.drivers import _espeak

    info = _espeak.dll.espeak_Info
    info.restype = ctypes.c_char_p
    return (info(None) or b"?").decode()


def _await_espeak_queue(engine: object, timeout: float = 2.0) -> None:
    """Wait (a few ms) until espeak-ng has applied the parameters just set.

    pyttsx3 runs espeak-ng asynchronously: ``setProperty("rate")`` only queues the change,
    and ``runAndWait`` cancels that queue if it is not yet empty — the rate would be lost
    about half the time (measured: 39 of 80 utterances at the wrong rate).
    """
    if getattr(engine, "proxy", None) is None:
        return  # not a pyttsx3 engine (a test stub)
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.0005)


def _bind_callback(engine: object) -> None:
    """Point espeak-ng's process-wide synthesis callback at this engine's driver.

    pyttsx3 sets it when a driver is made, so with two engines in a process the older
    one's audio would go to the newer one's driver and its file would never be written.
    """
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    on_synth = getattr(driver, "_onSynth", None)
    if on_synth is not None:
        from pyttsx3.drivers import _espeak

        _espeak.SetSynthCallback(on_synth)


_CHILD: dict[str, Any] = {}  # in the engine process: its pyttsx3 engine and scratch folder


def _child_synthesize(voice: str, spoken: str, rate: int) -> bytes:
    """Runs in the engine process (see ``ProcessEngine``)."""
    if "engine" not in _CHILD:
        _CHILD["engine"] = default_engine()
        _CHILD["dir"] = Path(tempfile.mkdtemp(prefix="kiosk-voice-child-"))
    return synthesize(_CHILD["engine"], voice, spoken, rate, _CHILD["dir"] / "utterance.wav")


class ProcessEngine:
    """pyttsx3 + libespeak-ng in a child process of their own, so synthesis (CPU-bound, and
    holding the GIL for much of it) never stalls the GUI thread's event loop."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self.synthesize("cmn-latn-pinyin", "ni3 hao3", DEFAULT_RATE)  # start and warm it now

    def synthesize(self, voice: str, spoken: str, rate: int) -> bytes:
        return self._pool.submit(_child_synthesize, voice, spoken, rate).result(timeout=60)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def synthesize(engine: Engine, voice: str, spoken: str, rate: int, out: Path) -> bytes:
    """WAV bytes of ``spoken`` (already prepared) in espeak ``voice`` at ``rate`` words per
    minute, full volume; ``out`` is a scratch file. Call from the engine's own thread."""
    with _ESPEAK_LOCK:
        _bind_callback(engine)
        engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
        engine.setProperty("volume", 1.0)  # volume is applied at playback
        _await_espeak_queue(engine)
        engine.save_to_file(spoken, str(out))
        engine.runAndWait()
    try:
        wav = out.read_bytes()
    except FileNotFoundError:
        wav = b""
    finally:
        out.unlink(missing_ok=True)
    if not wav or wav_duration(wav) == 0:
        raise RuntimeError(f"espeak-ng produced no audio for {spoken!r}")
    return wav


def phonemes(text: str) -> str:
    """espeak-ng's phoneme mnemonics (as ``espeak-ng -x``) for ``text`` prepared exactly as
    ``EspeakVoice.say`` prepares it — the proof that speech does not fall back to English.

    Runs the ``espeak-ng`` program: it links the same libespeak-ng and data that pyttsx3
    loads (tests check the versions match), and unlike the library's ``TextToPhonemes`` it
    goes through synthesis, so tone changes between syllables show as they are spoken.
    """
    voice, spoken = prepare(text)
    done = subprocess.run(
        [ESPEAK_NG, "-v", voice, "-x", "-q"],
        input=spoken,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return " ".join(done.stdout.split())


def load_for_speech() -> None:
    """Load what every utterance uses in this process: pypinyin's dictionaries (~0.25 s of
    CPU) and numpy (the volume, ~0.15 s). The voice's worker does it when it starts (after
    the home screen): loaded by the first utterance instead, the imports held the GIL — the
    GUI thread stalled ~100 ms while the first screen of a visit was spoken."""
    prepare("你好")
    scale_frames(b"\0\0", 0.5)


@dataclass
class _Job:
    kind: str  # "speak", "save", "warm"
    text: str
    generation: int = 0
    path: Path | None = None
    future: Future[Any] | None = field(default=None, compare=False)


class EspeakVoice(Voice):
    """Mandarin (and English) speech through pyttsx3 + espeak-ng; see the module docstring.

    ``rate`` is in words per minute (a pinyin syllable is a word). ``cache_dir`` keeps the
    fixed prompts' WAV files across restarts; None uses a temporary directory removed on
    ``close``. ``prompts`` are synthesised into the cache at start (default: greeting,
    请刷身份证, digits, letters; only when a sound card is present). ``engine_factory``,
    ``player`` and ``sound_card`` (None = detect with ``aplay -l``) are for tests and
    benchmarks. ``start=False`` leaves the worker (and its synthesis process, ~0.3 s of
    CPU, seconds on a loaded machine) and the sound card's detection to ``start()`` or the
    first use: the kiosk starts it once the home screen is shown (``.available`` is True
    until then).
    """

    def __init__(
        self,
        volume: float = 0.8,
        enabled: bool = True,
        rate: int = DEFAULT_RATE,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        prompts: Iterable[str] | None = None,
        engine_factory: Callable[[], Engine] | None = None,
        player: Player | None = None,
        sound_card: bool | None = None,
        start: bool = True,
    ) -> None:
        super().__init__(volume, enabled)
        self.rate = self._clamp_rate(rate)
        self.dropped = 0  # utterances replaced or stopped before they were played
        self.unavailable_reason = ""
        self._engine_factory = engine_factory or default_engine
        self._player: Player = player or AplayPlayer()
        self._tmp = tempfile.TemporaryDirectory(prefix="kiosk-voice-")
        self._work = Path(self._tmp.name)
        self.cache = PromptCache(cache_dir if cache_dir is not None else self._work / "cache")
        self._prompts: set[str] = set()
        self._engine_version = "?"
        self._cond = threading.Condition()
        self._speech: deque[_Job] = deque()  # at most one: a new say() replaces it
        self._tasks: deque[_Job] = deque()  # save_wav, cache warm-up
        self._generation = 0  # bumped by say/stop: a job of an older generation is not played
        self._playback: Playback | None = None
        self._closing = False
        self._closed = False

        # ``aplay -l`` is a process too (0.2 s on a loaded kiosk): a deferred voice looks
        # for the card when it starts
        self._detect_card = sound_card is None and not start
        if sound_card is None and start:
            sound_card, reason = sound_card_present()
        else:
            reason = "sound card disabled by configuration"
        if sound_card is not None and not sound_card:
            self._mark_unavailable(reason)

        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voice-espeak", daemon=True)
        self._start_lock = threading.Lock()
        if start:
            self.start()
        self.add_prompts(DEFAULT_PROMPTS if prompts is None else prompts)

    def start(self) -> None:
        """Start the worker thread and its engine (once; waits until the engine is up)."""
        with self._start_lock:
            if self._thread.ident is not None or self._closed:
                return
            if self._detect_card:
                found, reason = sound_card_present()
                if not found:
                    self._mark_unavailable(reason)
                    with self._cond:  # the prompts are cached for playback only
                        self._tasks = deque(j for j in self._tasks if j.kind != "warm")
            self._thread.start()
        self._ready.wait(timeout=CLOSE_TIMEOUT_S)

    # -- caller side: every method here returns within milliseconds -----------------------

    def _say(self, text: str) -> None:
        if self._closed or not self.available:
            return
        if self._thread.ident is None:
            # not started yet (``start=False``): start it off this thread, speak once up
            threading.Thread(target=self.start, name="voice-start", daemon=True).start()
        with self._cond:
            self._drop_speech_locked()
            self._speech.append(_Job("speak", text, self._generation))
            self._cond.notify()

    def stop(self) -> None:
        """Silence now: drop what is waiting and end what is playing."""
        with self._cond:
            self._drop_speech_locked()

    def set_rate(self, rate: int) -> None:
        """Speaking rate in words per minute (clamped to 80–450); applies to the next
        utterance. Cached prompts are re-synthesised for the new rate in the background."""
        self.rate = self._clamp_rate(rate)
        self.add_prompts(self._prompts)

    def add_prompts(self, texts: Iterable[str]) -> None:
        """Register fixed prompts: synthesised into the cache in the background (when a sound
        card is present), then played from it without synthesis."""
        texts = [t for t in texts if t.strip()]
        with self._cond:
            self._prompts.update(texts)
            if self.available and not self._closing:
                self._tasks.extend(_Job("warm", t) for t in texts)
                self._cond.notify()

    def save_wav(self, text: str, path: str | os.PathLike[str]) -> Path:
        """Synthesise ``text`` (as ``say`` would speak it, at full volume) to a WAV file.

        Needs no sound card. Blocks until written (tens of milliseconds); raises on failure.
        """
        result: Path = self._submit(_Job("save", text, path=Path(path)))
        return result

    def phonemes(self, text: str) -> str:
        """``phonemes(text)``: what this voice's engine makes of ``text``, as mnemonics."""
        return phonemes(text)

    def close(self) -> None:
        """Stop speaking, end the worker thread and remove temporary files; safe twice."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._closing = True
            pending = [*self._speech, *self._tasks]
            self._speech.clear()
            self._tasks.clear()
            self._drop_speech_locked()
            self._cond.notify_all()
        for job in pending:
            if job.future is not None:
                job.future.set_exception(RuntimeError("voice closed"))
        with self._start_lock:  # never started: nothing to wait for
            started = self._thread.ident is not None
        if not started:
            self._tmp.cleanup()
            return
        self._thread.join(timeout=CLOSE_TIMEOUT_S)
        if self._thread.is_alive():  # stuck in the engine: leave its files to it
            log.warning("voice: worker thread did not end within %.0f s", CLOSE_TIMEOUT_S)
        else:
            self._tmp.cleanup()

    # -- helpers shared by both sides -------------------------------------------------------

    @staticmethod
    def _clamp_rate(rate: int) -> int:
        return int(min(MAX_RATE, max(MIN_RATE, rate)))

    def _drop_speech_locked(self) -> None:
        self.dropped += len(self._speech)
        self._speech.clear()
        self._generation += 1
        if self._playback is not None:
            self._playback.stop()

    def _mark_unavailable(self, reason: str) -> None:
        """No sound: speak nothing from now on and tell staff once (through the log and
        ``.available``, which the kiosk reports)."""
        if not self.available:
            return
        self.available = False
        self.unavailable_reason = reason
        log.warning("voice: no sound output, speech is off: %s", reason)

    def _submit(self, job: _Job) -> Any:
        self.start()  # a caller that waits for the result may wait for the start too
        job.future = Future()
        with self._cond:
            if self._closing:
                raise RuntimeError("voice closed")
            self._tasks.appendleft(job)  # ahead of cache warm-up
            self._cond.notify()
        return job.future.result(timeout=JOB_TIMEOUT_S)

    # -- worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        engine: Engine | None = None
        engine_error: Exception | None = None
        try:
            if self._engine_factory is default_engine:
                engine = ProcessEngine()  # type: ignore[assignment]
                self._engine_version = espeak_library_version()
            else:
                with _ESPEAK_LOCK:
                    engine = self._engine_factory()
            if self.available:
                load_for_speech()
        except Exception as exc:  # no libespeak-ng, broken install: run silently
            engine_error = exc
            self._mark_unavailable(f"speech engine failed to start: {exc}")
        finally:
            self._ready.set()
        try:
            while True:
                with self._cond:
                    while not (self._speech or self._tasks or self._closing):
                        self._cond.wait()
                    if self._closing:
                        return
                    job = self._speech.popleft() if self._speech else self._tasks.popleft()
                try:
                    if engine is None:
                        raise RuntimeError("speech engine unavailable") from engine_error
                    result = self._do(engine, job)
                except Exception as exc:
                    if job.future is not None:
                        job.future.set_exception(exc)
                    else:
                        log.exception("voice: %s of %r failed", job.kind, job.text)
                else:
                    if job.future is not None:
                        job.future.set_result(result)
        finally:
            if isinstance(engine, ProcessEngine):
                engine.shutdown()
            engine = None  # released here, in the thread that made it

    def _do(self, engine: Engine, job: _Job) -> object:
        if job.kind == "speak":
            self._speak(engine, job)
        elif job.kind == "warm":
            self._audio(engine, job.text, store=True)
        elif job.kind == "save":
            assert job.path is not None
            voice, spoken = prepare(job.text)
            if not spoken.strip():
                raise ValueError(f"nothing to say in {job.text!r}")
            job.path.write_bytes(self._synthesize(engine, voice, spoken, self.rate))
            return job.path
        return None

    def _audio(self, engine: Engine, text: str, *, store: bool) -> bytes | None:
        """WAV for ``text``: from the cache, else synthesised (and cached if ``store``)."""
        voice, spoken = prepare(text)
        if not spoken.strip():
            return None
        rate = self.rate
        voice_id = f"espeak-ng {self._engine_version} {voice}"
        if store and (spoken, voice_id, rate) in self.cache:
            return None  # warm-up of a prompt that is already there
        wav = None if store else self.cache.get(spoken, voice_id, rate)
        if wav is None:
            wav = self._synthesize(engine, voice, spoken, rate)
            if store or text in self._prompts:
                self.cache.put(spoken, voice_id, rate, wav)
        return wav

    def _synthesize(self, engine: Engine, voice: str, spoken: str, rate: int) -> bytes:
        if isinstance(engine, ProcessEngine):
            return engine.synthesize(voice, spoken, rate)
        return synthesize(engine, voice, spoken, rate, self._work / "utterance.wav")

    def _speak(self, engine: Engine, job: _Job) -> None:
        wav = self._audio(engine, job.text, store=False)
        if wav is None:
            return
        with self._cond:
            if job.generation != self._generation or self._closing or not self.available:
                self.dropped += 1  # interrupted while it was being synthesised
                return
            try:
                playback = self._player.start(wav, self.volume)
            except OSError as exc:
                self._mark_unavailable(f"cannot start playback: {exc}")
                return
            self._playback = playback
            started = time.monotonic()
        ok = playback.wait()
        with self._cond:
            if self._playback is playback:
                self._playback = None
        if not ok:
            self._mark_unavailable(f"playback failed: {playback.error}")
        else:
            log.debug("voice: played %r in %.2f s", job.text, time.monotonic() - started)
