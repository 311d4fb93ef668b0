"""The Shopify install end to end through StoreChat's real routes, database and
Redis, with Shopify's token endpoint and Admin API replayed: real HMACs, the
grant redirect, the callback's checks (each forgery refused before any request
to Shopify), tokens stored encrypted, webhooks subscribed, first sync queued,
the landing page's app-embed link; reinstall after uninstall."""
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis as redis_lib
import responses
from flask.testing import FlaskClient
from sqlalchemy import select

from connectors.shopify import install as shopify_install
from connectors.shopify.webhooks import SUBSCRIBED
from core import jobs
from core.db import Database, Shop, SyncRun
from core.settings import Settings
from core.shop_connectors import open_config
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    PUBLIC,
    app_settings,
    client,
    finish_install,
    flask_app,
    install,
    shopify,
    start_install,
    svc,
    the_shop,
)
from tests.fakes.shopify_admin import SHOP, TOKEN
from tests.fakes.shopify_app import CLIENT_ID, FakeShopify, callback_params, signed_callback, webhook_headers


def test_install_redirects_to_the_grant_screen_with_offline_scopes_and_state(
    client: FlaskClient, redis: redis_lib.Redis, rsps: responses.RequestsMock
) -> None:
    resp = client.get(f"/connect/shopify/install?shop={SHOP}")
    assert resp.status_code == 302
    url = urlsplit(resp.location)
    assert (url.scheme, url.netloc, url.path) == ("https", SHOP, "/admin/oauth/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(shopify_install.DEFAULT_SCOPES)]
    assert query["redirect_uri"] == [f"{PUBLIC}/connect/shopify/callback"]
    assert "grant_options[]" not in query  # offline: the shop's token, not a user's
    state = query["state"][0]
    assert redis.get(f"storechat:install-state:shopify:{state}") == SHOP.encode()
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("shop", [
    "evil.com", "test-shop.myshopify.com.evil.com", "-bad.myshopify.com", "https://test-shop.myshopify.com",
    "test-shop.myshopify.com/admin", "test-shop.myshopify.com:443", "test shop.myshopify.com", "",
    "test-shop.shopify.com", "x" * 300 + ".myshopify.com", "test_shop.myshopify.com",
])
def test_foreign_shop_domain_is_refused_before_any_request(
    client: FlaskClient, redis: redis_lib.Redis, rsps: responses.RequestsMock, shop: str
) -> None:
    resp = client.get("/connect/shopify/install", query_string={"shop": shop})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_shop_domain"
    assert len(rsps.calls) == 0
    assert redis.keys("storechat:install-state:*") == []


def test_uppercase_shop_domain_is_normalized(client: FlaskClient) -> None:
    resp = client.get("/connect/shopify/install?shop=Test-Shop.MyShopify.com")
    assert urlsplit(resp.location).netloc == SHOP


def test_admin_launch_with_a_forged_hmac_is_refused(client: FlaskClient, rsps: responses.RequestsMock) -> None:
    params = signed_callback({"shop": SHOP, "timestamp": str(int(time.time()))})
    assert client.get("/connect/shopify/install", query_string=params).status_code == 302
    params["timestamp"] = str(int(params["timestamp"]) + 1)
    resp = client.get("/connect/shopify/install", query_string=params)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_hmac"


def test_full_install(client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings,
                      redis: redis_lib.Redis) -> None:
    resp = install(client, shopify)
    shop = the_shop(db)
    assert resp.location == f"{PUBLIC}/installed/{shop.site_key}"
    assert (shop.name, shop.platform_ref, shop.currency, shop.active) == ("Aardvark Goods", SHOP, "EUR", True)
    assert shop.storefront_url == "https://shop.example.com"

    # An expiring offline token was asked for, and both tokens are stored encrypted.
    [exchange] = shopify.token_requests
    assert exchange["expiring"] == 1 and exchange["client_id"] == CLIENT_ID
    stored = json.dumps(shop.connector_config)
    config = open_config(settings, shop)
    assert config["access_token"] == TOKEN and config["refresh_token"].startswith("shprt_")
    assert TOKEN not in stored and config["refresh_token"] not in stored
    assert config["shop_domain"] == SHOP and config["access_token_expires_at"]

    # Webhooks subscribed at StoreChat's address, one per topic.
    assert sorted(s["topic"] for s in shopify.store.subscriptions) == sorted(SUBSCRIBED.values())
    assert {s["uri"] for s in shopify.store.subscriptions} == {f"{PUBLIC}/webhooks/shopify"}

    # The first full sync is queued.
    with db.session() as session:
        [run] = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id))
    assert run.full and run.status == "queued"
    assert [j.args for j in jobs.queue(jobs.DEFAULT, redis).jobs] == [[run.id]]

    # The app embed finds the site key and StoreChat's address in app-data metafields.
    assert shopify.store.app_metafields == {("storechat", "site_key"): shop.site_key, ("storechat", "origin"): PUBLIC}

    # The landing page links to the theme editor with StoreChat's app embed.
    html = client.get(urlsplit(resp.location).path).get_data(as_text=True)
    assert (f"https://{SHOP}/admin/themes/current/editor?context=apps&amp;"
            f"activateAppId={CLIENT_ID}%2Fstorechat") in html


def test_install_runs_the_first_sync_on_a_worker(client: FlaskClient, shopify: FakeShopify, db: Database,
                                                svc: object) -> None:
    from core.catalog import search
    from core.testing.jobs import run_queued_jobs

    install(client, shopify)
    assert run_queued_jobs(svc) == []  # type: ignore[arg-type]
    shop = the_shop(db)
    with db.session() as session:
        run = session.scalar(select(SyncRun).where(SyncRun.shop_id == shop.id))
        assert run is not None and run.status == "finished" and run.products_seen == len(shopify.store.products)
        assert search.search_products(session, shop.id, "ipod nano")


@pytest.mark.parametrize("forgery", ["tampered", "wrong secret", "no hmac", "extra param"])
def test_forged_callback_is_refused_before_any_request(
    client: FlaskClient, shopify: FakeShopify, db: Database, rsps: responses.RequestsMock, forgery: str
) -> None:
    state = start_install(client)
    params = signed_callback(callback_params(state, shopify.grant_code()),
                             secret="not-the-secret" if forgery == "wrong secret" else
                             "shpss_storechat-test-secret-0123456789")
    if forgery == "tampered":
        params["code"] = shopify.grant_code()
    if forgery == "no hmac":
        del params["hmac"]
    if forgery == "extra param":
        params["embedded"] = "1"
    resp = client.get("/connect/shopify/callback", query_string=params)
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_hmac"
    assert len(rsps.calls) == 0
    assert db.session and _no_shops(db)
    # The state was not burnt by the forgery: the genuine callback still works.
    assert finish_install(client, shopify, state).status_code == 302


def _no_shops(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(Shop).where(Shop.platform == "shopify")) is None


def test_bad_used_or_foreign_state_is_refused(client: FlaskClient, shopify: FakeShopify, db: Database,
                                              rsps: responses.RequestsMock) -> None:
    resp = finish_install(client, shopify, "0" * 64)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "bad_state"
    other = start_install(client, "other-shop.myshopify.com")
    assert finish_install(client, shopify, other).status_code == 403  # issued for another shop
    assert len(rsps.calls) == 0 and _no_shops(db)
    state = start_install(client)
    params = signed_callback(callback_params(state, shopify.grant_code()))
    assert client.get("/connect/shopify/callback", query_string=params).status_code == 302
    replay = client.get("/connect/shopify/callback", query_string=params)
    assert replay.status_code == 403 and replay.get_json()["error"]["code"] == "bad_state"
    assert len(shopify.token_requests) == 1


def _signed_multi(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query pairs, a key possibly repeated, with the ``hmac`` Shopify's libraries compute
    (a repeated key's values joined with ``,``)."""
    import hashlib
    import hmac

    from tests.fakes.shopify_app import CLIENT_SECRET

    joined: dict[str, list[str]] = {}
    for k, v in pairs:
        joined.setdefault(k, []).append(v)
    message = "&".join(f"{k}={','.join(v)}" for k, v in sorted(joined.items()))
    return [*pairs, ("hmac", hmac.new(CLIENT_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest())]


@pytest.mark.parametrize("key", ["shop", "state", "code", "timestamp", "host"])
def test_a_repeated_parameter_in_a_signed_callback_is_refused(
    client: FlaskClient, shopify: FakeShopify, db: Database, rsps: responses.RequestsMock, key: str
) -> None:
    """The HMAC covers a repeated key's values joined with ',' while the route reads one of them:
    Shopify never repeats these, so a query that does is refused before anything else."""
    state = start_install(client)
    params = callback_params(state, shopify.grant_code())
    pairs = [*params.items(), (key, "other-shop.myshopify.com" if key == "shop" else params[key])]
    resp = client.get("/connect/shopify/callback", query_string=_signed_multi(pairs))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_hmac"
    assert len(rsps.calls) == 0 and _no_shops(db)


def test_a_repeated_shop_in_a_signed_admin_launch_is_refused(client: FlaskClient, redis: redis_lib.Redis) -> None:
    pairs = [("shop", SHOP), ("shop", "other-shop.myshopify.com"), ("timestamp", str(int(time.time())))]
    resp = client.get("/connect/shopify/install", query_string=_signed_multi(pairs))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_hmac"
    assert redis.keys("storechat:install-state:*") == []


def test_signed_callback_for_a_foreign_shop_is_refused_before_any_request(
    client: FlaskClient, shopify: FakeShopify, rsps: responses.RequestsMock
) -> None:
    state = start_install(client)
    resp = finish_install(client, shopify, state, shop="evil.com")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_shop_domain"
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("age", [-3600, 3600, 24 * 3600])
def test_stale_callback_is_refused(client: FlaskClient, shopify: FakeShopify, rsps: responses.RequestsMock,
                                   age: int) -> None:
    state = start_install(client)
    resp = finish_install(client, shopify, state, timestamp=int(time.time()) - age)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "stale_request"
    assert len(rsps.calls) == 0
    assert finish_install(client, shopify, state).status_code == 302  # state still good


def test_refused_code_exchange_creates_nothing(client: FlaskClient, shopify: FakeShopify, db: Database) -> None:
    state = start_install(client)
    params = signed_callback(callback_params(state, "a-code-shopify-never-issued"))
    resp = client.get("/connect/shopify/callback", query_string=params)
    assert resp.status_code == 502
    assert resp.get_json()["error"]["code"] == "shopify_token_refused"
    assert "invalid or used" in resp.get_json()["error"]["message"]
    assert _no_shops(db)


def test_app_not_configured_is_a_clear_error(client: FlaskClient, app_settings: Settings) -> None:
    app_settings.apps.pop("shopify")
    resp = client.get(f"/connect/shopify/install?shop={SHOP}")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "app_not_configured"


def test_second_install_updates_and_reinstall_after_uninstall_reactivates(
    client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings, svc: object
) -> None:
    from core.testing.jobs import run_queued_jobs

    install(client, shopify)
    first = the_shop(db)
    install(client, shopify)
    again = the_shop(db)  # one shop, not two
    assert again.id == first.id and again.site_key == first.site_key
    assert len(shopify.store.subscriptions) == len(SUBSCRIBED)  # nothing subscribed twice

    body = json.dumps({"id": 548380009, "myshopify_domain": SHOP}).encode()
    assert client.post("/webhooks/shopify", data=body, headers=webhook_headers("app/uninstalled", body)).status_code == 200
    run_queued_jobs(svc)  # type: ignore[arg-type]
    gone = the_shop(db)
    assert gone.active is False and "access_token" not in open_config(settings, gone)
    shopify.store.subscriptions.clear()  # Shopify drops an uninstalled app's subscriptions

    install(client, shopify)
    back = the_shop(db)
    assert back.id == first.id and back.active is True and back.site_key == first.site_key
    assert open_config(settings, back)["access_token"] == TOKEN
    assert len(shopify.store.subscriptions) == len(SUBSCRIBED)


def test_scopes_are_exactly_what_the_queries_need() -> None:
    """Each scope is one the real schema requires for a type or field StoreChat's queries touch,
    or one a webhook subscription needs; none is asked for without a need only it covers."""
    from graphql import TypeInfo, TypeInfoVisitor, Visitor, get_named_type, parse, validate, visit

    from connectors.shopify import queries, storefront, webhooks
    from tests.fakes.shopify_admin import DATA, schema

    import gzip

    items = json.load(gzip.open(DATA / "admin-graphql-2026-10.json.gz"))["offline_scopes"]["items"]
    type_scopes = {i["typeName"]: set(i["offlineScopes"]) for i in items if i["type"] == "type" and i["offlineScopes"]}
    field_scopes = {(i["typeName"], i["fieldName"]): set(i["offlineScopes"])
                    for i in items if i["type"] == "field" and i["offlineScopes"]}
    needs: list[set[str]] = []

    class Collect(Visitor):
        def enter_field(self, node, *_):  # type: ignore[no-untyped-def]
            parent, field = info.get_parent_type(), info.get_field_def()
            if parent is None or field is None:
                return
            if (parent.name, node.name.value) in field_scopes:
                needs.append(field_scopes[(parent.name, node.name.value)])
            named = get_named_type(field.type)
            if named.name in type_scopes:
                needs.append(type_scopes[named.name])

    all_queries = [*queries.ALL.values(), *webhooks.QUERIES.values(), *storefront.QUERIES.values(),
                   shopify_install.SHOP_INFO]
    for query in all_queries:
        assert validate(schema(), parse(query)) == []
        info = TypeInfo(schema())
        visit(parse(query), TypeInfoVisitor(info, Collect()))
    topics = (*webhooks.APP_TOPICS, *webhooks.SUBSCRIBED)  # the app's file and the install's subscriptions
    needs.extend({webhooks.TOPIC_SCOPES[t]} for t in topics if t in webhooks.TOPIC_SCOPES)
    needs.append({"write_app_proxy"})  # the App Proxy (shopper identity) is configured only with it
    granted = set(shopify_install.DEFAULT_SCOPES)
    for need in needs:
        assert need & granted, f"no granted scope covers {sorted(need)}"
    # Nothing more: every scope asked for is the only way to cover some need.
    for scope in granted:
        assert any(need & granted == {scope} for need in needs), f"{scope} is not needed"


def test_install_links_are_rate_limited_per_client_address(client: FlaskClient, redis: redis_lib.Redis) -> None:
    """Each /install stores a state in Redis: one address (an IPv6 host: its /64) may ask for
    a burst of them, then a few a minute; other addresses are not held back."""
    from core.install import host as install_host

    def ask(address: str) -> Any:
        return client.get(f"/connect/shopify/install?shop={SHOP}", environ_base={"REMOTE_ADDR": address})

    for _ in range(install_host.INSTALL_BURST):
        assert ask("203.0.113.7").status_code == 302
    refused = ask("203.0.113.7")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < float(refused.headers["Retry-After"]) <= 1 / install_host.INSTALL_RATE + 1
    assert len(redis.keys("storechat:install-state:*")) == install_host.INSTALL_BURST
    assert ask("203.0.113.8").status_code == 302

    for i in range(install_host.INSTALL_BURST):
        assert ask(f"2001:db8:1:2::{i + 1:x}").status_code == 302
    assert ask("2001:db8:1:2:ffff::1").status_code == 429  # the same /64
    assert ask("2001:db8:1:3::1").status_code == 302
