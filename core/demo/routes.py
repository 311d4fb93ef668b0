"""``/demo/``: a storefront-like page for the demo shop, with the widget
embedded exactly as a merchant would embed it (the plain-HTML snippet).

The shop shown is the most recent one whose ``connector_config["demo"]`` is
truthy (``storechat demo`` creates it); ``?site_key=`` shows another shop, and
``?lang=`` sets the page's language (the widget follows ``<html lang>``).

It also has a cart that answers like a Shopify storefront's (``POST
/demo/cart/add.js``, ``GET /demo/cart.js``), so the widget's add to cart can be
tried and tested end to end. The cart lives in a cookie of the demo store
(the store's cookie, not the widget's), so every web process sees it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import json_input
from core.catalog import shelf
from core.db import Product, Shop, Variant
from core.demo.images import product_svg
from core.services import services
from core.widget import render_snippet

bp = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")

PAGE_SIZE = 60
MAX_SITE_KEY = 64
CART_COOKIE = "demo_cart"
ATTRIBUTES_COOKIE = "demo_cart_attributes"
MAX_CART_LINES = 50
MAX_QUANTITY = 99
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_RTL = {"ar", "he", "fa", "ur"}
_SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "CAD": "CA$", "AUD": "A$", "JPY": "\u00a5", "INR": "\u20b9"}


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    number = f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def price_range(low: Decimal, high: Decimal, currency: str) -> str:
    if high is not None and high != low:
        return f"{money(low, currency)} \u2013 {money(high, currency)}"
    return money(low, currency)


def http_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL, else None: nothing else becomes a link or an image."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept as blank-line breaks."""
    parser = _TextExtractor()
    parser.feed(html or "")
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _pick_shop(session: Session) -> tuple[Shop | None, str | None]:
    """The shop to show, and the ``site_key`` to carry in links when one was asked for.

    Only an active shop is ever shown: a deactivated one has no storefront.
    """
    asked = request.args.get("site_key")
    if asked:
        if len(asked) > MAX_SITE_KEY:
            return None, None
        return session.scalar(select(Shop).where(Shop.site_key == asked, Shop.active.is_(True))), asked
    shops = session.scalars(select(Shop).where(Shop.active.is_(True)).order_by(Shop.created_at.desc(), Shop.id.desc()))
    return next((s for s in shops if (s.connector_config or {}).get("demo")), None), None


def _missing(message: str, shop: Shop | None = None, site_key: str | None = None) -> tuple[str, int]:
    return render_template(
        "demo/missing.html",
        message=message,
        shop=shop,
        link_key=site_key,
        snippet=render_snippet(shop.site_key) if shop else None,
        **_helpers(shop),
    ), 404


def _page_lang(shop: Shop | None) -> tuple[str, str]:
    """``<html lang dir>``: ``?lang=`` when it is a language tag, else the shop's."""
    asked = request.args.get("lang", "")
    lang = asked if _LANG.fullmatch(asked) else ((shop.locale if shop else None) or "en")[:2]
    return lang, "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"


def _helpers(shop: Shop | None = None) -> dict[str, object]:
    lang, direction = _page_lang(shop)
    return {
        "money": money,
        "price_range": price_range,
        "http_url": http_url,
        "page_lang": lang,
        "page_dir": direction,
        "cart_count": sum(_read_cart().values()),
    }


@bp.get("/")
def storefront():  # type: ignore[no-untyped-def]
    with services().db.session() as session:
        shop, link_key = _pick_shop(session)
        if shop is None:
            return _missing("There is no demo shop yet.")
        total = session.scalar(shelf.products(shop.id, func.count())) or 0
        products = list(session.scalars(shelf.products(shop.id).order_by(Product.id).limit(PAGE_SIZE)))
        return render_template(
            "demo/index.html",
            shop=shop,
            products=products,
            total=total,
            link_key=link_key,
            snippet=render_snippet(shop.site_key),
            **_helpers(shop),
        )


@bp.get("/products/<handle>")
def product(handle: str):  # type: ignore[no-untyped-def]
    with services().db.session() as session:
        shop, link_key = _pick_shop(session)
        if shop is None:
            return _missing("There is no demo shop yet.")
        item = shelf.product_by_handle(session, shop.id, handle)
        if item is None:
            return _missing(f"{shop.name} has no product \u201c{handle}\u201d.", shop, link_key)
        return render_template(
            "demo/product.html",
            shop=shop,
            product=item,
            # Shopify's lone "Default Title" variant says nothing worth a table.
            variants=[] if [v.title for v in item.variants] == ["Default Title"] else list(item.variants),
            description=(item.body_text or "").strip() or html_to_text(item.body_html or ""),
            link_key=link_key,
            snippet=render_snippet(shop.site_key),
            **_helpers(shop),
        )


#: A face for the demo's chat header (``avatar_url``): an image on the store's side, as a merchant's would be.
AVATAR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<circle cx="32" cy="32" r="32" fill="#ffd8a8"/><circle cx="32" cy="26" r="11" fill="#7c4a1e"/>'
    '<path d="M12 56c3-11 11-16 20-16s17 5 20 16a32 32 0 0 1-40 0z" fill="#2f6f4f"/></svg>'
)


@bp.get("/avatar.svg")
def avatar():  # type: ignore[no-untyped-def]
    return Response(AVATAR_SVG, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/images/<handle>.svg")
def product_image(handle: str):  # type: ignore[no-untyped-def]
    """The demo catalog's pictures, drawn from each product's name (core/demo/images.py)."""
    with services().db.session() as session:
        shop, _ = _pick_shop(session)
        title = shop and session.scalar(
            shelf.products(shop.id, Product.title).where(Product.handle == handle).order_by(Product.id).limit(1)
        )
        if not title:
            return Response("no such product image", status=404, mimetype="text/plain")
    return Response(product_svg(title), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


# ---- a cart that answers like Shopify's storefront cart (/cart/add.js, /cart.js)


def _read_cart() -> dict[str, int]:
    """variant external id -> quantity, from the demo store's cookie; junk reads as empty."""
    raw = request.cookies.get(CART_COOKIE, "")
    try:
        data = json_input.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int) and 0 < v <= MAX_QUANTITY}


def _write_cart(resp: Response, cart: dict[str, int]) -> Response:
    value = base64.urlsafe_b64encode(json.dumps(cart, separators=(",", ":")).encode()).decode().rstrip("=")
    resp.set_cookie(CART_COOKIE, value, max_age=14 * 86400, path="/demo", httponly=True, samesite="Lax")
    return resp


def _cart_error(status: int, description: str, message: str = "Cart Error") -> Response:
    """Shopify's shape: ``{"status": 422, "message": "Cart Error", "description": "..."}``."""
    resp = jsonify(status=status, message=message, description=description)
    resp.status_code = status
    return resp


def _cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


def _line(variant: Variant, quantity: int) -> dict[str, Any]:
    product = variant.product
    plain = variant.title == "Default Title"
    return {
        "id": variant.external_id,
        "variant_id": variant.external_id,
        "product_id": product.external_id,
        "key": variant.external_id,
        "handle": product.handle,
        "title": product.title if plain else f"{product.title} - {variant.title}",
        "product_title": product.title,
        "variant_title": None if plain else variant.title,
        "sku": variant.sku,
        "vendor": product.vendor,
        "quantity": quantity,
        "price": _cents(variant.price),
        "final_price": _cents(variant.price),
        "line_price": _cents(variant.price) * quantity,
        "url": f"/demo/products/{product.handle}",
        "image": http_url(variant.image_url or product.image_url),
    }


def _find_variant(session: Session, shop: Shop, variant_id: str) -> Variant | None:
    return shelf.variant(session, shop.id, variant_id)


def _requested_items() -> list[tuple[str, int]] | None:
    """``{"items": [{"id", "quantity"}]}``, ``{"id", "quantity"}``, or the same as a form."""
    data: Any = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        return None
    items = data.get("items", [data])
    if not isinstance(items, list) or not 0 < len(items) <= MAX_CART_LINES:
        return None
    wanted: list[tuple[str, int]] = []
    for item in items:
        if not isinstance(item, dict) or isinstance(item.get("id"), bool):
            return None
        ident, quantity = item.get("id"), item.get("quantity", 1)
        if not isinstance(ident, (str, int)) or not str(ident).strip():
            return None
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            return None
        if not 0 < quantity <= MAX_QUANTITY:
            return None
        wanted.append((str(ident).strip(), quantity))
    return wanted


@bp.post("/cart/add.js")
def cart_add():  # type: ignore[no-untyped-def]
    wanted = _requested_items()
    if wanted is None:
        return _cart_error(400, "Required parameter missing or invalid: items", "Parameter Missing or Invalid")
    with services().db.session() as session:
        shop, _ = _pick_shop(session)
        if shop is None:
            return _cart_error(404, "There is no demo shop yet.")
        cart = _read_cart()
        lines = []
        for ident, quantity in wanted:
            variant = _find_variant(session, shop, ident)
            if variant is None:
                return _cart_error(404, "Cannot find variant")
            title = variant.product.title
            if not variant.available:
                return _cart_error(422, f"The product '{title}' is already sold out.")
            total = cart.get(ident, 0) + quantity
            limited = variant.inventory_tracked and variant.inventory_policy == "deny"
            stock = variant.inventory_quantity
            if limited and stock is not None and total > stock:
                return _cart_error(422, f"All {max(stock, 0)} {title} are in your cart.")
            if ident not in cart and len(cart) >= MAX_CART_LINES:
                return _cart_error(422, "Your cart is full.")
            cart[ident] = min(total, MAX_QUANTITY)
            lines.append(_line(variant, quantity))
        return _write_cart(jsonify(items=lines), cart)


@bp.get("/cart.js")
def cart_show():  # type: ignore[no-untyped-def]
    with services().db.session() as session:
        shop, _ = _pick_shop(session)
        cart = _read_cart()
        items = []
        if shop is not None:
            for ident, quantity in cart.items():
                variant = _find_variant(session, shop, ident)
                if variant is not None:
                    items.append(_line(variant, quantity))
        resp = jsonify(
            items=items,
            item_count=sum(i["quantity"] for i in items),
            total_price=sum(i["line_price"] for i in items),
            currency=shop.currency if shop else "USD",
            attributes=_read_attributes(),
        )
        resp.headers["Cache-Control"] = "no-store"
        return resp


def _read_attributes() -> dict[str, str]:
    raw = request.cookies.get(ATTRIBUTES_COOKIE, "")
    try:
        data = json_input.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


@bp.post("/cart/update.js")
def cart_update():  # type: ignore[no-untyped-def]
    """Cart attributes, as Shopify's ``/cart/update.js`` takes them (the order inherits them)."""
    body = request.get_json(silent=True)
    attributes = body.get("attributes") if isinstance(body, dict) else None
    if (
        not isinstance(attributes, dict)
        or not all(
            isinstance(k, str) and isinstance(v, (str, int)) and len(k) <= 100 and len(str(v)) <= 255
            for k, v in attributes.items()
        )
        or len(attributes) > 20
    ):
        return _cart_error(400, "attributes must be an object of short strings", "Parameter Missing or Invalid")
    merged = {**_read_attributes(), **{k: str(v) for k, v in attributes.items()}}
    value = base64.urlsafe_b64encode(json.dumps(merged, separators=(",", ":")).encode()).decode().rstrip("=")
    resp = jsonify(attributes=merged)
    resp.set_cookie(ATTRIBUTES_COOKIE, value, max_age=14 * 86400, path="/demo", httponly=True, samesite="Lax")
    return resp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
