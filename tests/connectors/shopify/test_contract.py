"""Core's connector contract, run against the Shopify connector on the fake Admin API."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from connectors.shopify import ShopifyConnector
from core.testing import ConnectorContract
from tests.fakes.shopify_admin import FakeAdmin, FakeClock, Store, connector_config, generated_products, products_from_rest


class TestShopifyContract(ConnectorContract):
    known_order_reference = "#1001"
    known_order_email = "bob.norman@hostmail.com"
    known_order_customer_id = "207119551"

    @pytest.fixture
    def connector(self) -> Iterator[ShopifyConnector]:
        clock = FakeClock()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            FakeAdmin(rsps, Store(products=products_from_rest() + generated_products(40)), clock=clock)
            yield ShopifyConnector(connector_config(), sleep=clock.sleep, clock=clock)
