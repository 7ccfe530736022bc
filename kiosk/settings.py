"""Kiosk settings, layered: built-in defaults < ``config/kiosk.toml`` < a site file <
environment variables (``KIOSK_PRINTER__CONNECTION=virtual``; ``__`` separates section and key).

Validated on load; an error names the file (or variable), the key and what is allowed.
Paths that are relative are taken from the repository root for ``config/`` files and from
the current directory for the site file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from contract.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "config" / "kiosk.toml"
ENV_PREFIX = "KIOSK_"
SITE_FILE_NAME = "site.toml"  # in the data dir: the staff panel's file when no site file is given


def _int_from_text(value: Any) -> Any:
    """Environment values are text: "58" must satisfy Literal[58, 80]."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class KioskSection(_Section):
    id: str = Field(default="kiosk-01", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    data_dir: Path = Field(default=Path("~/.local/share/hall-kiosk"))
    catalog: Path = Field(default=ROOT / "config" / "services.toml")
    language: Literal["zh", "en"] = "zh"
    inactivity_s: int = Field(default=90, ge=20, le=3600, description="idle seconds before asking")
    inactivity_grace_s: int = Field(default=30, ge=20, le=600, description="seconds to answer")
    thanks_s: int = Field(default=8, ge=3, le=120, description="thank-you screen, seconds")
    elder_default: bool = False  # start every visit in 长辈版
    elder_age: int = Field(
        default=60, ge=40, le=100, description="offer 长辈版 from this age, years"
    )
    elder_timeout_factor: float = Field(
        default=3.0, ge=3.0, le=10.0, description="长辈版 timeouts x"
    )
    priority_lane: bool = True  # offer 绿色通道 tickets (age, disability, pregnancy)


class HallSection(_Section):
    mode: Literal["embedded", "remote"] = "embedded"
    url: str = ""  # remote mode: e.g. http://hall.local:8600
    token: str = ""  # remote mode: printed by `python -m hall add-kiosk KIOSK_ID`
    timeout_s: float = Field(default=3.0, gt=0, le=60)
    outbox_retry_s: float = Field(default=5.0, ge=0.2, le=600, description="outbox check, s")
    heartbeat_s: float = Field(default=15.0, ge=0.5, le=600, description="heartbeat interval, s")
    # remote mode: fetch the central catalog (GET /api/v1/catalog, ETag) this often; 0: only at start
    catalog_sync_s: float = Field(default=300.0, ge=0, le=86400, description="catalog check, s")


class CardReaderSection(_Section):
    # simulator: the GA 467 wire-level simulator in-process, read through the serial path
    # virtual:   cards handed straight to the kiosk (no bytes)
    # serial:    a real reader at ``url``
    backend: Literal["simulator", "virtual", "serial"] = "simulator"
    cards_dir: Path = Field(default=ROOT / "config" / "cards")  # simulator/virtual: invented people
    url: str = ""  # serial: /dev/ttyUSB0, hwgrep://1a86:7523, socket://127.0.0.1:7001, loop://
    baud: int = Field(default=115200, gt=0)
    poll_interval_s: float = Field(default=0.3, ge=0.05, le=2.0, description="find-card poll")
    command_timeout_s: float = Field(default=1.0, gt=0, le=10.0)

    @field_validator("baud")
    @classmethod
    def _baud(cls, value: int) -> int:
        if value not in BAUD_RATES:
            allowed = ", ".join(str(b) for b in BAUD_RATES)
            raise ValueError(f"not a standard serial baud rate; allowed: {allowed}")
        return value


BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class StaffSection(_Section):
    # the staff panel: long press on the top-left corner of the screen, then the PIN
    long_press_s: float = Field(default=5.0, ge=0.1, le=60, description="corner press, s")
    idle_s: int = Field(default=120, ge=10, le=3600, description="panel closes when idle, s")


class PrinterSection(_Section):
    # simulator | virtual | network:HOST[:PORT] | serial:/dev/ttyUSB0[:BAUD] | usb:VID:PID
    connection: str = "simulator"
    paper_width_mm: Annotated[Literal[58, 80], BeforeValidator(_int_from_text)] = 80
    out_dir: Path | None = None  # simulator/virtual: rendered jobs (default data_dir/printed)
    on_unknown_status: Literal["print", "refuse"] = "print"  # a printer that does not answer
    roll_length_mm: int = Field(default=50_000, gt=0, description="paper roll length, mm")
    roll_warn_mm: int = Field(default=5_000, ge=0, description="warn staff below this, mm")

    @field_validator("connection")
    @classmethod
    def _connection(cls, value: str) -> str:
        from devices.printer.connection import parse_connection

        parse_connection(value)  # ValueError names the problem and shows examples
        return value


class ScannerSection(_Section):
    # folder: images dropped into a folder are the captured pages; camera: a UVC document camera
    backend: Literal["folder", "camera"] = "folder"
    folder: Path | None = None  # folder; None: data_dir/scans
    repeat: bool = False  # folder: hand the same pages out again and again
    device: int | str = 0  # camera: index or /dev/videoN
    width: int = Field(default=1920, gt=0)  # camera resolution, pixels
    height: int = Field(default=1080, gt=0)


class PrecheckSection(_Section):
    """材料预审 (kiosk/journeys/precheck.py): the OCR engine and its worker process."""

    enabled: bool = True  # the 材料预审 tile on the home screen and the button on the notice
    engine: Literal["rapidocr", "tesseract"] = "rapidocr"  # see the README for why RapidOCR
    workers: int = Field(default=1, ge=1, le=4, description="OCR worker processes")
    ocr_threads: int = Field(default=1, ge=1, le=8, description="threads per OCR worker")
    warm_up: bool = True  # start the worker and load the models at start-up (background)
    page_timeout_s: float = Field(default=30.0, gt=0, le=300, description="seconds per page")
    # demo and training with the folder scanner: these samples can be "put under the camera"
    samples_dir: Path | None = ROOT / "config" / "sample_documents"


class VoiceSection(_Section):
    # espeak: Mandarin through espeak-ng (pinyin voice), played with aplay; without a sound
    #         card the kiosk runs silently and tells staff
    # recording: keeps what would be spoken (tests, demos)
    backend: Literal["espeak", "recording"] = "espeak"
    enabled: bool = False  # normal mode: off unless the hall turns it on; 长辈版 always speaks
    volume: float = Field(default=0.8, ge=0.0, le=1.0)
    rate: int = Field(default=150, ge=80, le=300, description="words per minute")
    cache_dir: Path | None = None  # fixed prompts as WAV (default data_dir/voice-cache)


class Settings(_Section):
    kiosk: KioskSection = KioskSection()
    hall: HallSection = HallSection()
    card_reader: CardReaderSection = CardReaderSection()
    printer: PrinterSection = PrinterSection()
    scanner: ScannerSection = ScannerSection()
    precheck: PrecheckSection = PrecheckSection()
    voice: VoiceSection = VoiceSection()
    staff: StaffSection = StaffSection()
    _site_file: Path | None = PrivateAttr(default=None)

    @property
    def data_dir(self) -> Path:
        return self.kiosk.data_dir.expanduser()

    @property
    def site_file(self) -> Path:
        """The site file these settings were read from, or the one the staff panel writes:
        ``--config``/``KIOSK_SITE_FILE`` if given, else ``<data_dir>/site.toml``."""
        return self._site_file or self.data_dir / SITE_FILE_NAME


def _merge(
    base: dict[str, Any],
    layer: dict[str, Any],
    origin: str,
    origins: dict[str, str],
    prefix: str = "",
) -> None:
    for key, value in layer.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, origins, path + ".")
        else:
            base[key] = value
            origins[path] = origin


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _env_layer(environ: dict[str, str], origins_hint: dict[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        layer.setdefault(section, {})[key] = value
        origins_hint[f"{section}.{key}"] = f"environment variable {name}"
    return layer


def _resolve_relative(raw: dict[str, Any], base_dir: Path) -> None:
    """Relative paths in a file are relative to that file's directory's parent for config/."""
    for section in raw.values():
        if not isinstance(section, dict):
            continue
        for key, value in section.items():
            paths = ("data_dir", "catalog", "cards_dir", "out_dir", "folder", "samples_dir")
            if key in paths and isinstance(value, str):
                p = Path(value).expanduser()
                section[key] = str(p if p.is_absolute() else base_dir / p)


def load_settings(
    site_file: str | Path | None = None,
    environ: dict[str, str] | None = None,
    default_file: Path = DEFAULT_FILE,
) -> Settings:
    """Build the settings from every layer; raise ConfigError naming where a bad value came from."""
    environ = dict(os.environ if environ is None else environ)
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if default_file.exists():
        layer = _read_toml(default_file)
        _resolve_relative(layer, ROOT)
        _merge(merged, layer, str(default_file), origins)
    site = site_file or environ.get("KIOSK_SITE_FILE")
    site_path: Path | None = None
    if site:
        site_path = Path(site).expanduser().resolve()
    else:  # the file the staff panel saved, if any
        data_dir = environ.get("KIOSK_KIOSK__DATA_DIR") or merged.get("kiosk", {}).get(
            "data_dir", str(KioskSection().data_dir)
        )
        candidate = Path(str(data_dir)).expanduser() / SITE_FILE_NAME
        if candidate.is_file():
            site = site_path = candidate.resolve()
    if site and site_path is not None:
        layer = _read_toml(site_path)
        _resolve_relative(layer, Path.cwd())
        _merge(merged, layer, str(site_path), origins)
    env_origins: dict[str, str] = {}
    for section, keys in _env_layer(environ, env_origins).items():
        for key, value in keys.items():  # each variable is its own origin
            _merge(merged, {section: {key: value}}, env_origins[f"{section}.{key}"], origins)
    try:
        settings = Settings.model_validate(merged)
        settings._site_file = site_path
        return settings
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            where = _origin_of(key, origins)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                section = err["loc"][0] if len(err["loc"]) > 1 else None
                allowed = _allowed_keys(section)
                msg = f"unknown key; allowed: {allowed}"
            elif err["type"] == "literal_error":
                msg = f"{msg}"
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            problems.append(f"{where}: {key}: {msg}{shown}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None


def _origin_of(key: str, origins: dict[str, str]) -> str:
    parts = key.split(".")
    while parts:
        found = origins.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return "settings"


def _allowed_keys(section: object) -> str:
    model: type[BaseModel] = Settings
    if isinstance(section, str) and section in Settings.model_fields:
        annotation = Settings.model_fields[section].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return ", ".join(model.model_fields)
