"""Fixtures for the Shopify connector tests: a fake Admin API on ``responses``
and a connector wired to it with a fake clock (nothing really sleeps)."""
from __future__ import annotations

from collections.abc import Iterator
import pytest
import responses

from connectors.shopify import ShopifyConnector
from tests.fakes.shopify_admin import FakeAdmin, FakeClock, Store, products_from_rest
from tests.fakes.shopify_admin import connector_config as config


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> Store:
    return Store(products=products_from_rest())


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def admin(rsps: responses.RequestsMock, store: Store, clock: FakeClock) -> FakeAdmin:
    return FakeAdmin(rsps, store, clock=clock)


@pytest.fixture
def connector(admin: FakeAdmin, clock: FakeClock) -> ShopifyConnector:
    return ShopifyConnector(config(), app={"api_version": "2026-10"}, sleep=clock.sleep, clock=clock)
