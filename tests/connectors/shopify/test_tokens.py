"""Expiring offline tokens: the code exchange asks for one, a refresh stores
both new tokens (encrypted, at once), and the GraphQL client refreshes on a
401 and retries, so an expired token never reaches the shopper."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from connectors.shopify import ShopifyConnector, tokens
from core import shop_connectors
from core.db import Database
from core.settings import Settings
from core.shop_connectors import open_config
from tests.connectors.shopify.app_fixtures import (  # noqa: F401 - fixtures
    app_settings,
    client,
    flask_app,
    install,
    shopify,
    svc,
    the_shop,
)
from tests.fakes.shopify_admin import SHOP, TOKEN
from tests.fakes.shopify_app import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, FakeShopify

APP = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_version": "2026-10"}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_exchange_asks_for_an_expiring_offline_token(shopify: FakeShopify) -> None:
    fields = tokens.exchange_code(SHOP, APP, shopify.grant_code(), now=lambda: NOW)
    assert shopify.token_requests[0]["expiring"] == 1
    assert fields["access_token"] == TOKEN and fields["refresh_token"].startswith("shprt_")
    assert fields["access_token_expires_at"] == (NOW + timedelta(seconds=3600)).isoformat()
    assert fields["refresh_token_expires_at"] == (NOW + timedelta(seconds=7776000)).isoformat()


def test_refresh_stores_both_new_tokens(shopify: FakeShopify) -> None:
    pair = shopify._new_pair("shpat_old")
    changes: list[dict[str, Any]] = []
    connector = ShopifyConnector({"shop_domain": SHOP, "access_token": "shpat_old", "refresh_token": pair["refresh_token"]},
                                 app=APP, on_config_change=changes.append)
    tokens.refresh(connector, now=lambda: NOW)
    body = shopify.token_requests[-1]
    assert body == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
                    "refresh_token": pair["refresh_token"]}
    [saved] = changes
    assert saved["access_token"].startswith("shpat_refreshed_")
    assert saved["refresh_token"] != pair["refresh_token"]
    assert saved["access_token_expires_at"] == (NOW + timedelta(hours=1)).isoformat()
    assert "scope" not in saved


def test_refused_refresh_is_a_clear_error(shopify: FakeShopify) -> None:
    connector = ShopifyConnector({"shop_domain": SHOP, "access_token": "x", "refresh_token": "shprt_unknown"}, app=APP)
    with pytest.raises(tokens.TokenRefused, match="refresh token is invalid") as err:
        tokens.refresh(connector)
    assert err.value.code == "shopify_token_refused"
    with pytest.raises(tokens.TokenRefused, match="reinstall"):
        tokens.refresh(ShopifyConnector({"shop_domain": SHOP, "access_token": "x"}, app=APP))


def test_unreachable_token_endpoint(rsps: responses.RequestsMock) -> None:
    import requests

    rsps.add("POST", TOKEN_URL, body=requests.ConnectionError("no route"))
    with pytest.raises(tokens.ConnectorError) as err:
        tokens.exchange_code(SHOP, APP, "c")
    assert err.value.code == "shopify_unreachable"


def test_expired_token_is_refreshed_on_401_then_retried_and_saved_sealed(
    client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings
) -> None:
    install(client, shopify)
    shopify.admin.valid_tokens.discard(TOKEN)  # Shopify expired it
    connector = shop_connectors.for_shop(db, the_shop(db))
    order = connector.find_order("#1001", email="bob.norman@hostmail.com")
    assert order is not None and order.name == "#1001"
    tokens_used = [r["token"] for r in shopify.admin.requests[-2:]]
    assert tokens_used[0] == TOKEN and tokens_used[1].startswith("shpat_refreshed_")
    stored = the_shop(db)
    config = open_config(settings, stored)
    assert config["access_token"] == tokens_used[1]
    assert config["access_token"] not in str(stored.connector_config)
    assert config["refresh_token"] in shopify.refresh_tokens  # the new refresh token, not the used one


def test_token_near_expiry_is_refreshed_before_the_call(
    client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings
) -> None:
    install(client, shopify)
    shop = the_shop(db)
    connector = shop_connectors.for_shop(db, shop)
    connector.update_config(access_token_expires_at=(datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat())
    connector.find_order("#1001", email="bob.norman@hostmail.com")
    assert [r.get("grant_type") for r in shopify.token_requests] == [None, "refresh_token"]
    assert shopify.admin.requests[-1]["token"].startswith("shpat_refreshed_")
    assert open_config(settings, the_shop(db))["access_token"].startswith("shpat_refreshed_")


def test_two_processes_refresh_once_and_share_the_new_tokens(
    client: FlaskClient, shopify: FakeShopify, db: Database, settings: Settings
) -> None:
    install(client, shopify)
    shop = the_shop(db)
    worker, web = shop_connectors.for_shop(db, shop), shop_connectors.for_shop(db, shop)  # two processes' copies
    shopify.admin.valid_tokens.discard(TOKEN)  # Shopify expired it
    assert worker.find_order("#1001", email="bob.norman@hostmail.com") is not None
    refreshes = [r for r in shopify.token_requests if r.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    # The other copy still holds the expired token and the refresh token Shopify just retired:
    # it takes the stored new pair instead of refreshing (which Shopify would refuse).
    assert web.config["access_token"] == TOKEN
    assert web.find_order("#1001", email="bob.norman@hostmail.com") is not None
    assert len([r for r in shopify.token_requests if r.get("grant_type") == "refresh_token"]) == 1
    assert web.config["access_token"] == open_config(settings, the_shop(db))["access_token"] != TOKEN
