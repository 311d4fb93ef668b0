"""Live order lookups: the owner gets the order (by email or verified customer),
anyone else gets None without learning whether it exists; sequential numbers;
shipment tracking from the plugin meta (PLATFORMS.md B7)."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from connectors.woocommerce import WooCommerceConnector
from core.connector import ConnectorError
from tests.fakes.woocommerce_store import ORDER_727, FakeWoo, connector_config


def test_right_email_gets_the_order_with_items_payment_and_tracking(connector: WooCommerceConnector) -> None:
    order = connector.find_order("#727", email="John.Doe@Example.com")
    assert order is not None
    assert (order.external_id, order.name, order.email, order.currency) == ("727", "#727", "john.doe@example.com", "USD")
    assert order.total_price == Decimal("29.35")
    assert (order.financial_status, order.fulfillment_status, order.cancelled) == ("paid", "processing", False)
    assert [(li.title, li.quantity, li.price) for li in order.lines] == [
        ("Woo Single #1", 2, Decimal("3")), ("Ship Your Idea &ndash; Color: Black", 1, Decimal("12"))]
    [shipment] = order.fulfillments
    assert shipment.tracking_company == "usps" and shipment.tracking_numbers == ("9400111899223344556677",)
    assert shipment.tracking_urls[0].endswith("9400111899223344556677")
    assert order.created_at is not None and order.created_at.isoformat() == "2017-03-22T19:28:02+00:00"


@pytest.mark.parametrize("kwargs", [
    {"email": "someone.else@example.com"},
    {"customer_id": "5"},
    {},
    {"email": ""},
])
def test_anyone_else_gets_none(connector: WooCommerceConnector, kwargs: dict[str, str]) -> None:
    assert connector.find_order("727", **kwargs) is None


def test_an_unknown_order_is_none_too(connector: WooCommerceConnector) -> None:
    assert connector.find_order("#987654321", email="john.doe@example.com") is None
    assert connector.find_order("../products", email="john.doe@example.com") is None


def test_the_verified_customer_gets_their_order(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    woo.orders[0]["customer_id"] = 42
    order = connector.find_order("727", customer_id="42")
    assert order is not None and order.customer_id == "42"
    assert connector.find_order("727", customer_id="43") is None
    woo.orders[0]["customer_id"] = 0  # a guest order is nobody's by customer id
    assert connector.find_order("727", customer_id="0") is None


def test_sequential_numbers_are_found_by_number_not_id(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    renumbered = copy.deepcopy(ORDER_727)
    renumbered.update(id=800, number="WC-2026-0042", customer_id=42)
    other = copy.deepcopy(ORDER_727)
    other.update(id=42, number="WC-2026-0001")  # id 42 is another order: never shown for "#42"
    other["billing"]["email"] = "mallory@example.com"
    woo.orders[:] = [renumbered, other]

    found = connector.find_order("WC-2026-0042", email="john.doe@example.com")
    assert found is not None and (found.external_id, found.name) == ("800", "#WC-2026-0042")
    assert connector.find_order("WC-2026-0042", customer_id="42") is not None
    assert connector.find_order("#42", email="mallory@example.com") is None


def test_a_cancelled_refunded_order_says_so(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    woo.orders[0].update(status="refunded")
    assert connector.find_order("727", email="john.doe@example.com").financial_status == "refunded"
    woo.orders[0].update(status="cancelled", date_paid=None, date_paid_gmt=None)
    order = connector.find_order("727", email="john.doe@example.com")
    assert order.cancelled and order.financial_status == "pending"


def test_custom_tracking_links_and_no_tracking(woo: FakeWoo, connector: WooCommerceConnector) -> None:
    meta = woo.orders[0]["meta_data"][1]["value"]
    meta[0].update(tracking_provider="", custom_tracking_provider="Local Courier",
                   custom_tracking_link="https://courier.example/t/1")
    [shipment] = connector.find_order("727", email="john.doe@example.com").fulfillments
    assert (shipment.tracking_company, shipment.tracking_urls) == ("Local Courier", ("https://courier.example/t/1",))
    woo.orders[0]["meta_data"] = []
    assert connector.find_order("727", email="john.doe@example.com").fulfillments == ()


def test_a_lookup_with_bad_keys_is_an_error_not_a_none(woo: FakeWoo, sleeps: list[float]) -> None:
    with pytest.raises(ConnectorError) as err:
        WooCommerceConnector(connector_config(consumer_key="ck_wrong")).find_order("727", email="john.doe@example.com")
    assert err.value.code == "platform_auth_failed"
