"""Pinyin through librime's C API (ctypes over ``rime_get_api()``'s function table).

The structs mirror /usr/include/rime_api.h of librime 1.8 (Debian's librime-dev): only the
fields and functions used here are typed, the rest of the table keeps its slots as pointers.
Rime keeps global state (one ``setup``/``initialize`` per process), so every
``PinyinEngine`` of a process shares one runtime and opens its own session.

Privacy: the learning user dictionary is switched off (``translator/enable_user_dict``), so
nothing typed is written to the user data dir; Rime's log is limited to fatal errors.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from ctypes import CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_size_t, c_void_p
from dataclasses import dataclass
from pathlib import Path

from ime import base
from ime.base import EngineStatus

log = logging.getLogger(__name__)

LIBRARY = "librime.so.1"
SHARED_DATA_DIR = Path("/usr/share/rime-data")
SCHEMA = "luna_pinyin_simp"  # Debian's rime-data-luna-pinyin, simplified characters
PAGE_SIZE = 6
HALL_PHRASES = Path(__file__).resolve().parent / "data" / "hall_phrases.txt"

# X11 keysyms Rime understands
KEY_BACKSPACE = 0xFF08
KEY_PAGE_UP = 0xFF55
KEY_PAGE_DOWN = 0xFF56
KEY_SPACE = 0x20
PUNCTUATION = ",.?!:;\\\"'()"  # Rime's punctuator turns these into ，。？！：；、“‘（）

Bool = c_int
SessionId = c_size_t  # uintptr_t


class RimeTraits(Structure):
    _fields_ = [
        ("data_size", c_int),
        ("shared_data_dir", c_char_p),
        ("user_data_dir", c_char_p),
        ("distribution_name", c_char_p),
        ("distribution_code_name", c_char_p),
        ("distribution_version", c_char_p),
        ("app_name", c_char_p),
        ("modules", POINTER(c_char_p)),
        ("min_log_level", c_int),
        ("log_dir", c_char_p),
        ("prebuilt_data_dir", c_char_p),
        ("staging_dir", c_char_p),
    ]


class RimeComposition(Structure):
    _fields_ = [
        ("length", c_int),
        ("cursor_pos", c_int),
        ("sel_start", c_int),
        ("sel_end", c_int),
        ("preedit", c_char_p),
    ]


class RimeCandidate(Structure):
    _fields_ = [("text", c_char_p), ("comment", c_char_p), ("reserved", c_void_p)]


class RimeMenu(Structure):
    _fields_ = [
        ("page_size", c_int),
        ("page_no", c_int),
        ("is_last_page", Bool),
        ("highlighted_candidate_index", c_int),
        ("num_candidates", c_int),
        ("candidates", POINTER(RimeCandidate)),
        ("select_keys", c_char_p),
    ]


class RimeContext(Structure):
    _fields_ = [
        ("data_size", c_int),
        ("composition", RimeComposition),
        ("menu", RimeMenu),
        ("commit_text_preview", c_char_p),
        ("select_labels", POINTER(c_char_p)),
    ]


class RimeCommit(Structure):
    _fields_ = [("data_size", c_int), ("text", c_char_p)]


def _struct(cls: type[Structure]) -> Structure:
    """RIME_STRUCT_INIT: data_size = sizeof(Type) - sizeof(data_size)."""
    s = cls()
    s.data_size = ctypes.sizeof(cls) - ctypes.sizeof(c_int)  # type: ignore[attr-defined]
    return s


# The RimeApi table in header order; typed entries are the ones this module calls.
_TYPED = {
    "setup": CFUNCTYPE(None, POINTER(RimeTraits)),
    "initialize": CFUNCTYPE(None, POINTER(RimeTraits)),
    "start_maintenance": CFUNCTYPE(Bool, Bool),
    "join_maintenance_thread": CFUNCTYPE(None),
    "create_session": CFUNCTYPE(SessionId),
    "destroy_session": CFUNCTYPE(Bool, SessionId),
    "process_key": CFUNCTYPE(Bool, SessionId, c_int, c_int),
    "commit_composition": CFUNCTYPE(Bool, SessionId),
    "clear_composition": CFUNCTYPE(None, SessionId),
    "get_commit": CFUNCTYPE(Bool, SessionId, POINTER(RimeCommit)),
    "free_commit": CFUNCTYPE(Bool, POINTER(RimeCommit)),
    "get_context": CFUNCTYPE(Bool, SessionId, POINTER(RimeContext)),
    "free_context": CFUNCTYPE(Bool, POINTER(RimeContext)),
    "select_schema": CFUNCTYPE(Bool, SessionId, c_char_p),
    "select_candidate_on_current_page": CFUNCTYPE(Bool, SessionId, c_size_t),
    "get_version": CFUNCTYPE(c_char_p),
}
_ORDER = """setup set_notification_handler initialize finalize start_maintenance
is_maintenance_mode join_maintenance_thread deployer_initialize prebuild deploy deploy_schema
deploy_config_file sync_user_data create_session find_session destroy_session
cleanup_stale_sessions cleanup_all_sessions process_key commit_composition clear_composition
get_commit free_commit get_context free_context get_status free_status set_option get_option
set_property get_property get_schema_list free_schema_list get_current_schema select_schema
schema_open config_open config_close config_get_bool config_get_int config_get_double
config_get_string config_get_cstring config_update_signature config_begin_map config_next
config_end simulate_key_sequence register_module find_module run_task get_shared_data_dir
get_user_data_dir get_sync_dir get_user_id get_user_data_sync_dir config_init
config_load_string config_set_bool config_set_int config_set_double config_set_string
config_get_item config_set_item config_clear config_create_list config_create_map
config_list_size config_begin_list get_input get_caret_pos select_candidate get_version
set_caret_pos select_candidate_on_current_page""".split()


class RimeApi(Structure):
    _fields_ = [("data_size", c_int)] + [(n, _TYPED.get(n, c_void_p)) for n in _ORDER]


def schema_patch() -> str:
    """Our patch of the luna_pinyin_simp schema (written as <schema>.custom.yaml)."""
    return f"""# written by the hall kiosk (ime/rime.py): do not edit, it is rewritten
patch:
  "translator/enable_user_dict": false   # learn nothing: no typed text on disk
  "engine/translators/@next": table_translator@hall_phrases
  hall_phrases:
    dictionary: ""
    user_dict: hall_phrases
    db_class: stabledb
    enable_completion: false
    enable_sentence: false
    initial_quality: 1
  "menu/page_size": {PAGE_SIZE}
"""


DEFAULT_PATCH = f"""# written by the hall kiosk (ime/rime.py): deploy only the schema it uses
patch:
  schema_list:
    - schema: {SCHEMA}
"""


def _write_if_changed(path: Path, text: str) -> None:
    """Rime redeploys when a file's time changes: rewrite only what differs."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Composition:
    """What the citizen sees after a key: the pinyin being typed, this page's candidates,
    and the text the key committed (to insert into the field; often empty)."""

    preedit: str = ""
    candidates: tuple[str, ...] = ()
    page: int = 0
    last_page: bool = True
    committed: str = ""

    @property
    def composing(self) -> bool:
        return bool(self.preedit)


class _Runtime:
    """The process's one Rime: set up and deployed once."""

    lock = threading.Lock()
    api: RimeApi | None = None
    user_data_dir: Path | None = None
    error: str = ""
    deploy_seconds: float = 0.0


def default_user_data_dir() -> Path:
    """Rime's deployed schema, cached across starts: the user's cache dir (not /tmp, where
    another local user could plant a config), e.g. ~/.cache/hall-kiosk/rime."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hall-kiosk" / "rime"


class PinyinEngine:
    def __init__(
        self,
        library: str = LIBRARY,
        shared_data_dir: Path = SHARED_DATA_DIR,
        user_data_dir: Path | None = None,
    ) -> None:
        self.library = library
        self.shared_data_dir = Path(shared_data_dir)
        self.user_data_dir = Path(user_data_dir) if user_data_dir else default_user_data_dir()
        self.status: EngineStatus = base.NOT_STARTED
        self._api: RimeApi | None = None
        self._session = 0
        self._lock = threading.RLock()
        self.start_seconds = 0.0

    # -- start ------------------------------------------------------------------------
    def start(self) -> EngineStatus:
        """Load, set up and deploy (blocking: seconds the first time). Idempotent."""
        with self._lock:
            if self.status.ready or self.status.unavailable:
                return self.status
            self.status = base.STARTING
            began = time.perf_counter()
            try:
                self._api = self._runtime()
                self._session = self._api.create_session()
                if not self._session:
                    raise RuntimeError("Rime could not open a session")
                if not self._api.select_schema(self._session, SCHEMA.encode()):
                    raise RuntimeError(f"Rime has no schema {SCHEMA} (rime-data-luna-pinyin?)")
                # probe: the schema's dictionary really answers
                self._api.process_key(self._session, ord("a"), 0)
                probe = self._context()
                self._api.clear_composition(self._session)
                if not probe.candidates:
                    raise RuntimeError(f"{SCHEMA} gives no candidates (dictionary missing?)")
            except (OSError, AttributeError, RuntimeError) as exc:
                self.status = base.unavailable(str(exc))
                log.warning("pinyin input unavailable: %s", exc)
                return self.status
            self.start_seconds = time.perf_counter() - began
            self.status = base.READY
            return self.status

    def _runtime(self) -> RimeApi:
        with _Runtime.lock:
            lib = ctypes.CDLL(self.library)  # OSError if missing (cheap once loaded)
            if _Runtime.api is not None:
                return _Runtime.api
            if not self.shared_data_dir.is_dir():
                raise RuntimeError(f"no Rime data in {self.shared_data_dir} (rime-data-*)")
            lib.rime_get_api.restype = POINTER(RimeApi)
            pointer = lib.rime_get_api()
            if not pointer:
                raise RuntimeError("rime_get_api() returned nothing")
            api = pointer.contents
            user = self.user_data_dir
            user.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_if_changed(user / "default.custom.yaml", DEFAULT_PATCH)
            _write_if_changed(user / f"{SCHEMA}.custom.yaml", schema_patch())
            _write_if_changed(user / "hall_phrases.txt", HALL_PHRASES.read_text(encoding="utf-8"))
            traits = _struct(RimeTraits)
            keep = [str(self.shared_data_dir).encode(), str(user).encode()]
            traits.shared_data_dir, traits.user_data_dir = keep
            traits.distribution_name = b"hall-kiosk"
            traits.distribution_code_name = b"hall-kiosk"
            traits.distribution_version = b"0.1"
            traits.app_name = b"rime.hall-kiosk"
            traits.min_log_level = 3  # fatal only: Rime's info log would show typed keys
            began = time.perf_counter()
            api.setup(ctypes.byref(traits))
            api.initialize(ctypes.byref(traits))
            # deploys what changed since the last start (cached in the user data dir)
            api.start_maintenance(0)
            api.join_maintenance_thread()
            _Runtime.deploy_seconds = time.perf_counter() - began
            _Runtime.keep = (lib, traits, keep)  # type: ignore[attr-defined]
            _Runtime.api = api
            _Runtime.user_data_dir = user
            return api

    # -- keys -------------------------------------------------------------------------
    def _ready(self) -> RimeApi:
        if not self.status.ready or self._api is None:
            raise RuntimeError(f"pinyin engine not ready ({self.status.state.value})")
        return self._api

    def _context(self, committed: str = "") -> Composition:
        api = self._api
        assert api is not None
        ctx = _struct(RimeContext)
        if not api.get_context(self._session, ctypes.byref(ctx)):
            return Composition(committed=committed)
        try:
            menu = ctx.menu
            candidates = tuple(
                (menu.candidates[i].text or b"").decode("utf-8", "replace")
                for i in range(menu.num_candidates)
            )
            preedit = (ctx.composition.preedit or b"").decode("utf-8", "replace")
            last = bool(menu.is_last_page) or not candidates
            return Composition(preedit, candidates, menu.page_no, last, committed)
        finally:
            api.free_context(ctypes.byref(ctx))

    def _commit_text(self) -> str:
        api = self._ready()
        commit = _struct(RimeCommit)
        if not api.get_commit(self._session, ctypes.byref(commit)):
            return ""
        try:
            return (commit.text or b"").decode("utf-8", "replace")
        finally:
            api.free_commit(ctypes.byref(commit))

    def _after(self, committed: str = "") -> Composition:
        return self._context(committed + self._commit_text())

    def _key(self, keycode: int) -> Composition:
        with self._lock:
            api = self._ready()
            api.process_key(self._session, keycode, 0)
            return self._after()

    def letter(self, ch: str) -> Composition:
        """A pinyin letter a–z (an apostrophe separates syllables: xi'an)."""
        if len(ch) != 1 or not (ch.isascii() and (ch.isalpha() or ch == "'")):
            raise ValueError("one letter a-z")
        return self._key(ord(ch.lower()))

    def punctuation(self, ch: str) -> Composition:
        """A punctuation key: commits what is being typed (its first candidate), then the
        Chinese punctuation mark (the first of Rime's choices when it offers several)."""
        if len(ch) != 1 or ch not in PUNCTUATION:
            raise ValueError(f"one of {PUNCTUATION}")
        with self._lock:
            api = self._ready()
            committed = ""
            if self._context().composing:
                api.commit_composition(self._session)
                committed = self._commit_text()
            api.process_key(self._session, ord(ch), 0)
            if self._context().composing:  # e.g. \ offers 、 \ ＼: take the first
                api.commit_composition(self._session)
            return self._after(committed)

    def select(self, index: int) -> Composition:
        """Choose the candidate at ``index`` on the current page (may commit part of a
        phrase and leave the rest to choose)."""
        with self._lock:
            api = self._ready()
            api.select_candidate_on_current_page(self._session, index)
            return self._after()

    def confirm(self) -> Composition:
        """Space: commit the first candidate."""
        return self._key(KEY_SPACE)

    def next_page(self) -> Composition:
        return self._key(KEY_PAGE_DOWN)

    def prev_page(self) -> Composition:
        return self._key(KEY_PAGE_UP)

    def backspace(self) -> Composition:
        return self._key(KEY_BACKSPACE)

    def clear(self) -> Composition:
        """Forget what is being typed (a new visit starts with nothing)."""
        with self._lock:
            if self.status.ready and self._api is not None:
                self._api.clear_composition(self._session)
                self._commit_text()  # drop anything pending
            return Composition()

    def state(self) -> Composition:
        with self._lock:
            self._ready()
            return self._context()

    def close(self) -> None:
        with self._lock:
            if self._api is not None and self._session:
                self._api.destroy_session(self._session)
            self._session = 0
            self._api = None
            if self.status.ready:
                self.status = base.NOT_STARTED
