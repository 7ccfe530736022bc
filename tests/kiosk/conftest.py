"""Fixtures for the kiosk core's tests; the fakes themselves live in kiosk_fakes.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kiosk_fakes import FakeClock, FakeIssuer, RecordingPrinter

from contract.catalog import Catalog, load_catalog
from kiosk.flow import Flow
from kiosk.runner import ImmediateRunner
from kiosk.visit import FlowConfig


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(catalog: Catalog, clock: FakeClock) -> FakeIssuer:
    return FakeIssuer(catalog, clock)


@pytest.fixture
def printer() -> Iterator[Any]:
    p = RecordingPrinter()
    p.open()
    yield p
    p.close()


@pytest.fixture
def config() -> FlowConfig:
    return FlowConfig(inactivity_s=90, inactivity_grace_s=30, thanks_s=8, language="zh")


@pytest.fixture
def make_flow(
    catalog: Catalog, issuer: FakeIssuer, printer: Any, clock: FakeClock, config: FlowConfig
) -> Callable[..., Flow]:
    def make(runner: Any = None) -> Flow:
        return Flow(
            catalog,
            issuer,
            printer,
            runner or ImmediateRunner(),
            config,
            clock=clock,
            now=clock.now,
        )

    return make


@pytest.fixture
def flow(make_flow: Callable[..., Flow]) -> Flow:
    return make_flow()
