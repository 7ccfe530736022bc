"""Saving the staff panel's changes to the site settings file, safely.

The panel edits the site layer (``Settings.site_file``: ``--config``/``KIOSK_SITE_FILE``,
else ``<data_dir>/site.toml``) — never ``config/kiosk.toml`` in the repository. A save:

1. merges the changes into the site file's current content and writes the result to a
   temporary file in the same directory;
2. validates the whole settings with the same loader the kiosk starts with
   (``load_settings``: defaults < config/kiosk.toml < this file < environment); an invalid
   value raises ``ConfigError`` with the key and the reason, the temporary file is removed
   and nothing else is touched;
3. keeps the previous site file as ``<name>.previous``, then fsyncs the new one and renames
   it over the site file (atomic on POSIX), and fsyncs the directory.

A value that an environment variable overrides is saved but has no effect: ``overridden``
names those, so the panel can say so.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contract.errors import ConfigError
from kiosk.settings import ENV_PREFIX, Settings, load_settings
from osfiles.private_files import FILE_MODE

PREVIOUS_SUFFIX = ".previous"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    raise ConfigError(f"cannot write {value!r} to a settings file")


def dump_toml(data: Mapping[str, Mapping[str, Any]]) -> str:
    """Sections of scalar values (all a settings file holds) as TOML."""
    out = ["# Site settings, written by the kiosk's staff panel (previous copy: *.previous)."]
    for section, values in data.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"{section}: a settings file holds sections of values")
        out.append(f"\n[{section}]")
        for key, value in values.items():
            if value is None:
                continue
            out.append(f"{key} = {_toml_value(value)}")
    return "\n".join(out) + "\n"


class ConfigStore:
    def __init__(self, site_file: Path, environ: Mapping[str, str] | None = None) -> None:
        self.path = Path(site_file)
        self.environ = dict(os.environ if environ is None else environ)

    @property
    def previous(self) -> Path:
        return self.path.with_name(self.path.name + PREVIOUS_SUFFIX)

    def read(self) -> dict[str, dict[str, Any]]:
        try:
            data = tomllib.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from None
        return {k: dict(v) for k, v in data.items() if isinstance(v, dict)}

    def overridden(self, changes: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """``section.key`` of the changes an environment variable overrides."""
        return [
            f"{section}.{key}"
            for section, values in changes.items()
            for key in values
            if f"{ENV_PREFIX}{section}__{key}".upper() in {n.upper() for n in self.environ}
        ]

    def save(self, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
        """Validate and write; return the new settings. Raises ConfigError (nothing written)."""
        data = self.read()
        for section, values in changes.items():
            data.setdefault(section, {}).update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            # 0600: the site file holds this kiosk's hall token (osfiles/private_files.py)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with open(fd, "w", encoding="utf-8") as f:
                f.write(dump_toml(data))
                f.flush()
                os.fsync(f.fileno())
            try:
                settings = load_settings(tmp, environ=self.environ)
            except ConfigError as exc:  # name the real file, not the temporary one
                raise ConfigError(str(exc).replace(str(tmp.resolve()), str(self.path))) from None
            if self.path.exists():
                shutil.copy2(self.path, self.previous)
                os.chmod(self.previous, FILE_MODE)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        settings._site_file = self.path
        return settings
