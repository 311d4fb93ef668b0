"""``/widget/v1/*``: the scripts (type, gzip, caching, size) and the public config."""
from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import services, widget
from core.db import Database, Shop
from core.settings import Settings

STATIC = Path(widget.__file__).parent / "static"
LOADER_GZIP_BUDGET = 1200


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    app = Flask(__name__)
    services.init_app(app, settings)
    widget.init_app(app)
    yield app
    app.extensions[services.EXTENSION].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def shop(db: Database) -> Shop:
    with db.session() as session:
        shop = Shop(
            name="Acme Outfitters",
            platform="csv",
            platform_ref="acme",
            site_key="sk_acme_123",
            currency="EUR",
            locale="fr",
            settings={"greeting": "Bonjour !", "color": "#ff6600", "position": "left"},
        )
        session.add(shop)
    return shop


def chat_version() -> str:
    return hashlib.sha256((STATIC / "chat.js").read_bytes()).hexdigest()[:16]


# ---- config


def test_config_for_known_site_key(client: FlaskClient, shop: Shop) -> None:
    resp = client.get("/widget/v1/config?site_key=sk_acme_123")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    assert resp.get_json() == {
        "site_key": "sk_acme_123",
        "name": "Acme Outfitters",
        "title": "Acme Outfitters",
        "greeting": "Bonjour !",
        "color": "#ff6600",
        "position": "left",
        "locale": "fr",
        "currency": "EUR",
        "ws_path": "/ws/visitor",
        "chat_js": f"/widget/v1/chat.js?v={chat_version()}",
    }


def test_config_defaults_and_unsafe_settings_replaced(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(
            name="Plain", platform="csv", platform_ref="plain", site_key="sk_plain",
            settings={"color": "red;}*{display:none", "position": "middle", "greeting": "  "},
        ))
    data = client.get("/widget/v1/config", query_string={"site_key": "sk_plain"}).get_json()
    assert data["greeting"] == "Hi! Ask me anything about our products."
    assert data["color"] == "#1f6feb"
    assert data["position"] == "right"
    assert (data["locale"], data["currency"]) == ("en", "USD")


def test_config_unknown_site_key_is_404(client: FlaskClient, shop: Shop) -> None:
    resp = client.get("/widget/v1/config?site_key=nope")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "unknown_site_key"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_config_inactive_shop_is_unknown(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(name="Gone", platform="csv", platform_ref="gone", site_key="sk_gone", active=False))
    assert client.get("/widget/v1/config?site_key=sk_gone").status_code == 404


@pytest.mark.parametrize("query", ["", "?site_key=", "?site_key=" + "k" * 65])
def test_config_missing_or_oversized_site_key_is_400(client: FlaskClient, query: str) -> None:
    resp = client.get("/widget/v1/config" + query)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_input"


def test_config_etag_and_304(client: FlaskClient, shop: Shop, db: Database) -> None:
    first = client.get("/widget/v1/config?site_key=sk_acme_123")
    etag = first.headers["ETag"]
    again = client.get("/widget/v1/config?site_key=sk_acme_123", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"

    with db.session() as session:
        row = session.query(Shop).filter_by(site_key="sk_acme_123").one()
        row.settings = {**row.settings, "greeting": "Hello!"}
    changed = client.get("/widget/v1/config?site_key=sk_acme_123", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["greeting"] == "Hello!"


# ---- scripts


@pytest.mark.parametrize("name", ["loader.js", "chat.js"])
def test_scripts_served_as_javascript(client: FlaskClient, name: str) -> None:
    resp = client.get(f"/widget/v1/{name}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in resp.headers
    assert resp.data == (STATIC / name).read_bytes()
    assert resp.headers["ETag"]


@pytest.mark.parametrize("name", ["loader.js", "chat.js"])
def test_scripts_gzipped_when_accepted(client: FlaskClient, name: str) -> None:
    resp = client.get(f"/widget/v1/{name}", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(resp.data) == (STATIC / name).read_bytes()
    refused = client.get(f"/widget/v1/{name}", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers


def test_script_etag_304(client: FlaskClient) -> None:
    etag = client.get("/widget/v1/loader.js").headers["ETag"]
    resp = client.get("/widget/v1/loader.js", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert resp.status_code == 304
    assert resp.data == b""


def test_cache_lifetimes(client: FlaskClient, shop: Shop) -> None:
    assert client.get("/widget/v1/loader.js").headers["Cache-Control"] == "public, max-age=300"
    chat_js = client.get("/widget/v1/config?site_key=sk_acme_123").get_json()["chat_js"]
    versioned = client.get(chat_js)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/widget/v1/chat.js").headers["Cache-Control"] == "public, max-age=300"
    # A stale hash must not pin today's script for a year.
    assert client.get("/widget/v1/chat.js?v=0123").headers["Cache-Control"] == "public, max-age=300"


def test_loader_gzipped_size_budget(client: FlaskClient) -> None:
    resp = client.get("/widget/v1/loader.js", headers={"Accept-Encoding": "gzip"})
    assert len(resp.data) <= LOADER_GZIP_BUDGET, f"loader.js is {len(resp.data)} bytes gzipped"


# ---- what the scripts may and may not do


@pytest.mark.parametrize("name", ["loader.js", "chat.js"])
def test_scripts_never_parse_html(name: str) -> None:
    source = (STATIC / name).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, f"{name} uses {sink}"


def test_scripts_set_no_cookies_and_call_only_their_origin() -> None:
    loader = (STATIC / "loader.js").read_text()
    chat = (STATIC / "chat.js").read_text()
    assert "cookie" not in (loader + chat).lower()
    # Every URL the scripts build starts from the script's own origin.
    assert re.findall(r"fetch\(([^+,)]+)", loader) == ["o"]
    assert "new URL(s.src).origin" in loader
    assert "G.origin.replace(/^http/, \"ws\")" in chat
