"""``/demo/``: a storefront-like page for the demo shop, with the widget
embedded exactly as a merchant would embed it (the plain-HTML snippet).

The shop shown is the most recent one whose ``connector_config["demo"]`` is
truthy (``storechat demo`` creates it); ``?site_key=`` shows another shop.
"""
from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Product, Shop
from core.services import services
from core.widget import render_snippet

bp = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")

PAGE_SIZE = 60
MAX_SITE_KEY = 64
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
    """The shop to show, and the ``site_key`` to carry in links when one was asked for."""
    asked = request.args.get("site_key")
    if asked:
        if len(asked) > MAX_SITE_KEY:
            return None, None
        return session.scalar(select(Shop).where(Shop.site_key == asked)), asked
    shops = session.scalars(select(Shop).order_by(Shop.created_at.desc(), Shop.id.desc()))
    return next((s for s in shops if (s.connector_config or {}).get("demo")), None), None


def _missing(message: str, shop: Shop | None = None, site_key: str | None = None) -> tuple[str, int]:
    return render_template(
        "demo/missing.html",
        message=message,
        shop=shop,
        link_key=site_key,
        snippet=render_snippet(shop.site_key) if shop else None,
    ), 404


def _helpers() -> dict[str, object]:
    return {"money": money, "price_range": price_range, "http_url": http_url}


@bp.get("/")
def storefront():  # type: ignore[no-untyped-def]
    with services().db.session() as session:
        shop, link_key = _pick_shop(session)
        if shop is None:
            return _missing("There is no demo shop yet.")
        visible = (Product.shop_id == shop.id, Product.published.is_(True))
        total = session.scalar(select(func.count()).select_from(Product).where(*visible)) or 0
        products = list(session.scalars(select(Product).where(*visible).order_by(Product.id).limit(PAGE_SIZE)))
        return render_template(
            "demo/index.html",
            shop=shop,
            products=products,
            total=total,
            link_key=link_key,
            snippet=render_snippet(shop.site_key),
            **_helpers(),
        )


@bp.get("/products/<handle>")
def product(handle: str):  # type: ignore[no-untyped-def]
    with services().db.session() as session:
        shop, link_key = _pick_shop(session)
        if shop is None:
            return _missing("There is no demo shop yet.")
        item = session.scalar(
            select(Product)
            .where(Product.shop_id == shop.id, Product.handle == handle, Product.published.is_(True))
            .order_by(Product.id)
            .limit(1)
        )
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
            **_helpers(),
        )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
