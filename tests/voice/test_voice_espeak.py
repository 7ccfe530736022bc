"""EspeakVoice: one worker thread owns the engine; callers never wait; no sound card is fine.

The real pyttsx3 + espeak-ng engine is used where audio is made (save_wav, the cache); a
stub engine and player make the queueing and interruption observable without sound.
"""

from __future__ import annotations

import io
import logging
import subprocess
import threading
import time
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest
from voice_stubs import SAMPLE, StubEngine, StubPlayer, wait_until

from voice import playback
from voice.base import create_voice
from voice.cache import GREETING, TAP_ID_CARD
from voice.espeak import (
    DEFAULT_RATE,
    MANDARIN_VOICE,
    EspeakVoice,
    default_engine,
    prepare,
    synthesize,
)
from voice.playback import AplayPlayer, sound_card_present, wav_duration
from voice.text import pinyin_for_speech

log = logging.getLogger(__name__)


def no_card_here() -> bool:
    try:
        out = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5)
    except OSError:
        return True
    return "card " not in out.stdout


@pytest.fixture
def stub() -> Iterator[tuple[EspeakVoice, StubEngine, StubPlayer]]:
    engine = StubEngine()
    player = StubPlayer()
    voice = EspeakVoice(
        volume=1.0, engine_factory=lambda: engine, player=player, sound_card=True, prompts=()
    )
    yield voice, engine, player
    voice.close()


def spoken(text: str) -> str:
    return prepare(text)[1]


# -- no sound card --------------------------------------------------------------------------


@pytest.mark.skipif(not no_card_here(), reason="this machine has a sound card")
def test_no_sound_card_is_detected_and_nothing_raises(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="voice")
    assert sound_card_present()[0] is False

    voice = EspeakVoice()  # real detection, real engine
    assert voice.available is False
    assert "no sound card" in voice.unavailable_reason
    timings = {}
    for name, call in [
        ("say", lambda: voice.say("请A042号到3号窗口办理")),
        ("stop", voice.stop),
        ("say2", lambda: voice.say("请刷身份证")),
        ("reset", voice.reset),
        ("close", voice.close),
        ("close again", voice.close),
    ]:
        start = time.perf_counter()
        call()
        timings[name] = (time.perf_counter() - start) * 1000
    log.info("caller-side ms: %s", timings)
    assert all(ms < 1000 for ms in timings.values()), timings  # typically < 5 ms
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "speech is off" in warnings[0].getMessage()
    assert not voice._thread.is_alive()


@pytest.mark.skipif(not no_card_here(), reason="this machine has a sound card")
def test_aplay_fails_without_a_card_and_says_why() -> None:
    wav = subprocess.run(
        ["espeak-ng", "-v", MANDARIN_VOICE, "--stdout", "ni3 hao3"],
        capture_output=True,
        check=True,
    ).stdout
    play = AplayPlayer().start(wav)
    assert play.wait() is False
    assert play.error


def test_missing_aplay_means_no_sound_card(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(playback, "APLAY", "aplay-that-does-not-exist")
    present, reason = sound_card_present()
    assert present is False and "alsa-utils" in reason
    voice = EspeakVoice(prompts=())  # detection as in the kiosk, on any machine
    try:
        assert voice.available is False and "alsa-utils" in voice.unavailable_reason
        voice.say("请刷身份证")
    finally:
        voice.close()


def test_a_failing_playback_turns_speech_off_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="voice")
    player = StubPlayer(fail="aplay: main:831: audio open error: No such file or directory")
    voice = EspeakVoice(
        engine_factory=StubEngine, player=player, sound_card=True, prompts=(GREETING,)
    )
    try:
        assert voice.available
        voice.say("请刷身份证")
        wait_until(lambda: not voice.available)
        assert "audio open error" in voice.unavailable_reason
        voice.say("请刷身份证")
        voice.say("再说一次")
        time.sleep(0.05)
        assert len(player.playbacks) == 1  # nothing more is tried
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
    finally:
        voice.close()


def test_engine_that_cannot_start_leaves_a_silent_voice() -> None:
    def broken() -> StubEngine:
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    voice = EspeakVoice(engine_factory=broken, player=StubPlayer(), sound_card=True)
    try:
        assert voice.available is False
        assert "eSpeak" in voice.unavailable_reason
        voice.say("您好")
        with pytest.raises(RuntimeError, match="unavailable"):
            voice.save_wav("您好", "/dev/null")
    finally:
        voice.close()


# -- the real engine ------------------------------------------------------------------------


def read_wav(path: Path) -> tuple[wave._wave_params, bytes]:
    with wave.open(str(path)) as reader:
        return reader.getparams(), reader.readframes(reader.getnframes())


def test_save_wav_makes_a_wave_file_whose_length_follows_the_text(tmp_path: Path) -> None:
    voice = EspeakVoice(sound_card=False)  # real pyttsx3 + espeak-ng; no card needed
    try:
        short = voice.save_wav("请刷身份证", tmp_path / "short.wav")
        long = voice.save_wav(
            "请A042号到3号窗口办理，前面还有12人，请耐心等候", tmp_path / "long.wav"
        )
    finally:
        voice.close()
    for path in (short, long):
        data = path.read_bytes()
        assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
        params, frames = read_wav(path)
        assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
        assert max(abs(s) for s in array("h", frames)) > 1000  # speech, not silence
    d_short = wav_duration(short.read_bytes())
    d_long = wav_duration(long.read_bytes())
    log.info("durations: short %.2f s, long %.2f s", d_short, d_long)
    # 5 syllables vs 25 at 150 syllables a minute: about 2 s and 10 s
    assert 0.8 < d_short < 4.0
    assert d_long > 3 * d_short


def test_first_synthesis_of_every_new_engine_is_complete(tmp_path: Path) -> None:
    # pyttsx3 can leave a new engine so that its first runAndWait returns before espeak-ng
    # has finished, or cancels it (see default_engine): the WAV would be missing, empty or
    # short. It hit about one new engine in three, so many are tried (here, in this thread).
    spoken = pinyin_for_speech("请A042号到3号窗口办理，前面还有12人，请耐心等候。" * 2)
    durations = []
    for _ in range(20):
        engine = default_engine()
        wav = synthesize(engine, MANDARIN_VOICE, spoken, DEFAULT_RATE, tmp_path / "u.wav")
        durations.append(wav_duration(wav))
        del engine
    assert min(durations) > 10 and max(durations) - min(durations) < 0.5, durations


def test_rate_changes_the_real_speech_length_every_time(tmp_path: Path) -> None:
    # pyttsx3 queues a rate change inside espeak-ng and can cancel it; it must never be lost
    voice = EspeakVoice(sound_card=False, rate=DEFAULT_RATE, prompts=())
    durations: dict[int, list[float]] = {150: [], 300: []}
    try:
        for i in range(8):
            rate = (150, 300)[i % 2]
            voice.set_rate(rate)
            wav = voice.save_wav("请到三号窗口办理业务", tmp_path / f"{i}.wav").read_bytes()
            durations[rate].append(wav_duration(wav))
        voice.set_rate(10_000)
        assert voice.rate == 450
    finally:
        voice.close()
    log.info("durations by rate: %s", durations)
    assert max(durations[300]) < 0.75 * min(durations[150]), durations


def test_two_real_voices_in_one_process_both_work(tmp_path: Path) -> None:
    # espeak-ng's synthesis callback is process-wide; each voice re-binds its own under a lock
    first = EspeakVoice(sound_card=False, prompts=())
    second = EspeakVoice(sound_card=False, prompts=())
    try:
        results: list[Path] = []

        def save(voice: EspeakVoice, name: str) -> None:
            for i in range(3):
                results.append(voice.save_wav("请刷身份证", tmp_path / f"{name}{i}.wav"))

        threads = [
            threading.Thread(target=save, args=(v, n)) for v, n in [(first, "a"), (second, "b")]
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(results) == 6
        # espeak-ng's output varies by a few milliseconds between runs; a lost callback
        # would give an empty file or a hang instead
        durations = [wav_duration(p.read_bytes()) for p in results]
        assert min(durations) > 1.0 and max(durations) < 1.1 * min(durations)
    finally:
        first.close()
        second.close()


def test_engine_is_created_and_used_only_in_the_worker_thread(
    stub: tuple[EspeakVoice, StubEngine, StubPlayer],
) -> None:
    voice, engine, _ = stub
    voice.save_wav("您好", "/dev/null")
    assert engine.thread is voice._thread
    assert engine.thread is not threading.current_thread()


def test_worker_thread_ends_on_close_and_close_is_safe_twice() -> None:
    voice = EspeakVoice(sound_card=False)
    assert voice._thread.is_alive()
    voice.close()
    assert not voice._thread.is_alive()
    voice.close()
    voice.say("关闭后不说话")
    with pytest.raises(RuntimeError):
        voice.save_wav("关闭后", "/dev/null")


def test_create_voice_builds_the_espeak_backend(tmp_path: Path) -> None:
    voice = create_voice(
        "espeak", volume=0.6, enabled=False, rate=120, cache_dir=str(tmp_path / "c")
    )
    try:
        assert isinstance(voice, EspeakVoice)
        assert (voice.default_volume, voice.enabled, voice.rate) == (0.6, False, 120)
        assert voice.cache.directory == tmp_path / "c"
    finally:
        voice.close()


# -- queue, interruption, volume (stub engine and player) -----------------------------------


def test_second_say_drops_the_queued_first(
    stub: tuple[EspeakVoice, StubEngine, StubPlayer],
) -> None:
    voice, engine, player = stub
    busy = threading.Event()
    engine.hold[spoken("请稍候")] = busy
    voice.say("请稍候")  # the worker is now synthesising this one
    assert engine.entered.wait(5)
    voice.say("请刷身份证")  # queued
    voice.say("请到三号窗口")  # replaces it in the queue
    busy.set()
    wait_until(lambda: len(player.playbacks) == 1)
    time.sleep(0.05)
    assert [text for _, text in engine.synthesised] == [spoken("请稍候"), spoken("请到三号窗口")]
    # "请稍候" was interrupted while being made, "请刷身份证" never left the queue
    assert player.played == [engine.wavs[spoken("请到三号窗口")]]
    assert voice.dropped == 2


def test_say_interrupts_what_is_playing_and_stop_silences() -> None:
    engine = StubEngine()
    player = StubPlayer(block=True)  # each playback lasts until stopped
    voice = EspeakVoice(engine_factory=lambda: engine, player=player, sound_card=True, prompts=())
    try:
        voice.say("第一句")
        wait_until(lambda: len(player.playbacks) == 1)
        voice.say("第二句")
        assert player.playbacks[0].stopped.is_set()  # stopped from the caller's thread
        wait_until(lambda: len(player.playbacks) == 2)
        voice.stop()
        assert player.playbacks[1].stopped.is_set()
        time.sleep(0.05)
        assert len(player.playbacks) == 2
    finally:
        voice.close()


def test_caller_side_calls_do_not_wait_for_synthesis(
    stub: tuple[EspeakVoice, StubEngine, StubPlayer],
) -> None:
    voice, engine, _ = stub
    slow = threading.Event()
    engine.hold[spoken("很长的一句话")] = slow  # synthesis takes "forever"
    took = {}
    start = time.perf_counter()
    voice.say("很长的一句话")
    took["say"] = time.perf_counter() - start
    assert engine.entered.wait(5)
    for name, call in [("say", lambda: voice.say("下一句")), ("stop", voice.stop)]:
        start = time.perf_counter()
        call()
        took[name + " while busy"] = time.perf_counter() - start
    log.info("caller-side seconds: %s", took)
    assert all(s < 1.0 for s in took.values()), took  # measured: well under 1 ms
    slow.set()


def test_disabled_voice_says_nothing(stub: tuple[EspeakVoice, StubEngine, StubPlayer]) -> None:
    voice, engine, player = stub
    voice.enabled = False
    voice.say("您好")
    time.sleep(0.05)
    assert engine.synthesised == [] and player.playbacks == []


def samples(wav: bytes) -> array[int]:
    with wave.open(io.BytesIO(wav)) as reader:
        return array("h", reader.readframes(reader.getnframes()))


def test_volume_scales_playback_and_reset_restores_the_default() -> None:
    engine = StubEngine()
    player = StubPlayer()
    voice = EspeakVoice(
        volume=0.8, engine_factory=lambda: engine, player=player, sound_card=True, prompts=()
    )
    try:
        voice.say("您好")
        wait_until(lambda: len(player.playbacks) == 1)
        voice.set_volume(0.25)
        voice.say("您好")
        wait_until(lambda: len(player.playbacks) == 2)
        voice.set_volume(7)
        assert voice.volume == 1.0
        voice.reset()
        assert voice.volume == 0.8
        voice.say("您好")
        wait_until(lambda: len(player.playbacks) == 3)
        peaks = [max(samples(w)) for w in player.played]
        assert peaks == [int(SAMPLE * 0.8), int(SAMPLE * 0.25), int(SAMPLE * 0.8)]
        assert engine.props["volume"] == 1.0  # the engine always makes full-scale audio
    finally:
        voice.close()


def test_mandarin_goes_to_the_pinyin_voice_and_english_to_the_english_voice(
    stub: tuple[EspeakVoice, StubEngine, StubPlayer],
) -> None:
    voice, engine, _ = stub
    voice.save_wav("请A042号到3号窗口", "/dev/null")
    voice.save_wav("Please tap your ID card", "/dev/null")
    assert engine.synthesised == [
        ("cmn-latn-pinyin", "qing3 A ling2 si4 er4 hao4 dao4 san1 hao4 chuang1 kou3"),
        ("en", "Please tap your ID card"),
    ]
    assert engine.props["rate"] == DEFAULT_RATE


# -- cache ------------------------------------------------------------------------------------


def test_prompts_are_cached_at_start_and_then_play_without_synthesis(tmp_path: Path) -> None:
    engine = StubEngine()
    player = StubPlayer()
    voice = EspeakVoice(
        engine_factory=lambda: engine,
        player=player,
        sound_card=True,
        cache_dir=tmp_path,
        prompts=(GREETING, TAP_ID_CARD),
        volume=1.0,
    )
    try:
        wait_until(lambda: len(list(tmp_path.glob("*.wav"))) == 2)
        made = len(engine.synthesised)
        voice.say(TAP_ID_CARD)
        wait_until(lambda: len(player.playbacks) == 1)
        assert len(engine.synthesised) == made  # played from the file
        assert player.played[0] == engine.wavs[spoken(TAP_ID_CARD)]
        voice.say("前面还有3人")  # not a prompt: synthesised, not stored
        wait_until(lambda: len(player.playbacks) == 2)
        assert len(engine.synthesised) == made + 1
        assert (voice.cache.hits, voice.cache.misses) == (1, 1)
        assert len(list(tmp_path.glob("*.wav"))) == 2
    finally:
        voice.close()
    assert tmp_path.is_dir()  # a configured cache directory outlives the voice


def test_real_engine_fills_the_cache_once(tmp_path: Path) -> None:
    player = StubPlayer()
    kwargs = dict(player=player, sound_card=True, cache_dir=tmp_path, prompts=(TAP_ID_CARD,))
    voice = EspeakVoice(volume=1.0, **kwargs)  # type: ignore[arg-type]
    try:
        wait_until(lambda: len(list(tmp_path.glob("*.wav"))) == 1)
        voice.say(TAP_ID_CARD)
        wait_until(lambda: len(player.playbacks) == 1)
        cached = next(tmp_path.glob("*.wav")).read_bytes()
        assert player.played[0] == cached and cached[:4] == b"RIFF"
        assert voice.cache.hits == 1
    finally:
        voice.close()
    # a restarted kiosk finds the file: an immediate hit, nothing new written
    mtime = next(tmp_path.glob("*.wav")).stat().st_mtime_ns
    again = EspeakVoice(volume=1.0, **kwargs)  # type: ignore[arg-type]
    try:
        again.say(TAP_ID_CARD)
        wait_until(lambda: len(player.playbacks) == 2)
        assert (again.cache.hits, again.cache.misses) == (1, 0)
    finally:
        again.close()
    assert player.played[1] == cached
    assert [p.stat().st_mtime_ns for p in tmp_path.glob("*.wav")] == [mtime]


def test_default_prompts_are_not_synthesised_without_a_sound_card() -> None:
    engine = StubEngine()
    voice = EspeakVoice(engine_factory=lambda: engine, sound_card=False)
    try:
        time.sleep(0.05)
        assert engine.synthesised == []
    finally:
        voice.close()


# -- a deferred start (the kiosk starts the engine once its home screen is shown) -----------


def test_a_voice_made_with_start_false_starts_its_engine_on_start() -> None:
    made: list[StubEngine] = []

    def factory() -> StubEngine:
        made.append(StubEngine())
        return made[-1]

    voice = EspeakVoice(engine_factory=factory, player=StubPlayer(), sound_card=True,
                        prompts=(), start=False)  # fmt: skip
    try:
        assert made == [] and voice.available  # no engine, no thread, yet usable
        voice.start()
        assert len(made) == 1
        voice.start()  # once only
        assert len(made) == 1
    finally:
        voice.close()


def test_a_voice_not_started_starts_at_its_first_use(tmp_path: Path) -> None:
    made: list[StubEngine] = []

    def factory() -> StubEngine:
        made.append(StubEngine())
        return made[-1]

    player = StubPlayer()
    voice = EspeakVoice(engine_factory=factory, player=player, sound_card=True, prompts=(),
                        start=False)  # fmt: skip
    try:
        voice.say("您好")  # returns at once; the engine starts off the caller's thread
        wait_until(lambda: len(made) == 1 and made[0].synthesised, timeout=30)
        assert voice.save_wav("请刷身份证", tmp_path / "a.wav").exists()
    finally:
        voice.close()


def test_a_voice_never_started_closes_at_once() -> None:
    voice = EspeakVoice(engine_factory=StubEngine, player=StubPlayer(), sound_card=True,
                        prompts=(), start=False)  # fmt: skip
    voice.close()
    voice.start()  # after close: nothing starts
    assert not voice._thread.is_alive()
