"""Every query the connector sends is valid against Shopify's real 2026-10
schema, stays under the single-query cost limit, and pages as wide as that allows."""
from __future__ import annotations

import pytest
from graphql import parse, validate

from connectors.shopify import ShopifyConnector, queries
from tests.fakes.shopify_admin import FakeAdmin, schema
from tests.fakes.shopify_cost import MAX_QUERY_COST, query_cost

VARIABLES = {
    "products": {"first": queries.PRODUCTS_PAGE},
    "product": {"id": "gid://shopify/Product/1"},
    "product_variants": {"id": "gid://shopify/Product/1", "first": queries.VARIANTS_PAGE},
    "shop": {},
    "pages": {"first": queries.PAGES_PAGE},
    "orders_by_name": {"query": "name:#1001"},
}


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_query_is_valid_against_the_real_schema(name: str) -> None:
    errors = validate(schema(), parse(queries.ALL[name]))
    assert errors == [], f"{name}: {[e.message for e in errors]}"


def test_the_validator_does_reject_a_wrong_field() -> None:
    bad = queries.PRODUCTS.replace("compareAtPrice", "compareAtPriceV9")
    assert validate(schema(), parse(bad))


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_query_costs_at_most_the_single_query_limit(name: str) -> None:
    assert query_cost(schema(), parse(queries.ALL[name]), VARIABLES[name]) <= MAX_QUERY_COST


def test_cost_hints_are_what_shopify_would_request() -> None:
    names = {q: n for n, q in queries.ALL.items()}
    for query, hint in queries.REQUESTED_COSTS.items():
        assert query_cost(schema(), parse(query), VARIABLES[names[query]]) == hint


def test_product_pages_are_as_wide_as_the_cost_limit_allows() -> None:
    doc = parse(queries.PRODUCTS)
    assert query_cost(schema(), doc, {"first": queries.PRODUCTS_PAGE + 1}) > MAX_QUERY_COST
    assert queries.VARIANTS_PAGE == queries.PAGES_PAGE == 250  # Shopify's maximum `first`


def test_every_query_sent_in_a_full_read_is_a_known_valid_query(
    admin: FakeAdmin, connector: ShopifyConnector
) -> None:
    list(connector.iter_products())
    list(connector.iter_documents())
    connector.find_order("#1001", email="bob.norman@hostmail.com")
    connector.fetch_product("1")
    sent = {r["body"]["query"] for r in admin.requests}
    assert sent <= set(queries.ALL.values())
    assert {queries.PRODUCTS, queries.SHOP, queries.PAGES, queries.ORDERS_BY_NAME, queries.PRODUCT} <= sent
    for query in sent:
        assert validate(schema(), parse(query)) == []
