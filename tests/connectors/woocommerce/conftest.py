"""Fixtures for the WooCommerce connector tests: a fake store on ``responses``
and a connector wired to it that never really sleeps."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce import connector as connector_module
from tests.fakes.woocommerce_store import FakeWoo, connector_config, default_store


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(connector_module, "SLEEP", waited.append)
    return waited


@pytest.fixture
def woo(rsps: responses.RequestsMock) -> FakeWoo:
    return default_store().install(rsps)


@pytest.fixture
def connector(woo: FakeWoo, sleeps: list[float]) -> WooCommerceConnector:
    return WooCommerceConnector(connector_config())
