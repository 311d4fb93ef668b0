"""The key callback WooCommerce's authorization posts to (PLATFORMS.md B4):
exactly 200 for a genuine, fresh state; keys stored encrypted; the plugin's
shop becomes the WooCommerce shop (site key kept); webhooks created; the
first sync queued. Forged, used or expired states, unknown site keys and
malformed bodies are refused without storing anything."""
from __future__ import annotations

import json
import time

from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import Database, Document, Product, Shop
from core.services import Services
from core.shop_connectors import open_config
from core.testing.jobs import run_queued_jobs
from tests.connectors.woocommerce.app_fixtures import (  # noqa: F401 - fixtures
    IDENTITY_SECRET,
    PUBLIC,
    app_settings,
    client,
    connect,
    connect_state,
    flask_app,
    keys_body,
    post_keys,
    svc,
    the_shop,
    wp_shop,
)
from tests.fakes.woocommerce_store import KEY, SECRET, STORE, FakeWoo


def test_good_state_answers_200_and_stores_keys_encrypted(client: FlaskClient, db: Database, svc: Services,
                                                          wp_shop: Shop, woo: FakeWoo) -> None:
    resp = connect(client, wp_shop)
    assert resp.status_code == 200
    assert resp.get_json()["installed_url"] == f"{PUBLIC}/installed/{wp_shop.site_key}"

    shop = the_shop(db, wp_shop.id)
    assert (shop.platform, shop.platform_ref, shop.site_key, shop.currency) == (
        "woocommerce", STORE, wp_shop.site_key, "EUR")
    stored = json.dumps(shop.connector_config)
    assert KEY not in stored and SECRET not in stored and IDENTITY_SECRET not in stored
    config = open_config(svc.settings, shop)
    assert (config["consumer_key"], config["consumer_secret"], config["store_url"]) == (KEY, SECRET, STORE)
    assert config["identity_secret"] == IDENTITY_SECRET  # the plugin's shopper identities still verify

    # Webhooks created with the shop's own secret, which is kept encrypted too.
    assert sorted(w["topic"] for w in woo.webhooks) == [
        "order.created", "product.created", "product.deleted", "product.updated"]
    assert {w["delivery_url"] for w in woo.webhooks} == {f"{PUBLIC}/webhooks/woocommerce"}
    assert {w["secret"] for w in woo.webhooks} == {config["webhook_secret"]}
    assert config["webhook_secret"] not in stored

    assert run_queued_jobs(svc) == []  # the first sync
    with db.session() as session:
        assert session.scalar(select(func.count(Product.id)).where(Product.shop_id == shop.id)) == 2
        docs = session.scalars(select(Document.external_id).where(Document.shop_id == shop.id)).all()
    assert sorted(docs) == ["page:2", "page:7", "post:11"]  # the site's content is still knowledge


def test_a_state_is_good_once(client: FlaskClient, wp_shop: Shop, woo: FakeWoo) -> None:
    body = keys_body(connect_state(wp_shop.site_key))
    assert post_keys(client, wp_shop.site_key, body).status_code == 200
    again = post_keys(client, wp_shop.site_key, body)
    assert again.status_code == 403 and again.get_json()["error"]["code"] == "bad_state"


def test_bad_states_are_refused_and_store_nothing(client: FlaskClient, db: Database, wp_shop: Shop,
                                                  woo: FakeWoo) -> None:
    site_key = wp_shop.site_key
    bad = {
        "forged": connect_state(site_key, secret="another-secret-of-enough-length"),
        "other store": connect_state(site_key, store="https://evil.example"),
        "expired": connect_state(site_key, expires=int(time.time()) - 5),
        "malformed": "not-a-state",
    }
    for why, state in bad.items():
        resp = post_keys(client, site_key, keys_body(state))
        assert resp.status_code == 403, why
        assert resp.get_json()["error"]["code"] == "bad_state"
    assert the_shop(db, wp_shop.id).platform == "wordpress" and woo.calls == []


def test_unknown_site_key_is_refused(client: FlaskClient, wp_shop: Shop, woo: FakeWoo) -> None:
    resp = post_keys(client, "sk_unknown", keys_body(connect_state("sk_unknown")))
    assert resp.status_code == 403 and woo.calls == []


def test_malformed_bodies_are_400(client: FlaskClient, db: Database, wp_shop: Shop, woo: FakeWoo) -> None:
    state = connect_state(wp_shop.site_key)
    for body in (b"not json", [], keys_body(state, consumer_key="nope"), keys_body(state, key_permissions="all"),
                 {k: v for k, v in keys_body(state).items() if k != "consumer_secret"}):
        resp = post_keys(client, wp_shop.site_key, body)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
    resp = client.post("/connect/woocommerce/callback", json=keys_body(state))  # no site_key/store
    assert resp.status_code == 400
    # None of these used the state up.
    assert post_keys(client, wp_shop.site_key, keys_body(state)).status_code == 200


def test_keys_the_store_refuses_are_not_kept(client: FlaskClient, db: Database, wp_shop: Shop,
                                             woo: FakeWoo) -> None:
    resp = post_keys(client, wp_shop.site_key, keys_body(connect_state(wp_shop.site_key), consumer_secret="cs_bad"))
    assert resp.status_code == 502 and resp.get_json()["error"]["code"] == "platform_auth_failed"
    assert the_shop(db, wp_shop.id).platform == "wordpress"


def test_reconnecting_updates_the_same_shop_and_its_webhooks(client: FlaskClient, db: Database, svc: Services,
                                                             wp_shop: Shop, woo: FakeWoo) -> None:
    connect(client, wp_shop)
    first_secret = open_config(svc.settings, the_shop(db, wp_shop.id))["webhook_secret"]
    connect(client, wp_shop)
    with db.session() as session:
        assert session.scalar(select(func.count(Shop.id))) == 1
    shop = the_shop(db, wp_shop.id)
    secret = open_config(svc.settings, shop)["webhook_secret"]
    assert len(woo.webhooks) == 4 and {w["secret"] for w in woo.webhooks} == {secret}
    assert secret != first_secret
