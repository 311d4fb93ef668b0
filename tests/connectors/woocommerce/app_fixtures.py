"""Fixtures for the callback and webhook tests: StoreChat's real app (database,
Redis, routes), a shop set up by the WordPress plugin, and the fake store."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.app import create_app
from core.db import Database, Shop
from core.security.connect_state import sign_connect_state
from core.services import Services
from core.settings import Settings
from core.shops import create_shop
from tests.fakes.woocommerce_store import KEY, SECRET, STORE

PUBLIC = "https://chat.example.com"
IDENTITY_SECRET = "s3cret-identity-key-0123456789"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    settings.public_url = PUBLIC
    return settings


@pytest.fixture
def flask_app(app_settings: Settings, db: Database, redis: redis_lib.Redis, sleeps: list[float]) -> Iterator[Flask]:
    app = create_app(app_settings)
    yield app
    app.extensions["storechat"].close()


@pytest.fixture
def svc(flask_app: Flask) -> Services:
    return flask_app.extensions["storechat"]


@pytest.fixture
def client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


@pytest.fixture
def wp_shop(db: Database) -> Shop:
    """The shop the merchant set up for the plugin: content only, with the identity secret."""
    return create_shop(db, "Example Store", "wordpress", {"site_url": STORE, "identity_secret": IDENTITY_SECRET},
                       platform_ref=STORE, currency="EUR", locale="de")


def connect_state(site_key: str, store: str = STORE, *, secret: str = IDENTITY_SECRET,
                  expires: int | None = None) -> str:
    return sign_connect_state(secret, site_key, store, secrets.token_hex(16),
                              expires if expires is not None else int(time.time()) + 900)


def keys_body(state: str, **overrides: Any) -> dict[str, Any]:
    return {"key_id": 1, "user_id": state, "consumer_key": KEY, "consumer_secret": SECRET,
            "key_permissions": "read_write", **overrides}


def post_keys(client: FlaskClient, site_key: str, body: Any, *, store: str = STORE) -> Any:
    """WooCommerce's POST to the callback URL (PLATFORMS.md B4, D2.5)."""
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/connect/woocommerce/callback", query_string={"site_key": site_key, "store": store},
                       data=data, headers={"Content-Type": "application/json;charset=UTF-8"})


def connect(client: FlaskClient, shop: Shop) -> Any:
    resp = post_keys(client, shop.site_key, keys_body(connect_state(shop.site_key)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp


def the_shop(db: Database, shop_id: int) -> Shop:
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.id == shop_id))
        assert shop is not None
        session.expunge(shop)
        return shop


def webhook_headers(topic: str, body: bytes, secret: str, *, delivery: str | None = None,
                    source: str = STORE + "/") -> dict[str, str]:
    """A delivery's headers as WooCommerce sends them (PLATFORMS.md B5)."""
    resource, event = topic.split(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        "X-WC-Webhook-Source": source,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode(),
        "X-WC-Webhook-ID": "142",
        "X-WC-Webhook-Delivery-ID": delivery or uuid.uuid4().hex,
    }
