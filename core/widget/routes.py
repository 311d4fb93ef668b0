"""``/widget/v1/*``: the loader, the chat UI script, and the shop's public config.

The scripts are read, compacted (comment lines and indentation dropped),
hashed and gzipped once per process and served from memory. The loader is
cached briefly (merchants' pages reference it by a fixed URL); chat.js is
cached for a year when asked for by its content hash, which the loader learns
from the config.

The shop's public config comes in two parts (ETag, gzipped, both built from
:func:`widget_config`), so a page pays before any click only for what draws
the launcher and fires the proactive triggers:

- ``/widget/v1/config`` (:func:`launcher_config`), fetched by the loader on
  every page: the launcher's CSS, icon and words, the triggers' conditions,
  the running A/B tests' variants (without the texts the launcher does not
  show), and chat.js's address;
- ``/widget/v1/chat-config`` (:func:`chat_config`), fetched by chat.js when
  it loads: everything else (branding, greeting and trigger messages, the
  widget's words in the page's language, prices, business hours, the cart).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from importlib.resources import files
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Shop
from core.services import services
from core.widget import i18n
from core.widget.hours import cache_control, widget_hours

log = logging.getLogger(__name__)

bp = Blueprint("widget", __name__, url_prefix="/widget/v1")

EXTENSION = "storechat.widget"
#: ``app.extensions[EXPERIMENTS]``: an optional ``(session, shop) -> list`` giving the shop's
#: running A/B tests in the shape :func:`ab_tests` checks (set by the analytics part).
EXPERIMENTS = "storechat.widget.experiments"
WS_PATH = "/ws/visitor"
SCRIPTS = ("loader.js", "launcher.js", "chat.js")
#: In loader.js: replaced by launcher.js's hash when served.
LAUNCHER_VERSION = "LAUNCHER_VERSION"
JS_TYPE = "text/javascript; charset=utf-8"
LOADER_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
MAX_SITE_KEY = 64

DEFAULT_COLOR = "#1f6feb"
DEFAULT_POSITION = "right"
#: Seconds a conversation waits for a person before the widget offers to take an email.
DEFAULT_CONTACT_AFTER = 30
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
#: The launcher's icons (24x24 SVG paths): the config names one, the loader draws its path.
ICONS = {
    "chat": "M3 4h18v13H9l-5 4v-4H3z",
    "help": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2v2zm2.07-7.75-.9.92C13.45 12.9 13 13.5 13 15h-2"
    "v-.5c0-1.1.45-2.1 1.17-2.83l1.24-1.26A2 2 0 0 0 12 7a2 2 0 0 0-2 2H8a4 4 0 1 1 8 0c0 .88-.36 1.68-.93"
    " 2.25z",
    "bag": "M18 6h-2a4 4 0 0 0-8 0H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2zm-6-2a2 2 0"
    " 0 1 2 2h-4a2 2 0 0 1 2-2zm6 16H6V8h2v2h2V8h4v2h2V8h2v12z",
}
#: Where each platform's storefront takes an add to cart (on the store's own origin).
CARTS = {"shopify": "/cart/add.js", "woocommerce": "/?wc-ajax=add_to_cart"}
DEMO_CART = "/demo/cart/add.js"
MAX_TEXT = 200
MAX_TRIGGERS = 10
MAX_TRIGGER_MESSAGE = 500
MAX_GREETING = 1000
MAX_LAUNCHER_TEXT = 40
MAX_EXPERIMENTS = 20
MAX_VARIANTS = 10
#: What an A/B test may vary, and how long its texts may be.
AB_TARGETS = {"greeting": MAX_GREETING, "launcher_text": MAX_LAUNCHER_TEXT, "trigger": MAX_TRIGGER_MESSAGE}
#: What only the loader needs: served by /config, never by /chat-config.
LAUNCHER_ONLY = ("css", "icon", "open", "launcher_text", "chat_js")


_BLOCK_COMMENT = re.compile(r"^[ \t]*/\*.*?\*/[ \t]*\n", re.M | re.S)


def compact(source: str) -> str:
    """The script as shipped: without comment-only lines, indentation and blank lines.

    Only whole-line comments go (a block comment must start its line), and lines
    are joined with newlines as before, so no statement changes meaning; the
    scripts have no multi-line strings. The readable file stays the source.
    """
    lines = (line.strip() for line in _BLOCK_COMMENT.sub("", source).split("\n"))
    return "".join(line + "\n" for line in lines if line and not line.startswith("//"))


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    #: Short content hash: the ``?v=`` of launcher.js and chat.js, and the (weak) ETag.
    version: str

    @classmethod
    def load(cls, name: str, fill: dict[str, str] | None = None) -> Asset:
        """The script as served; ``fill``: placeholders in it replaced (the loader names
        launcher.js by its hash, so that script can be cached for a year)."""
        text = compact((files("core.widget") / "static" / name).read_text(encoding="utf-8"))
        for placeholder, value in (fill or {}).items():
            assert placeholder in text, f"{placeholder} not in {name}"
            text = text.replace(placeholder, value)
        body = text.encode()
        # mtime=0 keeps the gzip bytes (and so their size) deterministic.
        return cls(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:16])


class Assets:
    """The widget scripts, loaded on first use and kept for the process's life."""

    @cached_property
    def scripts(self) -> dict[str, Asset]:
        launcher = Asset.load("launcher.js")
        return {
            "loader.js": Asset.load("loader.js", {LAUNCHER_VERSION: launcher.version}),
            "launcher.js": launcher,
            "chat.js": Asset.load("chat.js"),
        }

    def __getitem__(self, name: str) -> Asset:
        return self.scripts[name]


def _assets() -> Assets:
    return current_app.extensions[EXTENSION]


def _not_modified(etag: str) -> bool:
    return request.if_none_match.contains_weak(etag)


def _serve(asset: Asset, cache_control: str) -> Response:
    # Weak: the gzip and identity bodies are the same script, so they share one tag.
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if _not_modified(asset.version):
        resp = Response(status=304, headers=headers)
        resp.set_etag(asset.version, weak=True)
        return resp
    if request.accept_encodings.quality("gzip") > 0:
        resp = Response(asset.gzipped, content_type=JS_TYPE, headers=headers)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = Response(asset.body, content_type=JS_TYPE, headers=headers)
    resp.set_etag(asset.version, weak=True)
    return resp


@bp.get("/loader.js")
def loader_js() -> Response:
    return _serve(_assets()["loader.js"], LOADER_CACHE)


def _versioned(name: str) -> Response:
    asset = _assets()[name]
    # Only the current hash is immutable; a stale ?v= gets today's script, briefly cached.
    cache = IMMUTABLE_CACHE if request.args.get("v") == asset.version else LOADER_CACHE
    return _serve(asset, cache)


@bp.get("/launcher.js")
def launcher_js() -> Response:
    return _versioned("launcher.js")


@bp.get("/chat.js")
def chat_js() -> Response:
    return _versioned("chat.js")


def _error(status: int, code: str, message: str) -> Response:
    resp = Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json",
    )
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---- branding: colours with AA contrast


def _rgb(color: str) -> tuple[int, int, int]:
    """``#rgb``, ``#rgba``, ``#rrggbb`` or ``#rrggbbaa`` as opaque (r, g, b)."""
    digits = color[1:]
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits[:3])
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


WHITE, BLACK = (255, 255, 255), (0, 0, 0)
#: The panel's surfaces, light and dark: accent-coloured text must read on them.
LIGHT_SURFACE, DARK_SURFACE = (246, 248, 250), (22, 27, 34)
AA = 4.5


def _toward(rgb: tuple[int, int, int], target: tuple[int, int, int], surface: tuple[int, int, int]) -> str:
    """``rgb`` mixed toward ``target`` just enough to reach AA contrast on ``surface``."""
    for step in range(21):
        t = step / 20
        mixed = tuple(c + (g - c) * t for c, g in zip(rgb, target, strict=True))
        if contrast(mixed, surface) >= AA:  # type: ignore[arg-type]
            return _hex(mixed)  # type: ignore[arg-type]
    return _hex(target)


def palette(color: str) -> dict[str, str]:
    """The accent, the text drawn on it (white unless that fails AA, then black), and the
    accent as text on the light and dark panel (darkened or lightened until it passes AA)."""
    rgb = _rgb(color)
    return {
        "color": _hex(rgb),
        "on_color": "#ffffff" if contrast(rgb, WHITE) >= AA else "#000000",
        "ink": _toward(rgb, BLACK, LIGHT_SURFACE),
        "ink_dark": _toward(rgb, WHITE, DARK_SURFACE),
    }


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def _http(value: Any) -> str | None:
    return (
        value
        if isinstance(value, str) and len(value) <= 1000 and value.lower().startswith(("http://", "https://"))
        else None
    )


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if low <= value <= high else None


def trigger(value: Any) -> dict[str, Any] | None:
    """One proactive trigger if it is well formed: ``time`` (seconds on the page), ``scroll``
    (percent of the page), ``exit`` (exit intent, desktop), ``url`` (a part of the page's
    address the others are limited to; alone, it fires at once), and the ``message`` it shows
    (the greeting when it has none)."""
    if not isinstance(value, dict):
        return None
    found: dict[str, Any] = {}
    if (time := _number(value.get("time"), 0, 3600)) is not None:
        found["time"] = time
    if (scroll := _number(value.get("scroll"), 1, 100)) is not None:
        found["scroll"] = scroll
    if value.get("exit") is True:
        found["exit"] = True
    if url := _text(value.get("url")):
        found["url"] = url
    if not found:
        return None
    found["message"] = _text(value.get("message"), MAX_TRIGGER_MESSAGE)
    return found


def triggers(value: Any) -> list[dict[str, Any]]:
    """The shop's proactive triggers, each firing on its own: a list of up to
    ``MAX_TRIGGERS`` (ill-formed ones dropped), or the older single dict (one
    trigger without a message)."""
    items = value if isinstance(value, list) else [value]
    return [t for t in map(trigger, items[:MAX_TRIGGERS]) if t is not None]


def ab_tests(value: Any, trigger_count: int) -> list[dict[str, Any]]:
    """The running A/B tests the widget applies, well formed only::

        [{"id": "12", "target": "greeting" | "launcher_text" | "trigger",
          "trigger": <index into the triggers, for target "trigger">,
          "variants": [{"key": "A", "weight": 50, "value": "<text>" | None}, ...]}]

    A variant's weight is its share (any non-negative numbers, not all zero); a value of
    None keeps the shop's own text. A test naming no existing trigger is left out."""
    found: list[dict[str, Any]] = []
    for test in value if isinstance(value, list) else []:
        if not isinstance(test, dict) or len(found) >= MAX_EXPERIMENTS:
            continue
        ident, target = test.get("id"), test.get("target")
        if isinstance(ident, int) and not isinstance(ident, bool):
            ident = str(ident)
        if not (isinstance(ident, str) and 0 < len(ident) <= 64) or target not in AB_TARGETS:
            continue
        entry: dict[str, Any] = {"id": ident, "target": target}
        if target == "trigger":
            index = test.get("trigger")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < trigger_count:
                continue
            entry["trigger"] = index
        variants: list[dict[str, Any]] = []
        for variant in test.get("variants") or []:
            if not isinstance(variant, dict):
                continue
            key, weight = _text(variant.get("key"), 32), _number(variant.get("weight"), 0, 1e9)
            if key is None or weight is None:
                continue
            variants.append({"key": key, "weight": weight, "value": _text(variant.get("value"), AB_TARGETS[target])})
        if not variants or len(variants) > MAX_VARIANTS or not sum(v["weight"] for v in variants):
            continue
        entry["variants"] = variants
        found.append(entry)
    return found


def quick_replies(value: Any) -> list[str]:
    """The greeting's quick replies that are well formed: at most 4 texts of up to 40 characters."""
    if not isinstance(value, list):
        return []
    return [t for t in (_text(v, 40) for v in value[:4]) if t]


def cart(shop: Shop) -> tuple[str | None, str | None]:
    """How the widget adds to the cart: ``(kind, path on the page's origin)``."""
    if (shop.connector_config or {}).get("demo"):
        # The demo storefront behaves like a Shopify store (see core/demo).
        return "shopify", DEMO_CART
    url = CARTS.get(shop.platform)
    return (shop.platform, url) if url else (None, None)


def launcher_css(colors: dict[str, str], position: str, text: str | None) -> str:
    """The launcher's style, built from checked values only (launcher.js puts it in its shadow root).
    Fixed in a corner, so drawing it moves nothing on the page; clear of a phone's safe areas.
    The icon is a 24x24 path drawn at 28px (an svg without a viewBox, scaled)."""
    return (
        ":host{all:initial;position:fixed}"
        f".L{{position:fixed;bottom:calc(20px + env(safe-area-inset-bottom));{position}:calc(20px + "
        f"env(safe-area-inset-{position}));z-index:2147483000;min-width:56px;height:56px;"
        f"{'padding:0 18px;' if text else ''}border:0;border-radius:28px;background:{colors['color']};"
        f"color:{colors['on_color']};cursor:pointer;box-shadow:0 4px 14px #0004;display:flex;gap:8px;"
        "align-items:center;justify-content:center;font:600 15px/1 system-ui,sans-serif}"
        f".L:focus-visible{{outline:3px solid {colors['ink']};outline-offset:3px}}"
        ".L svg{width:24px;height:24px;margin:2px;scale:1.17;fill:currentColor}"
    )


def widget_config(
    shop: Shop, chat_version: str, lang: str | None = None, now: datetime | None = None, experiments: Any = None
) -> dict[str, Any]:
    """The public part of a shop's settings the widget needs; nothing secret. The two
    config endpoints each serve a part of it (:func:`launcher_config`, :func:`chat_config`).
    ``lang``: the page's language (or the script tag's ``data-locale``); ``experiments``:
    the shop's running A/B tests (:func:`ab_tests`), carried as ``ab`` when there are any."""
    prefs = shop.settings or {}
    color = prefs.get("color")
    locale, direction = i18n.resolve(prefs, lang, shop.locale)
    words = i18n.strings(locale)
    icon = prefs.get("launcher_icon", "chat")
    cart_kind, cart_url = cart(shop)
    contact_after = _number(prefs.get("contact_after"), 0, 3600)
    colors = palette(color if isinstance(color, str) and _COLOR.fullmatch(color) else DEFAULT_COLOR)
    position = "left" if prefs.get("position") == "left" else DEFAULT_POSITION
    text = _text(prefs.get("launcher_text"), MAX_LAUNCHER_TEXT)
    fired = triggers(prefs.get("triggers"))
    tests = ab_tests(experiments, len(fired))
    # The team-back sentence in the widget's language (the page's tag keeps its region: en-US).
    speech = lang if i18n.language(lang) == locale else locale
    return {
        "site_key": shop.site_key,
        "name": shop.name,
        "title": _text(prefs.get("title")) or shop.name,
        "greeting": _text(prefs.get("greeting"), MAX_GREETING) or words["greeting"],
        # Checked here so the widget can put them in CSS without a second look.
        **colors,
        "position": position,
        "launcher_text": text,
        # A path from ICONS, never the merchant's own markup; "none" (with launcher_text) draws none.
        "icon": None if icon == "none" and text else ICONS.get(icon, ICONS["chat"]),
        "css": launcher_css(colors, position, text),
        "open": words["open"],
        "avatar": _http(prefs.get("avatar_url")),
        "powered_by": prefs.get("powered_by") is not False,
        "dark": prefs.get("dark_mode") is not False,
        "triggers": fired,
        **({"ab": tests} if tests else {}),
        "consent": _text(prefs.get("consent_text"), 500),
        "consent_url": _http(prefs.get("consent_url")),
        "contact_after": DEFAULT_CONTACT_AFTER if contact_after is None else contact_after,
        # Business hours (core/widget/hours.py): open now, and when the team is back.
        "hours": widget_hours(prefs, speech, shop.locale, now, chosen=True),
        "platform": shop.platform,
        "cart": cart_kind,
        "cart_url": cart_url,
        "locale": locale,
        "dir": direction,
        "t": words,
        "currency": shop.currency or "USD",
        "money": i18n.money_format(locale, shop.currency or "USD"),
        "ws_path": WS_PATH,
        "chat_js": f"{bp.url_prefix}/chat.js?v={chat_version}",
        # Buttons under the greeting (up to 4 short lines; a click sends the line), only when set.
        **({"quick_replies": quick} if (quick := quick_replies(prefs.get("quick_replies"))) else {}),
    }


def launcher_config(full: dict[str, Any]) -> dict[str, Any]:
    """What the loader needs before any click: the launcher (CSS, icon, text, its label),
    the triggers' conditions (their messages come with the chat), the A/B tests' weights
    (texts only where the launcher shows them), chat.js's address. Empty keys are left out."""
    found: dict[str, Any] = {key: full[key] for key in LAUNCHER_ONLY if full[key] is not None}
    if full["triggers"]:
        found["triggers"] = [{k: v for k, v in t.items() if k != "message"} for t in full["triggers"]]
    if full.get("ab"):
        found["ab"] = [
            {
                **test,
                "variants": [
                    v if test["target"] == "launcher_text" else {k: x for k, x in v.items() if k != "value"}
                    for v in test["variants"]
                ],
            }
            for test in full["ab"]
        ]
    return found


def chat_config(full: dict[str, Any]) -> dict[str, Any]:
    """The rest, for chat.js when it loads: every key but the loader's own."""
    return {key: value for key, value in full.items() if key not in LAUNCHER_ONLY}


def _running_experiments(session: Session, shop: Shop) -> Any:
    from core.analytics.experiments import widget_ab

    return widget_ab(session, shop.id)


def _experiments(session: Session, shop: Shop) -> Any:
    """The shop's running A/B tests (core/analytics/experiments.py), or what a test put in
    ``app.extensions[EXPERIMENTS]`` in their place."""
    source: Callable[[Session, Shop], Any] = current_app.extensions.get(EXPERIMENTS) or _running_experiments
    try:
        return source(session, shop)
    except Exception:  # noqa: BLE001 - the widget still works without its A/B tests
        log.exception("could not read the A/B tests of shop %s", shop.id)
        return None


def _config(part: Callable[[dict[str, Any]], dict[str, Any]], hours_bound: bool) -> Response:
    site_key = request.args.get("site_key", "")
    if not site_key or len(site_key) > MAX_SITE_KEY:
        return _error(400, "bad_input", f"site_key is required (at most {MAX_SITE_KEY} characters)")
    lang = request.args.get("lang", "")[:35] or None
    now = datetime.now(UTC)
    with services().db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.site_key == site_key, Shop.active.is_(True)))
        if shop is None:
            return _error(404, "unknown_site_key", "no active shop has this site key")
        full = widget_config(shop, _assets()["chat.js"].version, lang, now, _experiments(session, shop))
    data = part(full)
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    etag = hashlib.sha256(body).hexdigest()[:16]
    # The part with business hours is never cached past the next opening or closing:
    # a stale "open" would be wrong.
    headers = {
        "Cache-Control": cache_control(full["hours"] if hours_bound else None, now),
        "Access-Control-Allow-Origin": "*",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(etag):
        resp = Response(status=304, headers=headers)
    elif request.accept_encodings.quality("gzip") > 0:
        resp = Response(gzip.compress(body, 9, mtime=0), content_type="application/json", headers=headers)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = Response(body, content_type="application/json", headers=headers)
    # Weak: the gzip and identity bodies are the same config.
    resp.set_etag(etag, weak=True)
    return resp


@bp.get("/config")
def config() -> Response:
    return _config(launcher_config, hours_bound=False)


@bp.get("/chat-config")
def chat_config_route() -> Response:
    return _config(chat_config, hours_bound=True)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Assets()
    app.register_blueprint(bp)
