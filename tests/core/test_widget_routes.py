"""``/widget/v1/*``: the scripts (type, gzip, caching, size) and the public config."""
from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import services, widget
from core.db import Database, Shop
from core.settings import Settings
from core.widget import i18n
from core.widget.routes import (
    BLACK,
    DARK_SURFACE,
    ICONS,
    LIGHT_SURFACE,
    WHITE,
    _rgb,
    compact,
    contrast,
    palette,
)

STATIC = Path(widget.__file__).parent / "static"
LOADER_GZIP_BUDGET = 1200
CHAT_GZIP_BUDGET = 12000


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
    return hashlib.sha256(compact((STATIC / "chat.js").read_text()).encode()).hexdigest()[:16]


# ---- config


def test_config_for_known_site_key(client: FlaskClient, shop: Shop) -> None:
    resp = client.get("/widget/v1/config?site_key=sk_acme_123")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    data = resp.get_json()
    css = data.pop("css")
    assert data == {
        "site_key": "sk_acme_123",
        "name": "Acme Outfitters",
        "title": "Acme Outfitters",
        "greeting": "Bonjour !",
        "color": "#ff6600",
        # Orange is too light for white text (2.9:1): black; as text on the light panel it is darkened.
        "on_color": "#000000",
        "ink": data["ink"],
        "ink_dark": data["ink_dark"],
        "position": "left",
        "launcher_text": None,
        "icon": ICONS["chat"],
        "avatar": None,
        "powered_by": True,
        "dark": True,
        "triggers": None,
        "consent": None,
        "consent_url": None,
        "contact_after": 30,
        "hours": None,  # no business hours: always open
        "platform": "csv",
        "cart": None,
        "cart_url": None,
        "locale": "fr",  # the shop's language: the request named no page language
        "dir": "ltr",
        "t": i18n.STRINGS["fr"],
        "currency": "EUR",
        "money": {"p": "", "s": "\u00a0\u20ac", "d": ",", "g": "\u202f", "n": 2},  # 1 234,50 €
        "ws_path": "/ws/visitor",
        "chat_js": f"/widget/v1/chat.js?v={chat_version()}",
    }
    assert "left:calc(20px + env(safe-area-inset-left))" in css and "background:#ff6600" in css
    assert "color:#000000" in css


def test_config_defaults_and_unsafe_settings_replaced(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(
            name="Plain", platform="csv", platform_ref="plain", site_key="sk_plain",
            settings={"color": "red;}*{display:none", "position": "middle", "greeting": "  ",
                      "avatar_url": "javascript:alert(1)", "consent_url": "data:text/html,x",
                      "launcher_icon": "<svg onload=alert(1)>", "triggers": {"time": "soon", "scroll": 500,
                                                                             "exit": "yes", "url": 7},
                      "contact_after": -1, "powered_by": "no"},
        ))
    data = client.get("/widget/v1/config", query_string={"site_key": "sk_plain"}).get_json()
    assert data["greeting"] == "Hi! Ask me anything about our products."
    assert data["color"] == "#1f6feb" and data["on_color"] == "#ffffff"
    assert data["position"] == "right"
    assert (data["locale"], data["currency"]) == ("en", "USD")
    assert data["avatar"] is None and data["consent_url"] is None
    assert data["icon"] == ICONS["chat"]
    assert data["triggers"] is None
    assert data["contact_after"] == 30
    assert data["powered_by"] is True  # only an explicit false turns it off
    assert "display:none" not in data["css"] and "red" not in data["css"]


def test_config_branding_and_triggers(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(
            name="Sunny", platform="shopify", platform_ref="sunny.myshopify.com", site_key="sk_sunny",
            settings={"color": "#FD0", "launcher_text": "  Questions? ", "launcher_icon": "none",
                      "avatar_url": "https://cdn.example.com/a.png", "powered_by": False, "dark_mode": False,
                      "triggers": {"time": 20, "scroll": 50, "exit": True, "url": "/products/"},
                      "consent_text": "We keep chats for 30 days.", "consent_url": "https://sunny.example/privacy",
                      "contact_after": 0, "title": "Ask Sunny"},
        ))
    data = client.get("/widget/v1/config", query_string={"site_key": "sk_sunny"}).get_json()
    assert data["color"] == "#ffdd00" and data["on_color"] == "#000000"
    assert data["launcher_text"] == "Questions?" and data["icon"] is None
    assert data["avatar"] == "https://cdn.example.com/a.png"
    assert (data["powered_by"], data["dark"]) == (False, False)
    assert data["triggers"] == {"time": 20, "scroll": 50, "exit": True, "url": "/products/"}
    assert data["consent"] == "We keep chats for 30 days."
    assert data["consent_url"] == "https://sunny.example/privacy"
    assert data["contact_after"] == 0
    assert data["title"] == "Ask Sunny"
    assert (data["platform"], data["cart"], data["cart_url"]) == ("shopify", "shopify", "/cart/add.js")
    assert "padding:0 18px" in data["css"]


@pytest.mark.parametrize("platform, config, cart", [
    ("shopify", {}, ("shopify", "/cart/add.js")),
    ("woocommerce", {}, ("woocommerce", "/?wc-ajax=add_to_cart")),
    ("csv", {}, (None, None)),
    ("wordpress", {}, (None, None)),
    # The demo store answers like Shopify, on its own path.
    ("csv", {"demo": True}, ("shopify", "/demo/cart/add.js")),
])
def test_config_cart_per_platform(client: FlaskClient, db: Database, platform: str, config: dict[str, Any],
                                  cart: tuple[str | None, str | None]) -> None:
    with db.session() as session:
        session.add(Shop(name="S", platform=platform, platform_ref="s", site_key="sk_s", connector_config=config))
    data = client.get("/widget/v1/config", query_string={"site_key": "sk_s"}).get_json()
    assert (data["cart"], data["cart_url"]) == cart
    assert data["platform"] == platform


@pytest.mark.parametrize("forced, lang, shop_locale, expected", [
    (None, "de-DE", "en", ("de", "ltr")),       # the page's language
    (None, "es", "fr", ("es", "ltr")),
    (None, "ja", "fr", ("fr", "ltr")),          # no Japanese strings: the shop's language
    (None, "", "pt-BR", ("pt", "ltr")),
    (None, "xx", "xx", ("en", "ltr")),
    ("fr", "de", "en", ("fr", "ltr")),          # the shop's setting wins
    ("auto", "de", "en", ("de", "ltr")),
    (None, "ar", "en", ("ar", "rtl")),
    (None, "he-IL", "en", ("he", "rtl")),
    (None, "fa", "en", ("fa", "rtl")),
    (None, "ur", "en", ("ur", "rtl")),
])
def test_config_locale(client: FlaskClient, db: Database, forced: str | None, lang: str, shop_locale: str,
                       expected: tuple[str, str]) -> None:
    with db.session() as session:
        session.add(Shop(name="L", platform="csv", platform_ref="l", site_key="sk_l", locale=shop_locale,
                         settings={"locale": forced} if forced else {}))
    data = client.get("/widget/v1/config", query_string={"site_key": "sk_l", "lang": lang}).get_json()
    assert (data["locale"], data["dir"]) == expected
    assert data["t"] == i18n.STRINGS[expected[0]]
    assert data["greeting"] == i18n.STRINGS[expected[0]]["greeting"]


def test_every_locale_has_every_string() -> None:
    keys = set(i18n.STRINGS["en"])
    for locale, words in i18n.STRINGS.items():
        assert set(words) == keys, locale
        for key, text in words.items():
            for slot in re.findall(r"\{\w+\}", i18n.STRINGS["en"][key]):
                assert slot in text, (locale, key)
    assert {"en", "de", "fr", "es"} <= set(i18n.STRINGS)


def test_refusals_a_shopper_can_act_on_are_worded_in_their_language() -> None:
    """``rate_limited`` and ``contact_limit`` (docs/protocol.md) are shown in the page's
    language: the widget looks an error's wording up as ``e_<code>`` before the server's."""
    chat_js = (Path(i18n.__file__).parent / "static" / "chat.js").read_text()
    assert 'T["e_" + f.code]' in chat_js
    for code in ("rate_limited", "contact_limit"):
        worded = {locale: words.get(f"e_{code}") for locale, words in i18n.STRINGS.items()}
        assert all(worded.values()), code
        assert len(set(worded.values())) == len(worded), code  # translated, not copied


@pytest.mark.parametrize("color", ["#ffffff", "#ffd400", "#00ff00", "#1f6feb", "#000000", "#777", "#ff6600cc"])
def test_palette_passes_aa(color: str) -> None:
    colors = palette(color)
    rgb = _rgb(colors["color"])
    assert contrast(rgb, _rgb(colors["on_color"])) >= 4.5
    # White unless white fails; black only then.
    assert (colors["on_color"] == "#ffffff") == (contrast(rgb, WHITE) >= 4.5)
    assert contrast(rgb, BLACK) >= 4.5 or colors["on_color"] == "#ffffff"
    assert contrast(_rgb(colors["ink"]), LIGHT_SURFACE) >= 4.5
    assert contrast(_rgb(colors["ink_dark"]), DARK_SURFACE) >= 4.5


def test_white_text_kept_when_it_passes() -> None:
    assert palette("#1f6feb")["on_color"] == "#ffffff"  # 4.6:1
    assert palette("#2e7d32")["on_color"] == "#ffffff"
    assert palette("#ffd400")["on_color"] == "#000000"


@pytest.mark.parametrize("locale, currency, price", [
    ("en", "USD", "$1,234.56"), ("de", "EUR", "1.234,56\u00a0\u20ac"), ("fr", "EUR", "1\u202f234,56\u00a0\u20ac"),
    ("en", "SEK", "SEK\u00a01,234.56"), ("en", "JPY", "\u00a51,235"), ("nl", "EUR", "\u20ac\u00a01.234,56"),
])
def test_money_format(locale: str, currency: str, price: str) -> None:
    """What the widget's money() makes of 1234.56 with the config's format."""
    f = i18n.money_format(locale, currency)
    whole, _, cents = f"{1234.56:.{f['n']}f}".partition(".")
    grouped = re.sub(r"\B(?=(\d{3})+$)", f["g"], whole)
    assert f["p"] + grouped + (f["d"] + cents if cents else "") + f["s"] == price


def test_config_gzipped_when_accepted(client: FlaskClient, shop: Shop) -> None:
    plain = client.get("/widget/v1/config?site_key=sk_acme_123")
    packed = client.get("/widget/v1/config?site_key=sk_acme_123", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"]
    assert packed.headers["Vary"] == "Accept-Encoding"


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
    assert resp.data == compact((STATIC / name).read_text()).encode()
    assert resp.headers["ETag"]


@pytest.mark.parametrize("name", ["loader.js", "chat.js"])
def test_scripts_gzipped_when_accepted(client: FlaskClient, name: str) -> None:
    resp = client.get(f"/widget/v1/{name}", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(resp.data) == compact((STATIC / name).read_text()).encode()
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


def test_chat_ui_gzipped_size_budget(client: FlaskClient) -> None:
    """JS and CSS together (the CSS lives in the script), as served."""
    resp = client.get("/widget/v1/chat.js", headers={"Accept-Encoding": "gzip"})
    assert len(resp.data) <= CHAT_GZIP_BUDGET, f"chat.js is {len(resp.data)} bytes gzipped"


def test_compact_drops_only_whole_line_comments_and_indentation() -> None:
    source = (
        "/* header\n   more */\n"
        "  var a = 1; // kept: not a whole line\n"
        "\n"
        "    // gone\n"
        '  var u = "http://x//y"; /* kept */\n'
        "    /* gone */\n"
        "f(a);\n"
    )
    assert compact(source) == 'var a = 1; // kept: not a whole line\nvar u = "http://x//y"; /* kept */\nf(a);\n'


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
    # Every URL the scripts build starts from the script's own origin...
    assert re.findall(r"fetch\(([^+,)]+)", loader) == ["o"]
    assert "new URL(s.src).origin" in loader
    assert "G.origin.replace(/^http/, \"ws\")" in chat
    assert 'var API = G.origin + "/api/v1/visitor/";' in chat
    assert 'var url = G.origin + "/widget/v1/config?site_key=" + ' in chat  # the config again (business hours)
    # ... and in the language the assistant answers in
    assert 'var url = G.origin + "/widget/v1/config?site_key=" + encodeURIComponent(cfg.site_key) + "&lang=" + lang;' \
        in chat
    # ...but add to cart (and the cart attribute naming the conversation), reading the cart
    # for the team's inbox, and the store's identity URL, which go to the store's own (the
    # page's) origin, made relative to the page.
    assert re.findall(r"fetch\(([^,)]+)", chat) == [
        "url", "url", "new URL(url", "new URL(url.replace(/add\\.js$/", "u", "new URL(GD.identityUrl", "new URL(url"]
    assert chat.count("location.href)") == 4
    assert re.findall(r"\bhttp\((\w+)", compact(chat)) == ["u", "API", "API"]  # the visitor API
