"""The Admin GraphQL client: throttling by cost, retries, token refresh, errors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses

from connectors.shopify import ShopifyConnector, queries
from connectors.shopify.graphql import FAILURE_DEADLINE, MAX_RETRIES, SAFETY_POINTS, AdminGraphQL, raise_user_errors
from core.connector import ConnectorError
from tests.fakes.shopify_admin import SHOP, TOKEN, URL, FakeAdmin, FakeClock, Store, generated_products
from tests.fakes.shopify_admin import connector_config as config


def client_for(clock: FakeClock, **kwargs) -> AdminGraphQL:
    return AdminGraphQL(SHOP, access_token=lambda: TOKEN, sleep=clock.sleep, clock=clock, **kwargs)


def test_sends_the_token_to_the_pinned_version_endpoint(admin: FakeAdmin, clock: FakeClock) -> None:
    connector = ShopifyConnector(config(), app={"api_version": "2026-10"}, sleep=clock.sleep, clock=clock)
    assert connector.client.url == f"https://{SHOP}/admin/api/2026-10/graphql.json" == URL
    data = connector.client.execute(queries.SHOP)
    assert data["shop"]["primaryDomain"]["url"] == "https://shop.example.com"
    assert admin.requests[0]["token"] == TOKEN


def test_default_api_version_is_pinned() -> None:
    connector = ShopifyConnector(config())
    assert connector.client.url.endswith("/admin/api/2026-10/graphql.json")
    other = ShopifyConnector(config(), app={"api_version": "2026-07"})
    assert "/admin/api/2026-07/" in other.client.url


def test_throttled_query_waits_exactly_for_the_bucket_then_continues(
    rsps: responses.RequestsMock, clock: FakeClock
) -> None:
    # An almost empty bucket (Shopify's older 1000 points / 50 per second):
    # the first page is THROTTLED, the client waits for the refill it needs.
    store = Store(products=generated_products(60))
    admin = FakeAdmin(rsps, store, clock=clock, maximum=1000, restore_rate=50)
    admin.api.available = 100
    connector = ShopifyConnector(config(), sleep=clock.sleep, clock=clock)

    products = list(connector.iter_products())

    assert len(products) == 60
    # The first call cannot know the bucket: THROTTLED, then a wait of exactly
    # (cost - available + 1 point of rounding margin) / restore rate.
    first = admin.log[0]
    assert first["throttled"] and first["requested"] == queries.REQUESTED_COSTS[queries.PRODUCTS]
    assert clock.sleeps[0] == pytest.approx((first["requested"] - 100 + SAFETY_POINTS) / 50)
    # From then on the client knows the bucket and waits before asking: never throttled again.
    assert [e["throttled"] for e in admin.log].count(True) == 1
    # Every later page waited just what the bucket needed: never negative, never a fixed sleep.
    assert all(s > 0 for s in clock.sleeps)
    assert len(set(round(s, 3) for s in clock.sleeps)) > 1
    assert connector.client.stats["throttled"] == 1


def test_throttled_answer_waits_the_computed_refill(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    # A query whose cost the client cannot know in advance meets a low bucket:
    # THROTTLED once, then a wait of exactly the missing points over the restore rate.
    admin = FakeAdmin(rsps, Store(), clock=clock, maximum=1000, restore_rate=50)
    admin.api.available = 3
    data = client_for(clock).execute(queries.ORDERS_BY_NAME, {"query": "name:#1001"})
    assert data["orders"]["nodes"][0]["name"] == "#1001"
    throttled = [e for e in admin.log if e["throttled"]]
    assert len(throttled) == 1
    assert clock.sleeps == [pytest.approx((throttled[0]["requested"] - 3 + SAFETY_POINTS) / 50)]


def test_no_wait_when_the_bucket_is_full(admin: FakeAdmin, connector: ShopifyConnector, clock: FakeClock) -> None:
    list(connector.iter_products())
    assert clock.sleeps == []


def test_throttled_error_payload_from_shopify_docs_is_retried(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    # PLATFORMS.md D1.7: the THROTTLED answer carries no data, only errors and cost.
    rsps.add("POST", URL, json={
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                          "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": None, "throttleStatus": {
            "maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0}}}})
    rsps.add("POST", URL, json={"data": {"shop": {"primaryDomain": {"url": "https://x.example"}, "shopPolicies": []}},
                                "extensions": {"cost": {"requestedQueryCost": 2, "actualQueryCost": 2, "throttleStatus": {
                                    "maximumAvailable": 1000.0, "currentlyAvailable": 998, "restoreRate": 50.0}}}})
    data = client_for(clock).execute(queries.SHOP)
    assert data["shop"]["primaryDomain"]["url"] == "https://x.example"
    assert clock.sleeps == [pytest.approx((752 - 666 + SAFETY_POINTS) / 50)]


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_retried_with_backoff(admin: FakeAdmin, clock: FakeClock, status: int) -> None:
    admin.faults = [(status, {}), (status, {})]
    data = client_for(clock).execute(queries.SHOP)
    assert data["shop"]["shopPolicies"]
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_is_honoured(admin: FakeAdmin, clock: FakeClock) -> None:
    admin.faults = [(429, {"Retry-After": "2.0"})]
    client_for(clock).execute(queries.SHOP)
    assert clock.sleeps == [2.0]


def test_retries_are_bounded(admin: FakeAdmin, clock: FakeClock) -> None:
    admin.faults = [(503, {})] * (MAX_RETRIES + 1)
    with pytest.raises(ConnectorError, match="giving up"):
        client_for(clock).execute(queries.SHOP)
    assert len(clock.sleeps) == MAX_RETRIES


def test_a_call_that_keeps_failing_gives_up_within_its_deadline(admin: FakeAdmin, clock: FakeClock) -> None:
    """A slow, failing store hands its worker back: never more than FAILURE_DEADLINE of failures and waits."""
    admin.faults = [(503, {"Retry-After": "25"})] * (MAX_RETRIES + 1)
    started = clock()
    with pytest.raises(ConnectorError, match="kept failing"):
        client_for(clock).execute(queries.SHOP)
    assert clock.sleeps == [25.0, 25.0] and clock() - started <= FAILURE_DEADLINE


def test_each_read_has_a_short_timeout(admin: FakeAdmin, clock: FakeClock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    real_post = requests.Session.post

    def post(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs.get("timeout"))
        return real_post(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "post", post)
    client_for(clock).execute(queries.SHOP)
    assert seen == [(5.0, 15.0)]


def test_401_refreshes_the_token_and_retries_once(admin: FakeAdmin, clock: FakeClock) -> None:
    admin.valid_tokens = {"shpat_new"}
    saved: list[dict] = []

    def refresh(connector: ShopifyConnector) -> None:
        connector.update_config(access_token="shpat_new")

    connector = ShopifyConnector(config(access_token="shpat_old", refresh_token="shprt_1"),
                                 token_refresher=refresh, on_config_change=saved.append,
                                 sleep=clock.sleep, clock=clock)
    assert connector.client.execute(queries.SHOP)["shop"]
    assert [r["token"] for r in admin.requests] == ["shpat_old", "shpat_new"]
    assert saved and saved[-1]["access_token"] == "shpat_new"


def test_a_second_401_is_a_clear_error(admin: FakeAdmin, clock: FakeClock) -> None:
    admin.valid_tokens = set()
    calls = []
    connector = ShopifyConnector(config(refresh_token="r"), token_refresher=calls.append,
                                 sleep=clock.sleep, clock=clock)
    with pytest.raises(ConnectorError, match="refused the access token") as err:
        connector.client.execute(queries.SHOP)
    assert err.value.code == "shopify_unauthorized"
    assert len(calls) == 1 and len(admin.requests) == 2


def test_token_about_to_expire_is_refreshed_before_the_call(admin: FakeAdmin, clock: FakeClock) -> None:
    soon = (datetime.now(timezone.utc) + timedelta(minutes=4)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(minutes=60)).isoformat()

    def refresh(connector: ShopifyConnector) -> None:
        connector.update_config(access_token=TOKEN, access_token_expires_at=later)

    connector = ShopifyConnector(config(access_token="shpat_expiring", access_token_expires_at=soon,
                                        refresh_token="r"), token_refresher=refresh, sleep=clock.sleep, clock=clock)
    connector.client.execute(queries.SHOP)
    connector.client.execute(queries.SHOP)
    assert [r["token"] for r in admin.requests] == [TOKEN, TOKEN]


def test_token_far_from_expiry_is_not_refreshed(admin: FakeAdmin, clock: FakeClock) -> None:
    later = (datetime.now(timezone.utc) + timedelta(minutes=30)).isoformat()
    calls = []
    connector = ShopifyConnector(config(access_token_expires_at=later, refresh_token="r"),
                                 token_refresher=calls.append, sleep=clock.sleep, clock=clock)
    connector.client.execute(queries.SHOP)
    assert calls == []


def test_graphql_errors_raise_with_the_message(admin: FakeAdmin, clock: FakeClock) -> None:
    with pytest.raises(ConnectorError, match="Cannot query field 'nope'") as err:
        client_for(clock).execute("query { shop { nope } }")
    assert err.value.code == "shopify_graphql_error"


def test_query_over_the_single_query_limit_is_refused(admin: FakeAdmin, clock: FakeClock) -> None:
    with pytest.raises(ConnectorError, match="MAX_COST_EXCEEDED"):
        client_for(clock).execute("query { products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }")


def test_http_errors_name_the_cause(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    rsps.add("POST", URL, status=403, json={"errors": "Access denied"})
    with pytest.raises(ConnectorError, match="lacks an access scope") as err:
        client_for(clock).execute(queries.SHOP)
    assert err.value.code == "shopify_http_403"


def test_user_errors_raise() -> None:
    raise_user_errors({"userErrors": []}, "the webhook")
    with pytest.raises(ConnectorError, match="callbackUrl: is invalid"):
        raise_user_errors({"userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "is invalid"}]},
                          "the webhook")


def test_missing_shop_domain_is_a_config_error() -> None:
    with pytest.raises(ConnectorError, match="no shop_domain"):
        ShopifyConnector({"access_token": "x"}).client


def test_by_default_the_token_is_refreshed_by_the_tokens_module(
    admin: FakeAdmin, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.shopify import tokens

    refreshed = []

    def refresh(connector: ShopifyConnector) -> None:
        refreshed.append(connector)
        connector.update_config(access_token=TOKEN)

    monkeypatch.setattr(tokens, "refresh", refresh)
    admin.valid_tokens = {TOKEN}
    connector = ShopifyConnector(config(access_token="shpat_expired", refresh_token="shprt"),
                                 sleep=clock.sleep, clock=clock)
    assert connector.client.execute(queries.SHOP)["shop"]
    assert refreshed == [connector]
