"""Core's connector contract, run against the WooCommerce connector on the fake store."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from connectors.woocommerce import WooCommerceConnector
from core.testing import ConnectorContract
from tests.fakes.woocommerce_store import connector_config, default_store, generated_products


class TestWooCommerceContract(ConnectorContract):
    known_order_reference = "#727"
    known_order_email = "john.doe@example.com"
    known_order_customer_id = "42"

    @pytest.fixture
    def connector(self) -> Iterator[WooCommerceConnector]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            woo = default_store()
            woo.products.extend(generated_products(120))
            woo.orders[0]["customer_id"] = 42  # a registered customer's order
            woo.install(rsps)
            yield WooCommerceConnector(connector_config(), sleep=lambda _s: None)
