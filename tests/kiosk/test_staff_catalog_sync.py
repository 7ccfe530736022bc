"""The central catalog on the kiosk against a real hall server (the embedded one, in-process):
ETag / 304, a changed catalog, the server down, a malformed catalog refused, and the swap
waiting for the home screen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.catalog import DEFAULT_PATH, Catalog, load_catalog
from hall.embedded import EmbeddedHallServer
from kiosk.catalog_sync import (
    CatalogSwapper,
    CatalogSync,
    initial_catalog,
    last_good_path,
    read_last_good,
)
from kiosk.flow import Flow
from kiosk.visit import Screen


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedHallServer]:
    s = EmbeddedHallServer(tmp_path / "hall", DEFAULT_PATH, "kiosk-7")
    (tmp_path / "hall").mkdir()
    s.start()
    yield s
    s.stop()


def serve(server: EmbeddedHallServer, catalog: Catalog) -> None:
    """What a hall server does when its catalog is edited: it serves the new one."""
    server._server.config.app.state.catalog = catalog


@pytest.fixture
def sync(server: EmbeddedHallServer, tmp_path: Path) -> Iterator[tuple[CatalogSync, list]]:
    offered: list[Catalog] = []
    refused: list[str] = []
    s = CatalogSync(server.url, server.token, tmp_path / "kiosk", 0, offered.append,
                    on_refused=refused.append)  # fmt: skip
    yield s, offered
    s.stop()


def test_staff_catalog_etag_304_change_down_and_malformed(
    server: EmbeddedHallServer, sync: tuple[CatalogSync, list], tmp_path: Path
) -> None:
    s, offered = sync
    data_dir = tmp_path / "kiosk"
    local = load_catalog()
    assert s.fetch_once() == "updated"
    assert offered == [local] and s.etag.startswith('"')
    assert read_last_good(data_dir) == (local, s.etag)

    assert s.fetch_once() == "unchanged"  # If-None-Match → 304
    assert len(offered) == 1

    changed = local.model_copy(update={"version": "2026.12-central", "hall_name": "中心目录"})
    serve(server, changed)
    assert s.fetch_once() == "updated"
    assert offered[-1].version == "2026.12-central"
    good_etag = s.etag

    # a catalog the kiosk's loader rejects (an item in a window group that does not exist)
    bad_service = changed.services[0].model_copy(update={"group": "no-such-group"})
    malformed = Catalog.model_construct(**{**dict(changed), "services": (bad_service,)})
    serve(server, malformed)
    assert s.fetch_once() == "refused"
    assert "no-such-group" in s.last_error
    assert len(offered) == 2 and s.etag == good_etag  # kept the old one
    assert read_last_good(data_dir)[0].version == "2026.12-central"

    server.stop()
    assert s.fetch_once() == "unavailable"
    # offline start: the last good copy, not the local file
    catalog, etag, source = initial_catalog("remote", DEFAULT_PATH, data_dir)
    assert (catalog.version, etag, source) == ("2026.12-central", good_etag, "last_good")


def test_staff_catalog_offline_start_without_a_copy_uses_the_local_file(tmp_path: Path) -> None:
    catalog, etag, source = initial_catalog("remote", DEFAULT_PATH, tmp_path)
    assert (catalog, etag, source) == (load_catalog(), "", "file")
    last_good_path(tmp_path).write_text("{ damaged")
    assert initial_catalog("remote", DEFAULT_PATH, tmp_path)[2] == "file"
    # embedded mode: the local file is the catalog even with a copy present
    assert initial_catalog("embedded", DEFAULT_PATH, tmp_path)[2] == "file"


def test_staff_catalog_swaps_only_on_the_home_screen(flow: Flow) -> None:
    new = flow.catalog.model_copy(update={"version": "swapped"})
    swapper = CatalogSwapper(flow)
    flow.changed.connect(swapper.flow_changed)
    flow.ticket.take_number()
    swapper.offer(new)
    assert flow.catalog.version != "swapped" and swapper.pending is new  # mid-visit: waits
    flow.back()  # groups → home: the visit is over
    assert flow.state.screen is Screen.HOME
    assert flow.catalog is new and swapper.pending is None


def test_staff_remote_kiosk_starts_on_its_last_good_copy_then_takes_the_servers(
    server: EmbeddedHallServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.app import build_core
    from kiosk.catalog_sync import write_last_good
    from kiosk.settings import load_settings

    monkeypatch.setenv("KIOSK_HALL__MODE", "remote")
    monkeypatch.setenv("KIOSK_HALL__URL", server.url)
    monkeypatch.setenv("KIOSK_HALL__TOKEN", server.token)
    settings = load_settings()
    old = load_catalog().model_copy(update={"version": "2020.1-kept"})
    write_last_good(settings.data_dir, old, '"old"')
    served = load_catalog().model_copy(update={"version": "2026.12-served"})
    serve(server, served)
    core = build_core(settings, hall_server=EmbeddedHallServer)
    try:
        assert core.catalog_source in ("last_good", "server")
        deadline = time.monotonic() + 10
        while core.catalog_source != "server" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert core.catalog_source == "server"
        assert core.flow.catalog.version == "2026.12-served" == core.catalog.version

        # the panel gives this kiosk a new token: every user of the client switches at once
        from hall.db import add_kiosk

        new = settings.model_copy(deep=True)
        new.hall.token = add_kiosk(server.database_url, "kiosk-8")
        old_client, old_sync = core.hall, core.catalog_sync
        assert "hall" in core.apply(new)["applied"]
        assert core.hall is not old_client and core.flow.visit.hall is core.hall
        assert core.flow.rating.sink.hall is core.hall and core.flow.case.sink.hall is core.hall
        assert core.flow.ticket.sms.hall is core.hall  # type: ignore[union-attr]
        assert core.flow.precheck.results.hall is core.hall  # type: ignore[union-attr]
        assert core.heartbeat.post == core.hall.heartbeat
        assert core.catalog_sync is not old_sync and core.catalog_sync is not None
        assert core.hall.health()["status"] == "ok"
    finally:
        core.close()
