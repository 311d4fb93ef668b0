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
from core.widget import routes
from core.db import Database, Shop
from core.settings import Settings
from core.widget import i18n
from core.widget.routes import (
    BLACK,
    DARK_SURFACE,
    ICONS,
    LIGHT_SURFACE,
    WHITE,
    Assets,
    _rgb,
    compact,
    contrast,
    palette,
)

STATIC = Path(widget.__file__).parent / "static"
LOADER_GZIP_BUDGET = 1000
CHAT_GZIP_BUDGET = 12000
#: Everything a page gets before any click: loader.js, launcher.js and /widget/v1/config.
PRE_CLICK_GZIP_BUDGET = 2000


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


def full_config(client: FlaskClient, site_key: str, lang: str | None = None) -> dict[str, Any]:
    """Both parts of the config, as the widget ends up with them (the launcher's and the chat's)."""
    query = {"site_key": site_key, **({"lang": lang} if lang is not None else {})}
    launcher = client.get("/widget/v1/config", query_string=query).get_json()
    chat = client.get("/widget/v1/chat-config", query_string=query).get_json()
    assert not set(launcher) & set(chat) - {"triggers", "ab"}, "a key sent twice"
    return {**chat, **launcher, "triggers": chat["triggers"], **({"ab": chat["ab"]} if "ab" in chat else {})}


# ---- config


def test_launcher_config_carries_only_the_launcher_and_triggers(client: FlaskClient, shop: Shop) -> None:
    """Before any click a page gets this part only: the launcher, the triggers' conditions, chat.js."""
    resp = client.get("/widget/v1/config?site_key=sk_acme_123")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    data = resp.get_json()
    assert set(data) == {"css", "icon", "open", "chat_js"}  # no launcher text, no triggers, no tests
    assert data["open"] == i18n.STRINGS["fr"]["open"]
    assert data["icon"] == ICONS["chat"]
    assert data["chat_js"] == f"/widget/v1/chat.js?v={chat_version()}"


def test_config_for_known_site_key(client: FlaskClient, shop: Shop) -> None:
    resp = client.get("/widget/v1/chat-config?site_key=sk_acme_123")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    data = full_config(client, "sk_acme_123")
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
        "icon": ICONS["chat"],  # no launcher_text: left out of the launcher's config
        "open": "Ouvrir le chat",
        "avatar": None,
        "powered_by": True,
        "dark": True,
        "triggers": [],
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
    data = full_config(client, "sk_plain")
    assert data["greeting"] == "Hi! Ask me anything about our products."
    assert data["color"] == "#1f6feb" and data["on_color"] == "#ffffff"
    assert data["position"] == "right"
    assert (data["locale"], data["currency"]) == ("en", "USD")
    assert data["avatar"] is None and data["consent_url"] is None
    assert data["icon"] == ICONS["chat"]
    assert data["triggers"] == []
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
    data = full_config(client, "sk_sunny")
    assert data["color"] == "#ffdd00" and data["on_color"] == "#000000"
    assert data["launcher_text"] == "Questions?" and "icon" not in data
    assert data["avatar"] == "https://cdn.example.com/a.png"
    assert (data["powered_by"], data["dark"]) == (False, False)
    # The older single trigger: one, without a message of its own.
    assert data["triggers"] == [{"time": 20, "scroll": 50, "exit": True, "url": "/products/", "message": None}]
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
    data = client.get("/widget/v1/chat-config", query_string={"site_key": "sk_s"}).get_json()
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
    data = full_config(client, "sk_l", lang)
    assert (data["locale"], data["dir"]) == expected
    assert data["open"] == i18n.STRINGS[expected[0]]["open"]  # the launcher's label, before any click
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


@pytest.mark.parametrize("path", ["config", "chat-config"])
def test_config_gzipped_when_accepted(client: FlaskClient, shop: Shop, path: str) -> None:
    plain = client.get(f"/widget/v1/{path}?site_key=sk_acme_123")
    packed = client.get(f"/widget/v1/{path}?site_key=sk_acme_123", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"]
    assert packed.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("path", ["config", "chat-config"])
def test_config_unknown_site_key_is_404(client: FlaskClient, shop: Shop, path: str) -> None:
    resp = client.get(f"/widget/v1/{path}?site_key=nope")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "unknown_site_key"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_config_inactive_shop_is_unknown(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        session.add(Shop(name="Gone", platform="csv", platform_ref="gone", site_key="sk_gone", active=False))
    assert client.get("/widget/v1/config?site_key=sk_gone").status_code == 404


@pytest.mark.parametrize("path", ["config", "chat-config"])
@pytest.mark.parametrize("query", ["", "?site_key=", "?site_key=" + "k" * 65])
def test_config_missing_or_oversized_site_key_is_400(client: FlaskClient, query: str, path: str) -> None:
    resp = client.get(f"/widget/v1/{path}" + query)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_input"


@pytest.mark.parametrize("path, key, value", [("chat-config", "greeting", "Hello!"),
                                              ("config", "launcher_text", "Questions?")])
def test_config_etag_and_304(client: FlaskClient, shop: Shop, db: Database, path: str, key: str, value: str) -> None:
    url = f"/widget/v1/{path}?site_key=sk_acme_123"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"

    with db.session() as session:
        row = session.query(Shop).filter_by(site_key="sk_acme_123").one()
        row.settings = {**row.settings, key: value}
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()[key] == value


# ---- scripts


def served(name: str) -> bytes:
    """The script as served: compacted; the loader names launcher.js by its hash."""
    text = compact((STATIC / name).read_text())
    if name == "loader.js":
        launcher = hashlib.sha256(served("launcher.js")).hexdigest()[:16]
        assert text.count("LAUNCHER_VERSION") == 1
        text = text.replace("LAUNCHER_VERSION", launcher)
    return text.encode()


@pytest.mark.parametrize("name", ["loader.js", "launcher.js", "chat.js"])
def test_scripts_served_as_javascript(client: FlaskClient, name: str) -> None:
    resp = client.get(f"/widget/v1/{name}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in resp.headers
    assert resp.data == served(name)
    assert resp.headers["ETag"]


def test_loader_names_launcher_by_its_hash(client: FlaskClient) -> None:
    loader = client.get("/widget/v1/loader.js").data.decode()
    launcher = re.search(r'"/widget/v1/launcher\.js\?v=(\w+)"', loader)
    assert launcher and launcher.group(1) == hashlib.sha256(served("launcher.js")).hexdigest()[:16]
    resp = client.get(f"/widget/v1/launcher.js?v={launcher.group(1)}")
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/widget/v1/launcher.js?v=0123").headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("name", ["loader.js", "launcher.js", "chat.js"])
def test_scripts_gzipped_when_accepted(client: FlaskClient, name: str) -> None:
    resp = client.get(f"/widget/v1/{name}", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(resp.data) == served(name)
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


def test_everything_before_any_click_within_budget(client: FlaskClient, db: Database) -> None:
    """What a page pays before any click (gzipped, as served): loader.js, launcher.js and the
    launcher config, for a shop with the usual branding (bench/widget.py measures it in Chromium)."""
    with db.session() as session:
        session.add(Shop(name="StoreChat Demo Outfitters", platform="csv", platform_ref="demo",
                         site_key="sk_" + "d" * 29, settings={"greeting": "Hi! " * 100, "consent_text": "x" * 400}))
    gz = {"Accept-Encoding": "gzip"}
    loader = client.get("/widget/v1/loader.js", headers=gz).data
    version = re.search(rb"launcher\.js\?v=(\w+)", gzip.decompress(loader)).group(1).decode()
    launcher = client.get(f"/widget/v1/launcher.js?v={version}", headers=gz).data
    config = client.get("/widget/v1/config", query_string={"site_key": "sk_" + "d" * 29, "lang": "en"}, headers=gz).data
    total = len(loader) + len(launcher) + len(config)
    assert total <= PRE_CLICK_GZIP_BUDGET, f"{len(loader)} + {len(launcher)} + {len(config)} = {total} bytes"
    # The chat's words and texts wait for the chat.
    assert b"greeting" not in gzip.decompress(config) and b"consent" not in gzip.decompress(config)


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


@pytest.mark.parametrize("name", ["loader.js", "launcher.js", "chat.js"])
def test_scripts_never_parse_html(name: str) -> None:
    source = (STATIC / name).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, f"{name} uses {sink}"


def test_scripts_set_no_cookies_and_call_only_their_origin() -> None:
    loader = (STATIC / "loader.js").read_text()
    launcher = (STATIC / "launcher.js").read_text()
    chat = (STATIC / "chat.js").read_text()
    assert "cookie" not in (loader + launcher + chat).lower()
    # Every URL the scripts build starts from the loader's own origin...
    assert "origin:new URL(s.src).origin" in loader
    assert 'j.src=G.origin+"/widget/v1/launcher.js?v=' in loader
    assert "fetch(" not in loader and "sendBeacon" not in loader
    assert "o=G&&G.origin" in launcher
    assert re.findall(r"fetch\(([^+,)]+)", launcher) == ["o"]
    assert re.findall(r"sendBeacon\(([^+,)]+)\+\"([^\"]+)", launcher) == [("o", "/widget/v1/events")]
    assert 'j.src=o+c.chat_js' in launcher
    assert "sendBeacon" not in chat  # its events go through launcher.js's (G.ev)
    assert "G.origin.replace(/^http/, \"ws\")" in chat
    assert 'var API = G.origin + "/api/v1/visitor/";' in chat
    assert 'var CONFIG = G.origin + "/widget/v1/chat-config?" + G.u;' in chat  # the chat's part of the config
    # ... and again in the language the assistant answers in
    assert ('var url = G.origin + "/widget/v1/chat-config?site_key=" + encodeURIComponent(cfg.site_key) + "&lang=" + '
            'lang;') in chat
    # ...but add to cart (and the cart attribute naming the conversation), reading the cart
    # for the team's inbox, and the store's identity URL, which go to the store's own (the
    # page's) origin, made relative to the page.
    assert re.findall(r"fetch\(([^,)]+)", chat) == [
        "CONFIG", "url", "CONFIG", "new URL(url", "new URL(url.replace(/add\\.js$/", "u", "new URL(GD.identityUrl",
        "new URL(url"]
    assert chat.count("location.href)") == 4
    assert re.findall(r"\bhttp\((\w+)", compact(chat)) == ["u", "API", "API"]  # the visitor API


# ---- proactive triggers, A/B tests, languages (issue 19)


def _shop(db: Database, prefs: dict[str, Any], locale: str = "en", key: str = "sk_t") -> None:
    with db.session() as session:
        session.add(Shop(name="T", platform="csv", platform_ref="t", site_key=key, locale=locale, settings=prefs))


def test_triggers_each_with_its_message(client: FlaskClient, db: Database) -> None:
    _shop(db, {"triggers": [
        {"time": 30, "message": "  Still looking? "},
        {"scroll": 70, "url": "/products/", "message": "x" * 600},
        {"exit": True},
        {"url": "/cart"},
        {"message": "no condition: dropped"},
        {"time": -1, "scroll": 0, "exit": "yes"},  # nothing well formed: dropped
        "junk",
    ] + [{"time": n} for n in range(20)]})
    launcher = client.get("/widget/v1/config?site_key=sk_t").get_json()
    chat = client.get("/widget/v1/chat-config?site_key=sk_t").get_json()
    assert chat["triggers"][:4] == [
        {"time": 30, "message": "Still looking?"},
        {"scroll": 70, "url": "/products/", "message": "x" * 500},
        {"exit": True, "message": None},
        {"url": "/cart", "message": None},
    ]
    # At most ten, counted before the ill-formed are dropped; the loader gets no messages.
    assert len(chat["triggers"]) == 7
    assert launcher["triggers"] == [{k: v for k, v in t.items() if k != "message"} for t in chat["triggers"]]


EXPERIMENTS = [
    {"id": 7, "target": "greeting", "variants": [{"key": "A", "weight": 50, "value": "Hello A"},
                                                  {"key": "B", "weight": 50, "value": "Hello B"}]},
    {"id": "8", "target": "launcher_text", "variants": [{"key": "A", "weight": 1, "value": "Help?"},
                                                         {"key": "B", "weight": 3, "value": "x" * 80}]},
    {"id": "9", "target": "trigger", "trigger": 0, "variants": [{"key": "A", "weight": 10, "value": "Psst"},
                                                                {"key": "B", "weight": 10, "value": None}]},
    {"id": "10", "target": "trigger", "trigger": 5, "variants": [{"key": "A", "weight": 1, "value": "no such"}]},
    {"id": "11", "target": "colour", "variants": [{"key": "A", "weight": 1, "value": "red"}]},
    {"id": "12", "target": "greeting", "variants": [{"key": "A", "weight": 0, "value": "never"}]},
    {"id": "13", "target": "greeting", "variants": [{"key": "A", "weight": -1}, {"weight": 5}, "junk"]},
]


def test_ab_tests_in_the_config_only_when_running(client: FlaskClient, app: Flask, db: Database) -> None:
    _shop(db, {"triggers": [{"time": 5, "message": "Need help?"}]})
    assert "ab" not in client.get("/widget/v1/config?site_key=sk_t").get_json()
    assert "ab" not in client.get("/widget/v1/chat-config?site_key=sk_t").get_json()

    asked = []
    app.extensions[routes.EXPERIMENTS] = lambda session, shop: asked.append(shop.site_key) or EXPERIMENTS
    chat = client.get("/widget/v1/chat-config?site_key=sk_t").get_json()
    launcher = client.get("/widget/v1/config?site_key=sk_t").get_json()
    assert asked == ["sk_t", "sk_t"]
    # Well formed only: ids as strings, a trigger that exists, a known target, some weight.
    assert chat["ab"] == [
        {"id": "7", "target": "greeting", "variants": [{"key": "A", "weight": 50, "value": "Hello A"},
                                                        {"key": "B", "weight": 50, "value": "Hello B"}]},
        {"id": "8", "target": "launcher_text", "variants": [{"key": "A", "weight": 1, "value": "Help?"},
                                                             {"key": "B", "weight": 3, "value": "x" * 40}]},
        {"id": "9", "target": "trigger", "trigger": 0, "variants": [{"key": "A", "weight": 10, "value": "Psst"},
                                                                    {"key": "B", "weight": 10, "value": None}]},
    ]
    # Before any click: the weights, and texts only for what the launcher shows.
    assert launcher["ab"] == [
        {"id": "7", "target": "greeting", "variants": [{"key": "A", "weight": 50}, {"key": "B", "weight": 50}]},
        chat["ab"][1],
        {"id": "9", "target": "trigger", "trigger": 0, "variants": [{"key": "A", "weight": 10},
                                                                    {"key": "B", "weight": 10}]},
    ]


def test_ab_tests_source_failing_leaves_the_widget_working(client: FlaskClient, app: Flask, db: Database) -> None:
    _shop(db, {})

    def broken(session: Any, shop: Shop) -> Any:
        raise RuntimeError("analytics down")

    app.extensions[routes.EXPERIMENTS] = broken
    resp = client.get("/widget/v1/config?site_key=sk_t")
    assert resp.status_code == 200 and "ab" not in resp.get_json()


def test_widget_config_takes_experiments(db: Database) -> None:
    shop = Shop(name="T", platform="csv", platform_ref="t", site_key="k", settings={})
    assert "ab" not in routes.widget_config(shop, "v", experiments=[])
    assert routes.widget_config(shop, "v", experiments=EXPERIMENTS[:1])["ab"][0]["id"] == "7"


@pytest.mark.parametrize("prefs, shop_locale, page, expected", [
    ({"locale": "de", "languages": ["fr", "es"]}, "en", "fr-CA", "fr"),    # offered: the page's
    ({"locale": "de", "languages": ["fr", "es"]}, "en", "it", "de"),       # not offered: the default
    ({"locale": "de", "languages": ["fr"]}, "en", "de-AT", "de"),          # the default is offered
    ({"locale": "auto", "languages": ["fr"]}, "nl", "es", "nl"),           # auto: the shop's own
    ({"locale": "auto", "languages": ["fr"]}, "nl", "fr", "fr"),
    ({"languages": []}, "it", "fr", "it"),                                 # nothing else offered
    ({"languages": ["ja"]}, "pt", "ja", "pt"),                             # offered, but no words for it
    ({"locale": "fr"}, "en", "de", "fr"),                                  # no list: a set locale is the only one
    ({}, "en", "de", "de"),                                                # no list, no locale: every language
])
def test_languages_offered(client: FlaskClient, db: Database, prefs: dict[str, Any], shop_locale: str,
                           page: str, expected: str) -> None:
    _shop(db, prefs, locale=shop_locale)
    assert full_config(client, "sk_t", page)["locale"] == expected


def test_team_back_sentence_in_the_language_the_widget_chose(db: Database) -> None:
    from datetime import datetime, timezone

    hours = {"timezone": "UTC", "week": {"mon": [{"opens": "09:00", "closes": "17:00"}]}}
    shop = Shop(name="T", platform="csv", platform_ref="t", site_key="k", locale="en",
                settings={"locale": "de", "languages": ["fr"], "business_hours": hours})
    sunday = datetime(2024, 6, 2, 12, 0, tzinfo=timezone.utc)
    french = routes.widget_config(shop, "v", "fr-FR", sunday)
    assert french["locale"] == "fr" and "demain" in french["hours"]["away"]
    other = routes.widget_config(shop, "v", "it", sunday)
    assert other["locale"] == "de" and "morgen" in other["hours"]["away"]
