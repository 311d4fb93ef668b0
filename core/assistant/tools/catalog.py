"""Catalog tools: search with filters, product details, variant availability.

Results are plain JSON-ready dicts built from the database rows of this
moment: they are what a reply may quote, and what the guard checks it
against. Every read goes through :mod:`core.catalog.shelf`: a draft product
is never found, by id, handle, title or search.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from core.assistant.tools.facts import StockPolicy, attributes_asked, facts, facts_about, question_words
from core.catalog import lookup, option_keys, ranking, shelf
from core.catalog.search import NARROWING_NONE, Known, Narrowing
from core.catalog.search import search_products as fts_search
from core.db import Product, Shop, Variant

CANDIDATES = 50


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())


def variant_dict(variant: Variant, policy: StockPolicy | None = None) -> dict[str, Any]:
    """A variant as tools show it; its count only when tracked, selling stops at zero, and the shop
    discloses counts (``policy``, see :mod:`core.assistant.tools.facts`)."""
    data: dict[str, Any] = {
        "variant_id": variant.external_id,
        "title": variant.title,
        "option_values": list(variant.option_values or []),
        "price": _money(variant.price),
        "compare_at": _money(variant.compare_at_price)
        if variant.compare_at_price and variant.compare_at_price > variant.price
        else None,
        "available": variant.available,
    }
    counted = (
        variant.inventory_tracked and variant.inventory_policy == "deny" and variant.inventory_quantity is not None
    )
    data.update((policy or StockPolicy()).describe(variant.inventory_quantity if counted else None))
    return data


#: The fields of a product card (:func:`card`), as both engines pick them from a tool's result.
CARD_KEYS = (
    "product_id",
    "handle",
    "title",
    "url",
    "image_url",
    "price",
    "price_max",
    "compare_at",
    "currency",
    "available",
    "variant_id",
)


def card_fields(result: dict[str, Any]) -> dict[str, Any]:
    """The card fields of a tool's product result (``get_product``, a search hit)."""
    return {k: result.get(k) for k in CARD_KEYS}


def card(
    product: Product | Row[Any], currency: str, variants: Sequence[Variant | Row[Any] | _VariantRow] | None = None
) -> dict[str, Any]:
    """A product card from a product (or a row of its card columns). ``variants``: the variants that matched
    a filter, if any (objects or rows)."""
    pool = variants if variants else list(product.variants)
    prices = [v.price for v in pool] or [product.price_min]
    chosen = next((v for v in pool if v.available), pool[0] if pool else None)
    compare = [v.compare_at_price for v in pool if v.compare_at_price and v.compare_at_price > v.price]
    return {
        "product_id": product.id,
        "handle": product.handle,
        "title": product.title,
        "url": product.url,
        "image_url": product.image_url,
        "price": _money(min(prices)),
        "price_max": _money(max(prices)),
        "compare_at": _money(max(compare)) if compare else None,
        "currency": currency,
        "available": any(v.available for v in pool) if pool else product.available,
        "variant_id": chosen.external_id if chosen else None,
    }


def _option_value(options: list[dict[str, Any]], asked: str) -> str | None:
    """The product's own option value ``asked`` means: the same value, or one that only adds the option's
    name in front ("42" is "Size 42" of the option "size"); None when the product has no such value."""
    wanted = _norm(asked)
    for option in options:
        name = _norm(str(option.get("name") or ""))
        for value in option.get("values", []):
            if _norm(value) in (wanted, f"{name} {wanted}"):
                return str(value)
    return None


def _matches_options(variant: Variant | Row[Any] | _VariantRow, wanted: list[str]) -> bool:
    """Whether the variant has every value ``wanted``, compared as the searches compare them."""
    values = {option_keys.key(v) for v in variant.option_values or []}
    return all(option_keys.key(w) in values for w in wanted)


#: Columns of a product that a card and the filters read.
_CARD_COLUMNS = (
    Product.id,
    Product.handle,
    Product.title,
    Product.url,
    Product.image_url,
    Product.price_min,
    Product.available,
    Product.product_type,
    Product.tags,
)
#: Columns of a variant that a card and the filters read.
_VARIANT_COLUMNS = (
    Variant.product_id,
    Variant.external_id,
    Variant.price,
    Variant.compare_at_price,
    Variant.available,
    Variant.option_values,
)
#: Candidates read from the database first: most searches stop after this chunk.
CHUNK = 12
#: Product ids are 32-bit integers (``INTEGER`` in PostgreSQL).
ROW_ID_LIMIT = 2**31
#: Products browsed, cheapest first, when a search has filters but no words.
BROWSE = 500


def search(
    session: Session,
    shop: Shop,
    query: str,
    *,
    min_price: float | None,
    max_price: float | None,
    category: str | None,
    options: list[str],
    in_stock_only: bool,
    limit: int,
    sort: str | None = None,
    vendor: str | None = None,
    known: Known | None = None,
) -> list[dict[str, Any]]:
    """Cards of the products matching ``query`` and the filters: best match first, or in ``sort`` order
    (:mod:`core.catalog.ranking`, ranked by the database), only ``vendor``'s when given. ``known``: what
    the caller knows of the matches (see :class:`core.catalog.search.Known`)."""

    low = None if min_price is None else Decimal(str(min_price))
    high = None if max_price is None else Decimal(str(max_price))

    def ranked(order: str, words: str = "", vendor: str | None = None) -> list[int]:
        # The ranking narrows by price, option values and stock itself: a card a candidate (a category
        # is checked here, on a deeper pool). Asking for fewer lets the ranking stop sooner.
        asked = ranking.Ranking(
            order=order,
            query=words,
            vendor=vendor,
            in_stock_only=in_stock_only,
            min_price=low,
            max_price=high,
            options=tuple(options),
            known=known if words else None,
        )
        return ranking.ranked(session, shop.id, asked, limit=BROWSE if category else limit)

    def cards_of(candidates: list[int]) -> list[dict[str, Any]]:
        return _cards(session, shop, candidates, low, high, category, options, in_stock_only, limit)

    if sort or vendor:
        return cards_of(ranked(sort or "price_asc", query, vendor))
    # The search itself keeps the matches that fit the price bounds, option values and stock (the database
    # tests them, :class:`Narrowing`), so each candidate is nearly always a card: the first chunk's worth is
    # asked, and each tier of a large catalog's search stops sooner (6 ms less for "how much is the Classic
    # Leather Jacket?" at 10,000 products on PostgreSQL; three card reads fewer for "black sneakers under
    # $60"). All the candidates only when those make too few cards: a category, or an option value the
    # database leaves to the cards.
    narrowing = Narrowing(min_price=low, max_price=high, options=tuple(options))
    asked = min(CHUNK, CANDIDATES) if not category and limit <= CHUNK else CANDIDATES

    def hits_of(count: int) -> list[int]:
        found = fts_search(
            session, shop.id, query, limit=count, in_stock_only=in_stock_only, known=known, narrowing=narrowing
        )
        return [h.id for h in found]

    words = bool(query.strip())
    candidates = hits_of(asked) if words else []
    if candidates:
        found = cards_of(candidates)
        if len(found) >= limit or len(candidates) < asked or asked == CANDIDATES:
            return found
        return cards_of(hits_of(CANDIDATES))
    if words and not (min_price or max_price or category or options):
        return []  # the words matched nothing, and there is nothing else to go on
    if (
        words
        and (narrowing != NARROWING_NONE or in_stock_only)
        and fts_search(session, shop.id, query, limit=1, known=known)
    ):
        return []  # the words match, but nothing that fits the filters: no other products instead
    # Filters without words (or words that matched nothing): the cheapest products that pass them,
    # narrowed by the database (a variant with the option values, in the bounds, in stock), not every
    # product's variants read here until enough fit.
    return cards_of(ranked("price_asc"))


def _cards(
    session: Session,
    shop: Shop,
    candidates: list[int],
    low: Decimal | None,
    high: Decimal | None,
    category: str | None,
    options: list[str],
    in_stock_only: bool,
    limit: int,
) -> list[dict[str, Any]]:
    narrowing = low is not None or high is not None or bool(options) or in_stock_only
    cards: list[dict[str, Any]] = []
    # Only the columns a card needs, a chunk of candidates at a time, until ``limit`` cards are found;
    # chunks double when filters turn many candidates down.
    start, size = 0, CHUNK
    while start < len(candidates):
        chunk, start, size = candidates[start : start + size], start + size, size * 2
        for product, pool in _load(session, shop.id, chunk):
            if category and not _in_category(product, category):
                continue
            variants = [
                v
                for v in pool
                if (low is None or v.price >= low)
                and (high is None or v.price <= high)
                and (not options or _matches_options(v, options))
                and (not in_stock_only or v.available)
            ]
            if not variants:
                continue
            cards.append(card(product, shop.currency, variants if narrowing else pool))
            if len(cards) >= limit:
                return cards
    return cards


class _VariantRow(NamedTuple):
    """A variant's columns as a card and the filters read them (see :data:`_VARIANT_COLUMNS`)."""

    product_id: int
    external_id: str
    price: Decimal
    compare_at_price: Decimal | None
    available: bool
    option_values: list[str] | None


def _load(session: Session, shop_id: int, ids: list[int]) -> list[tuple[Row[Any], list[_VariantRow]]]:
    """(product row, its variant rows in position order) for those of ``ids`` on the shelf, in the order of ``ids``.

    One statement for the products and their variants (each a round trip, 1-20 ms on a busy machine)."""
    width = len(_CARD_COLUMNS)
    variant_columns = [c.label(f"variant_{c.key}") for c in _VARIANT_COLUMNS]
    products: dict[int, Row[Any]] = {}
    variants: dict[int, list[_VariantRow]] = {}
    for row in session.execute(shelf.with_variants(shop_id, ids, _CARD_COLUMNS, variant_columns)):
        if row.id not in products:
            products[row.id] = row
            variants[row.id] = []
        if row[width] is not None:
            variants[row.id].append(_VariantRow(*row[width:]))
    return [(products[i], variants[i]) for i in ids if i in products]


def cards(session: Session, shop: Shop, product_ids: list[int]) -> list[dict[str, Any]]:
    """Cards of those of ``product_ids`` on the shelf, in that order (e.g. of :func:`core.catalog.ranking.ranked`)."""
    return [card(product, shop.currency, pool) for product, pool in _load(session, shop.id, product_ids)]


def _in_category(product: Product | Row[Any], category: str) -> bool:
    wanted = _norm(category).rstrip("s")
    names = [product.product_type or "", *(product.tags or [])]
    return any(_norm(n).rstrip("s") == wanted for n in names if n)


def find_product(session: Session, shop: Shop, ref: str | int) -> Product | None:
    """A published product of the shop by id, handle, or (fuzzily) title."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        if -ROW_ID_LIMIT <= int(ref) < ROW_ID_LIMIT:  # a bigger number is no row id (and the database refuses it)
            product = shelf.product(session, shop.id, int(ref))
            if product is not None:
                return product
    ref = str(ref).strip()
    if not ref:
        return None
    product = shelf.product_by_handle(session, shop.id, ref.lower())
    if product is not None:
        return product
    found = lookup.product_by_title(session, shop.id, ref)
    return shelf.product(session, shop.id, found) if found is not None else None


def get_product(session: Session, shop: Shop, ref: str | int) -> dict[str, Any] | None:
    product = find_product(session, shop, ref)
    if product is None:
        return None
    details = card(product, shop.currency)
    details.update(
        {
            "description": (product.body_text or "")[:600],
            "vendor": product.vendor,
            "product_type": product.product_type,
            "tags": list(product.tags or []),
            "options": list(product.options or []),
            "variants": [variant_dict(v, StockPolicy.of(shop.settings)) for v in product.variants],
        }
    )
    return details


def product_facts(
    session: Session, shop: Shop, ref: str | int, question: str, attributes: list[str] | None = None
) -> dict[str, Any] | None:
    """The sentences of a product's own description that answer ``question`` (or ``attributes``)."""
    product = find_product(session, shop, ref)
    if product is None:
        return None
    asked = [a for a in (attributes or []) if isinstance(a, str)] or attributes_asked(question)
    if asked:
        return {
            "product": card(product, shop.currency),
            "vendor": product.vendor,
            "attributes": asked,
            "facts": facts(product.body_html or "", product.body_text or "", asked),
        }
    # Anything else ("what's the battery life?"): the sentences that share the question's own words,
    # those of the product's name left out.
    words = question_words(question, exclude=set(question_words(product.title)))
    return {
        "product": card(product, shop.currency),
        "vendor": product.vendor,
        "attributes": [],
        "asked": words,
        "facts": facts_about(product.body_html or "", product.body_text or "", words) if words else [],
    }


def check_availability(session: Session, shop: Shop, ref: str | int, option_values: list[str]) -> dict[str, Any] | None:
    product = find_product(session, shop, ref)
    if product is None:
        return None
    values: dict[str, str | None] = {}
    for value in (v for v in option_values if v.strip()):
        own = _option_value(product.options or [], value)
        if own is None or own not in values.values():  # "size 42" and "42" are one value
            values[own or value] = own
    asked = list(values)
    unknown = [a for a in asked if values[a] is None]
    known = [option_value for a in asked if (option_value := values[a]) is not None]  # asked less unknown
    matching = [v for v in product.variants if _matches_options(v, known)]
    policy = StockPolicy.of(shop.settings)
    return {
        "product": card(product, shop.currency),
        "asked": asked,
        #: Values this product does not come in at all (e.g. a colour it isn't made in).
        "unknown_values": unknown,
        "matching": [variant_dict(v, policy) for v in matching] if not unknown else [],
        "available": [variant_dict(v, policy) for v in product.variants if v.available],
    }
