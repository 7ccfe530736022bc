"""The central service catalog on the kiosk (remote hall mode).

The hall server serves its catalog at ``GET /api/v1/catalog`` with an ETag
(``hall/catalog_api.py``). The kiosk:

- starts on its last good copy (``<data_dir>/catalog-last-good.json``) if it has one,
  else on the local file (``[kiosk] catalog``), so a hall server that is down at start-up
  never stops the kiosk;
- fetches at once in the background and then every ``[hall] catalog_sync_s`` seconds,
  sending ``If-None-Match``: 304 means unchanged and costs no body;
- validates what it got with the same model as the local file; a malformed catalog is
  refused (the old one stays), and the reason is kept for the staff panel and sent to
  staff as an alert;
- keeps a valid new catalog as the last good copy (atomic write) and swaps
  ``flow.catalog`` only while the citizen is on the home screen — never in the middle of
  a visit; a catalog that arrives mid-visit waits for the visit to end.

In embedded mode the local file is the catalog (the embedded server reads the same file).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from contract.catalog import Catalog, load_catalog
from contract.errors import describe_validation_error
from kiosk.visit import Screen

log = logging.getLogger(__name__)

LAST_GOOD = "catalog-last-good.json"


def last_good_path(data_dir: Path) -> Path:
    return Path(data_dir) / LAST_GOOD


def read_last_good(data_dir: Path) -> tuple[Catalog, str] | None:
    """(catalog, etag) of the last good copy, or None if there is none (or it is damaged)."""
    path = last_good_path(data_dir)
    try:
        saved = json.loads(path.read_text("utf-8"))
        return Catalog.model_validate(saved["catalog"]), str(saved.get("etag", ""))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        log.warning("ignoring the damaged last good catalog %s: %s", path, type(exc).__name__)
        return None


def write_last_good(data_dir: Path, catalog: Catalog, etag: str) -> None:
    path = last_good_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    body = {"etag": etag, "catalog": catalog.model_dump(mode="json")}
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(body, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def initial_catalog(mode: str, local_file: Path, data_dir: Path) -> tuple[Catalog, str, str]:
    """(catalog, etag, source) to start with: "last_good" (remote mode) or "file"."""
    if mode == "remote":
        saved = read_last_good(data_dir)
        if saved is not None:
            return saved[0], saved[1], "last_good"
    return load_catalog(local_file), "", "file"


class CatalogSync:
    """Fetch, validate, keep and (on the home screen) swap the hall server's catalog.

    ``offer`` receives each new valid catalog on the sync thread; the kiosk core passes it
    to the GUI thread, where ``Flow`` is touched (see ``KioskCore``).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        data_dir: Path,
        interval_s: float,
        offer: Callable[[Catalog], None],
        etag: str = "",
        timeout_s: float = 3.0,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.interval_s = interval_s
        self.offer = offer
        self.on_refused = on_refused
        self.etag = etag
        self.last_result = ""  # "updated", "unchanged", "refused", "unavailable"
        self.last_error = ""  # why the last catalog was refused (for staff)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fetch_once(self) -> str:
        """One check now: "updated", "unchanged", "refused" or "unavailable"."""
        with self._lock:
            result = self._fetch()
        self.last_result = result
        return result

    def _fetch(self) -> str:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        try:
            response = self._http.get("/api/v1/catalog", headers=headers)
        except httpx.HTTPError as exc:
            log.warning("catalog: hall server unreachable (%s)", type(exc).__name__)
            return "unavailable"
        if response.status_code == 304:
            return "unchanged"
        if response.status_code >= 500:
            return "unavailable"
        if response.status_code != 200:
            return self._refuse(f"HTTP {response.status_code}")
        try:
            catalog = Catalog.model_validate(response.json())
        except ValueError as exc:  # not JSON (JSONDecodeError) or invalid (ValidationError)
            why = (describe_validation_error(exc) if isinstance(exc, ValidationError)
                   else f"not JSON: {exc}")  # fmt: skip
            return self._refuse(why)
        etag = response.headers.get("etag", "")
        write_last_good(self.data_dir, catalog, etag)
        self.etag = etag
        self.last_error = ""
        log.info("catalog %s from the hall server (etag %s)", catalog.version, etag)
        self.offer(catalog)
        return "updated"

    def _refuse(self, why: str) -> str:
        log.error("catalog from the hall server refused, the old one stays: %s", why)
        self.last_error = why
        if self.on_refused is not None:
            self.on_refused(why)
        return "refused"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="catalog-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.fetch_once()  # at start
        while self.interval_s > 0 and not self._stop.wait(self.interval_s):
            self.fetch_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._http.close()


def reload_from_file(path: Path) -> Catalog:
    """The staff panel's "reload from file": ``ConfigError`` names the key and the problem."""
    return load_catalog(path)


class CatalogSwapper:
    """Holds a new catalog until the flow is on the home screen, then swaps it in.

    Runs on the flow's thread (GUI thread): call ``offer`` there and ``flow_changed`` from
    ``flow.changed``.
    """

    def __init__(self, flow: Any, on_swap: Callable[[Catalog], None] | None = None) -> None:
        self.flow = flow
        self.on_swap = on_swap
        self.pending: Catalog | None = None

    def offer(self, catalog: Catalog) -> None:
        self.pending = catalog
        self._try()

    def flow_changed(self, _state: Any = None) -> None:
        if self.pending is not None:
            self._try()

    def _try(self) -> None:
        catalog = self.pending
        if catalog is None or self.flow.state.screen is not Screen.HOME or self.flow.state.busy:
            return
        self.pending = None
        self.flow.catalog = catalog
        log.info("catalog %s in use", catalog.version)
        if self.on_swap is not None:
            self.on_swap(catalog)
        self.flow.changed.emit(self.flow.state)  # screens show the new catalog
