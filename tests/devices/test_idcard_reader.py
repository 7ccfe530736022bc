"""SerialCardReader against the wire-level simulator: real bytes over TCP and a pty."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.errors import DeviceError, DeviceUnavailable
from devices.idcard import protocol as p
from devices.idcard.base import create_card_reader
from devices.idcard.card import IdCard
from devices.idcard.reader import ReaderTimeout, SerialCardReader
from devices.idcard.simulator import ReaderSimulator
from devices.idcard.virtual import load_card

CARDS = Path(__file__).resolve().parents[2] / "config" / "cards"
WAIT_S = 5.0  # upper bound for any wait; a passing test waits far less

# Fast settings for tests: seconds
FAST = {
    "poll_interval_s": 0.02,
    "command_timeout_s": 0.4,
    "reconnect_min_s": 0.05,
    "reconnect_max_s": 0.2,
}


class Recorder:
    """Collects a reader's cards, states and errors; waits on a condition, never sleeps."""

    def __init__(self, reader: SerialCardReader) -> None:
        self.cards: list[IdCard] = []
        self.states: list[tuple[str, str]] = []
        self.errors: list[DeviceError] = []
        self._changed = threading.Condition()
        reader.subscribe(self._card, self._state)
        reader.subscribe_errors(self._error)

    def _card(self, card: IdCard) -> None:
        with self._changed:
            self.cards.append(card)
            self._changed.notify_all()

    def _state(self, state: str, detail: str) -> None:
        with self._changed:
            self.states.append((state, detail))
            self._changed.notify_all()

    def _error(self, error: DeviceError) -> None:
        with self._changed:
            self.errors.append(error)
            self._changed.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, timeout), f"timed out waiting for {what}"

    def wait_cards(self, n: int) -> None:
        self.wait(lambda: len(self.cards) >= n, f"{n} card(s)")

    def wait_state(self, state: str, after: int = 0) -> None:
        self.wait(lambda: any(s == state for s, _ in self.states[after:]), f"state {state}")

    def wait_error(self, cls: type) -> DeviceError:
        self.wait(lambda: any(isinstance(e, cls) for e in self.errors), cls.__name__)
        return next(e for e in self.errors if isinstance(e, cls))


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Bounded polling for state the simulator does not signal (its counters)."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        event.wait(0.01)


@pytest.fixture
def sim() -> Iterator[ReaderSimulator]:
    with ReaderSimulator(CARDS, slow_s=0.8) as simulator:
        yield simulator


@pytest.fixture
def pty_sim() -> Iterator[ReaderSimulator]:
    with ReaderSimulator(CARDS, pty=True) as simulator:
        yield simulator


@pytest.fixture
def make_reader() -> Iterator[Callable[..., tuple[SerialCardReader, Recorder]]]:
    readers: list[SerialCardReader] = []

    def make(url: str, **options: object) -> tuple[SerialCardReader, Recorder]:
        reader = SerialCardReader(url, **{**FAST, **options})  # type: ignore[arg-type]
        recorder = Recorder(reader)
        readers.append(reader)
        reader.open()
        return reader, recorder

    yield make
    for reader in readers:
        reader.close()


def test_reads_a_card_through_a_pty(pty_sim: ReaderSimulator, make_reader) -> None:
    """The real serial path: pyserial opens the pty as a tty device (termios, raw mode)."""
    assert not pty_sim.url.startswith("socket://")
    reader, rec = make_reader(pty_sim.url)
    assert reader.state == "ok"
    pty_sim.present("resident")
    rec.wait_cards(1)
    card = rec.cards[0]
    assert card == load_card(CARDS / "resident.json")
    assert len(card.photo) == 1024


@pytest.mark.parametrize("name", ["resident", "elderly", "hk_permit", "foreign_2023"])
def test_every_fixture_card_reads_over_tcp(sim: ReaderSimulator, make_reader, name) -> None:
    _, rec = make_reader(sim.url)
    sim.present(name)
    rec.wait_cards(1)
    assert rec.cards == [load_card(CARDS / f"{name}.json")]


def test_fingerprint_read(sim: ReaderSimulator, make_reader) -> None:
    _, rec = make_reader(sim.url, read_fingerprint=True)
    sim.present("elderly")
    rec.wait_cards(1)
    assert len(rec.cards[0].fingerprint) == 1024


def test_card_left_on_emits_once_and_lifting_rearms(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url)
    sim.present("resident")
    rec.wait_cards(1)
    assert reader.card_present
    seen = sim.counters["commands"]
    wait_until(lambda: sim.counters["commands"] >= seen + 20, "20 more polls")
    assert len(rec.cards) == 1
    sim.remove()
    wait_until(lambda: not reader.card_present, "the lift to be seen")
    sim.present("resident")
    rec.wait_cards(2)
    sim.present("elderly")  # a swap is a lift plus a placement
    rec.wait_cards(3)
    assert [c.name for c in rec.cards] == ["陈思远", "陈思远", "刘桂芳"]


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_unplug_and_replug_recovers(transport: str, make_reader) -> None:
    with ReaderSimulator(CARDS, pty=transport == "pty") as simulator:
        reader, rec = make_reader(simulator.url)
        simulator.present("resident")
        rec.wait_cards(1)
        mark = len(rec.states)
        simulator.unplug()
        rec.wait_state("offline", mark)
        assert reader.state == "offline"
        simulator.remove()
        simulator.replug()
        rec.wait_state("ok", mark)
        simulator.present("hk_permit")
        rec.wait_cards(2)
        assert rec.cards[1].kind == "hk_mo_tw_permit"
        assert reader.stats["disconnects"] >= 1
        reader.close()


def test_card_left_on_through_a_replug_is_not_repeated(sim: ReaderSimulator, make_reader):
    reader, rec = make_reader(sim.url)
    sim.present("resident")
    rec.wait_cards(1)
    mark = len(rec.states)
    sim.unplug()
    rec.wait_state("offline", mark)
    sim.replug()
    rec.wait_state("ok", mark)
    seen = sim.counters["commands"]
    wait_until(lambda: sim.counters["commands"] >= seen + 10, "10 more polls")
    assert len(rec.cards) == 1


def test_offline_at_open_then_device_appears(sim: ReaderSimulator, make_reader) -> None:
    url = sim.url
    sim.unplug()
    reader, rec = make_reader(url)  # does not raise: a reader plugged in later just works
    assert reader.state == "offline" and "cannot open" in reader.state_detail
    sim.replug()
    rec.wait_state("ok")
    sim.present("elderly")
    rec.wait_cards(1)


def test_backoff_grows_to_its_cap(sim: ReaderSimulator, make_reader) -> None:
    url = sim.url
    sim.unplug()
    reader, rec = make_reader(url, reconnect_min_s=0.01, reconnect_max_s=0.08)
    start = time.monotonic()
    rec.wait(lambda: len(rec.states) >= 1, "offline")
    attempts: list[float] = []
    original = reader._connect

    def counting() -> bool:
        attempts.append(time.monotonic() - start)
        return original()

    reader._connect = counting  # type: ignore[method-assign]
    wait_until(lambda: len(attempts) >= 8, "8 reconnect attempts")
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert max(gaps) < 0.5  # capped: 0.08 s plus scheduling
    assert gaps[-1] >= 0.07  # grown to the cap
    reader.close()


# --------------------------------------------------------------------------- faults


def test_bad_checksum_is_reported_and_the_card_still_read(sim: ReaderSimulator, make_reader):
    reader, rec = make_reader(sim.url)
    sim.inject("checksum", "read")
    sim.present("resident")
    rec.wait_cards(1)
    error = rec.wait_error(p.FrameError)
    assert "corrupt" in str(error) and error.message_zh
    assert reader.stats["bad_frames"] >= 1 and reader.stats["protocol_errors"] >= 1
    assert reader.state == "ok"
    assert len(rec.cards) == 1


def test_truncated_answer_times_out_and_recovers(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url)
    sim.inject("truncated", "read")
    sim.present("foreign_2023")
    rec.wait_cards(1)
    rec.wait_error(ReaderTimeout)
    assert reader.stats["timeouts"] == 1 and reader.state == "ok"
    assert rec.cards[0].kind == "foreign_2023"


def test_garbage_before_an_answer_is_skipped(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url)
    sim.inject("garbage", "read")
    sim.inject("garbage", "find")
    sim.present("hk_permit")
    rec.wait_cards(1)
    wait_until(lambda: not sim.status()["faults"], "both faults used")
    assert rec.errors == [] and reader.stats["protocol_errors"] == 0


def test_slow_answer_beyond_the_timeout(sim: ReaderSimulator, make_reader) -> None:
    """The answer comes 0.8 s late (timeout 0.4 s): reported, the late bytes do not confuse
    the next command, and the card is read."""
    reader, rec = make_reader(sim.url)
    sim.inject("slow", "read")
    sim.present("resident")
    rec.wait_cards(1)
    error = rec.wait_error(ReaderTimeout)
    assert error.message_zh and reader.state == "ok"
    assert rec.cards == [load_card(CARDS / "resident.json")]


def test_slow_answers_in_a_row_mean_offline(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url, offline_after_timeouts=2, command_timeout_s=0.2)
    sim.slow_s = 1.0
    sim.inject("slow", "find")
    sim.inject("slow", "find")
    rec.wait_state("offline")
    assert "timeouts" in reader.state_detail
    rec.wait_state("ok", len(rec.states) - 1)  # reconnects and answers again


def test_sam_failure_is_reported_for_staff(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url, sam_attempts=2)
    sim.inject("sam")
    rec.wait_state("sam_fault")
    assert "0x60" in reader.state_detail
    error = rec.wait_error(p.SamError)
    assert error.for_staff and isinstance(error, DeviceUnavailable)
    # not retried forever: the reader stops talking to a faulty SAM
    seen = sim.counters["commands"]
    time.sleep(0.3)  # a quiet period is the assertion itself, not a wait for a result
    assert sim.counters["commands"] == seen
    sim.inject("clear")
    mark = len(rec.states)
    reader.recheck()
    rec.wait_state("ok", mark)
    sim.present("elderly")
    rec.wait_cards(1)


def test_sam_fault_at_open(sim: ReaderSimulator, make_reader) -> None:
    sim.inject("sam")
    reader, rec = make_reader(sim.url, sam_attempts=2)
    assert reader.state == "sam_fault"
    assert sim.counters["commands"] == 2  # two SAM status checks, then nothing


def test_read_failure_tells_the_citizen_and_retries(sim: ReaderSimulator, make_reader):
    reader, rec = make_reader(sim.url)
    sim.inject("readfail")
    sim.present("resident")
    rec.wait_cards(1)
    error = rec.wait_error(p.CardReadError)
    assert error.message_zh == "请把身份证放平，重新放一次"
    assert reader.stats["card_errors"] == 1


def test_persistent_read_failure_waits_for_a_lift(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url, read_attempts=2)
    for _ in range(5):
        sim.inject("readfail")
    sim.present("resident")
    rec.wait(lambda: len(rec.errors) >= 2, "2 read errors")
    seen = sim.counters["commands"]
    wait_until(lambda: sim.counters["commands"] >= seen + 10, "10 more polls")
    assert len(rec.errors) == 2 and rec.cards == []  # gave up on this placement
    sim.inject("clear")
    sim.remove()
    wait_until(lambda: not reader.card_present, "the lift")
    sim.present("resident")
    rec.wait_cards(1)


def test_mute_device_is_offline_and_close_is_prompt(make_reader) -> None:
    """A port that opens but never answers (wrong baud, reader without power)."""
    server = socket.create_server(("127.0.0.1", 0))
    host, port = server.getsockname()[:2]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                pass

    thread = threading.Thread(target=serve, name="mute-server")
    thread.start()
    try:
        reader, rec = make_reader(f"socket://{host}:{port}", command_timeout_s=0.2)
        assert reader.state == "offline" and "does not answer" in reader.state_detail
        start = time.monotonic()
        reader.close()
        reader.close()
        assert time.monotonic() - start < 3.0  # not the 5 s poll: close interrupts it
    finally:
        stop.set()
        thread.join(WAIT_S)
        for conn in accepted:
            conn.close()
        server.close()


def test_close_is_prompt_and_safe_twice(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url, poll_interval_s=5.0)
    sim.present("resident")
    start = time.monotonic()
    reader.close()
    reader.close()
    assert time.monotonic() - start < 3.0  # not the 5 s poll: close interrupts it
    assert reader.state == "closed"
    assert [s for s, _ in rec.states][-1] == "closed"


def test_reopen_after_close(sim: ReaderSimulator, make_reader) -> None:
    reader, rec = make_reader(sim.url)
    sim.present("resident")
    rec.wait_cards(1)
    reader.close()
    reader.open()
    rec.wait_cards(2)  # a new session reads the card that lies there
    assert reader.state == "ok"


def test_invalid_url_is_a_configuration_error() -> None:
    with pytest.raises(DeviceUnavailable, match="invalid"):
        SerialCardReader("nosuchscheme://x").open()
    with pytest.raises(DeviceUnavailable, match="URL"):
        SerialCardReader("")


def test_a_failing_listener_does_not_stop_the_reader(sim: ReaderSimulator, make_reader):
    reader, rec = make_reader(sim.url)

    def boom(card: IdCard) -> None:
        raise RuntimeError("listener bug")

    reader.subscribe(boom, lambda state, detail: 1 / 0)
    sim.present("resident")
    rec.wait_cards(1)
    sim.remove()
    wait_until(lambda: not reader.card_present, "the lift")
    sim.present("elderly")
    rec.wait_cards(2)


def test_logs_never_show_name_or_number(sim: ReaderSimulator, make_reader, caplog) -> None:
    caplog.set_level("DEBUG")
    _, rec = make_reader(sim.url)
    sim.inject("checksum", "read")
    sim.present("resident")
    rec.wait_cards(1)
    assert "330106198806150216" not in caplog.text and "陈思远" not in caplog.text
    for error in rec.errors:
        assert "330106198806150216" not in str(error)


def test_created_by_backend_name(sim: ReaderSimulator) -> None:
    reader = create_card_reader("serial", url=sim.url, baud=115200)
    assert isinstance(reader, SerialCardReader)
    with reader:
        assert reader.state == "ok"
