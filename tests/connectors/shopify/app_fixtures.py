"""Fixtures for the install, webhook and proxy tests: StoreChat's real app
(database, Redis, routes) configured with a Shopify app, and the fake Shopify
it installs into."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis as redis_lib
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.app import create_app
from core.db import Database, Shop
from core.services import Services
from core.settings import Settings
from tests.fakes.shopify_admin import SHOP
from tests.fakes.shopify_app import CLIENT_ID, CLIENT_SECRET, FakeShopify, callback_params, signed_callback

PUBLIC = "https://chat.example.com"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    settings.apps["shopify"] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_version": "2026-10"}
    settings.public_url = PUBLIC
    return settings


@pytest.fixture
def flask_app(app_settings: Settings, db: Database, redis: redis_lib.Redis) -> Iterator[Flask]:
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
def shopify(rsps: responses.RequestsMock) -> FakeShopify:
    return FakeShopify(rsps)


def start_install(client: FlaskClient, shop: str = SHOP) -> str:
    """``/install``; returns the state the grant screen would send back."""
    resp = client.get(f"/connect/shopify/install?shop={shop}")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return parse_qs(urlsplit(resp.location).query)["state"][0]


def finish_install(client: FlaskClient, shopify: FakeShopify, state: str, **overrides: Any) -> Any:
    params = callback_params(state, shopify.grant_code(), **overrides)
    return client.get("/connect/shopify/callback", query_string=signed_callback(params))


def install(client: FlaskClient, shopify: FakeShopify) -> Any:
    resp = finish_install(client, shopify, start_install(client))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


def the_shop(db: Database) -> Shop:
    with db.session() as session:
        [shop] = session.scalars(select(Shop).where(Shop.platform == "shopify"))
        return shop
