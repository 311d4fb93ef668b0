"""Product answers: search, details and price, availability, comparison.

Every name, price and stock state in these replies is read from the tool
results of this turn (cards, ``get_product``, ``check_availability``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from core.assistant.builtin.dialogue import MAX_CARDS, Answer, Dialogue, card_of
from core.assistant.builtin.templates import QUICK, Templates
from core.assistant.builtin.text import stem, tokens
from core.assistant.builtin.vocabulary import COLOURS, SYNONYMS
from core.catalog import ranking, shelf
from core.catalog.search import parse_query
from core.db import Product

SEARCH_LIMIT = 10


@dataclass
class Query:
    """A product search as the shopper put it."""

    terms: list[str] = field(default_factory=list)
    #: The shopper's words for what they want, for "I couldn't find “...”".
    asked: str = ""
    #: The shopper's own words for the price bounds ("under $50").
    price_words: str = ""
    min_price: float | None = None
    max_price: float | None = None
    category: str | None = None
    options: list[str] = field(default_factory=list)
    in_stock: bool = False
    sale: bool = False
    #: A ranking (:data:`core.catalog.ranking.SORTS`): "the most expensive", "the newest".
    sort: str | None = None
    #: Only this vendor's products ("anything from Acme"), as the store wrote the name.
    vendor: str | None = None
    #: Word the reply as the ranking ``sort`` asks for ("our most expensive ..."); False for a list that is
    #: only ordered that way ("anything cheaper?": the closest prices below first).
    ranking: bool = True
    #: Products already shown ("show me more").
    exclude: list[int] = field(default_factory=list)

    @classmethod
    def from_context(cls, data: Any) -> Query | None:
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return None

    def as_context(self) -> dict[str, Any]:
        return asdict(self)

    def filters(self, t: Templates | None = None, *, options: bool = True) -> str:
        """The filters in the shopper's words: " under $50, for women, in Medium" (in ``t``'s language)."""
        t = t or Templates(None)
        parts = [_price_words(self.price_words, t)] if self.price_words else []
        if self.category:
            parts.append(t.render("filter_for", audience=t.word(self.category.lower())))
        if self.options and options:
            parts.append(t.render("filter_in", values=" / ".join(self.options)))
        if self.in_stock:
            parts.append(t.render("filter_in_stock"))
        if self.sale:
            parts.append(t.render("filter_on_sale"))
        return (" " + ", ".join(parts)) if parts else ""


#: The English price words a query keeps, as the language catalogs name them.
_PRICE_WORDS = re.compile(
    r"\b(under|below|less than|cheaper than|up to|at most|no more than|over|above|more than|"
    r"at least|between|from|around|about|and|to|dollars?|bucks|usd|euros?)\b"
)
_SAME = {
    "below": "under",
    "less than": "under",
    "cheaper than": "under",
    "at most": "up to",
    "no more than": "up to",
    "above": "over",
    "more than": "over",
    "about": "around",
    "and": "to",
    "dollar": "dollars",
    "bucks": "dollars",
    "usd": "dollars",
    "euro": "euros",
}


def _price_words(words: str, t: Templates) -> str:
    if t.language == "en":
        return words
    return _PRICE_WORDS.sub(lambda m: t.word(_SAME.get(m.group(1), m.group(1))), words)


def search(d: Dialogue, q: Query) -> Answer:
    tools = d.tools
    sort = q.sort if q.sort in ranking.SORTS else None
    query = " ".join(_expand(q.terms))
    cards = tools.search_products(
        query,
        min_price=q.min_price,
        max_price=q.max_price,
        category=q.category,
        options=q.options,
        in_stock_only=q.in_stock,
        limit=SEARCH_LIMIT,
        sort=sort,
        vendor=q.vendor,
        known=d.vocab.search_known(parse_query(query)),
    )
    terms, filters = list(q.terms), q.filters(d.t)
    if not cards and q.options:
        # Option values may be words of the title or tags rather than variants ("blue earrings").
        terms += [stem(w) for o in q.options for w in tokens(o) if stem(w) not in terms]
        cards = tools.search_products(
            " ".join(_expand(terms)),
            min_price=q.min_price,
            max_price=q.max_price,
            category=q.category,
            in_stock_only=q.in_stock,
            limit=SEARCH_LIMIT,
            sort=sort,
            vendor=q.vendor,
        )
        filters = q.filters(d.t, options=False)
    cards = [c for c in cards if c["product_id"] not in q.exclude]
    if q.sale:
        cards = [c for c in cards if c.get("compare_at")]
    exact, close = _rank(d, cards, terms, _head(q.terms, terms))
    if sort in ("price_asc", "price_desc"):
        for group in (exact, close):
            group.sort(
                key=lambda c: Decimal(c["price_max" if sort == "price_desc" else "price"] or c["price"]),
                reverse=sort == "price_desc",
            )
    searched: dict[str, Any] = {**q.as_context(), "terms": terms}
    context: dict[str, Any] = {"last": "search", "search": searched}
    if exact and (sort and q.ranking or q.vendor):
        shown = exact[:MAX_CARDS]
        text = _ranked_text(d, q, sort, shown, filters)
        ids = [c["product_id"] for c in shown]
        context.update(d.remember(ids, ids[0] if len(shown) == 1 else None))
        searched["exclude"] = list(dict.fromkeys(q.exclude + ids))
        return Answer(
            text, "product_search", shown, list(QUICK["search"] if len(shown) > 1 else QUICK["product"]), context
        )
    if exact:
        shown = exact[:MAX_CARDS]
        if len(exact) == 1:
            text = d.t.render("search_one", item=d.item(shown[0]))
        else:
            key = "search_many" if q.terms else "search_browse"
            text = d.t.render(key, filters=filters, items="; ".join(d.item(c) for c in shown))
        ids = [c["product_id"] for c in shown]
        context.update(d.remember(ids, ids[0] if len(shown) == 1 else None))
        searched["exclude"] = list(dict.fromkeys(q.exclude + ids))
        quick = QUICK["product"] if len(shown) == 1 else QUICK["search"]
        return Answer(text, "product_search", shown, list(quick), context)
    if close:
        shown = close[:MAX_CARDS]
        text = d.t.render(
            "search_close",
            asked=(d.own_words(q.asked or " ".join(q.terms)) + q.filters(d.t)).strip(),
            items="; ".join(d.item(c) for c in shown),
        )
        ids = [c["product_id"] for c in shown]
        context.update(d.remember(ids))
        searched["exclude"] = list(dict.fromkeys(q.exclude + ids))
        return Answer(text, "product_search", shown, [], context)
    if q.sale and not q.terms:
        return Answer(d.t.render("sale_none"), "product_search", context=context)
    if q.exclude:
        return Answer(d.t.render("more_none"), "product_search", context=context)
    text = d.t.render("search_none", asked=d.own_words(q.asked or " ".join(terms)) or "that", filters=q.filters(d.t))
    return Answer(text, "product_search", [], list(QUICK["human"]), context, answered=False)


def _ranked_text(d: Dialogue, q: Query, sort: str | None, shown: list[dict[str, Any]], filters: str) -> str:
    """ "Our most expensive jackets, highest price first: ...", "From Acme: ..."."""
    items = "; ".join(d.item(c) for c in shown)
    what = d.t.render("ranked_what", asked=d.own_words(q.asked)) if q.asked else ""
    if sort == "best_value":
        per_unit = all(ranking.PACK.search(c["title"] or "") for c in shown) and len(shown) > 1
        key = "ranked_best_value" if per_unit else "ranked_best_value_price"
    elif sort and q.ranking:
        key = f"ranked_{sort}"
    else:
        key = "vendor_items"
    return d.t.render(key, what=what, filters=filters, items=items, vendor=q.vendor or "")


def cheaper(d: Dialogue, q: Query, than: dict[str, Any]) -> Answer:
    """Products like the last ones, cheaper than ``than`` (a card)."""
    limit = Decimal(than["price"]) - Decimal("0.01")
    q.max_price = float(limit) if q.max_price is None else min(q.max_price, float(limit))
    q.min_price, q.exclude, q.sort, q.ranking = None, [], "price_desc", False
    answer = search(d, q)
    if not answer.cards:
        answer = Answer(
            d.t.render("cheaper_none", price=d.price(than), filters=q.filters(d.t)),
            "product_search",
            context=answer.context,
        )
    return answer


def details(d: Dialogue, product_id: int, mode: str = "details") -> Answer:
    info = d.tools.get_product(product_id)
    if info is None:
        return Answer(d.t.render("unknown"), "unknown", answered=False)
    fields = {"title": info["title"], "price": d.price(info), "was": d.was(info), "stock": d.stock(info["available"])}
    if mode == "price":
        text = d.t.render("price", **fields)
    else:
        values = _option_values(info)
        options = d.t.render("options", values=d.join(values)) if values else ""
        text = d.t.render("details", options=options, description=_summary(info.get("description") or ""), **fields)
    context = {**_keep(d, product_id), "last": mode}
    return Answer(text.strip(), "product_details", [card_of(info)], list(QUICK["product"]), context)


def availability(d: Dialogue, product_id: int, asked: list[str], *, count: bool = False) -> Answer:
    """In stock (in the options asked)? With ``count`` ("how many are left?"): the number when the store
    tracks it and lets it be told, "only a few left" under its threshold, else simply in stock."""
    result = d.tools.check_availability(product_id, asked)
    if result is None:
        return Answer(d.t.render("unknown"), "unknown", answered=False)
    product = result["product"]
    title = product["title"]
    context = {**_keep(d, product_id), "last": "availability", "options": asked}
    said = (" " + d.t.render("filter_in", values=" / ".join(result["asked"]))) if result["asked"] else ""
    if result["unknown_values"]:
        info = d.tools.get_product(product_id) or {}
        values = _option_values(info)
        text = d.t.render("not_offered", title=title, asked=d.join(result["unknown_values"]))
        if values:
            text += d.t.render("offered_values", values=d.join(values))
        else:
            text += d.t.render("single_version", stock=d.stock(product["available"]))
        return Answer(text, "availability", [product], [], context)
    in_stock = [v for v in result["matching"] if v["available"]]
    if in_stock:
        prices = sorted(Decimal(v["price"]) for v in in_stock)
        price = d.price({"price": str(prices[0]), "price_max": str(prices[-1])})
        fields = {"title": title, "asked": said, "price": price}
        counted = all(v.get("tracked") for v in in_stock)
        few = counted and all(v.get("low_stock") for v in in_stock)
        quantities = [v["quantity"] for v in in_stock if "quantity" in v]
        if count and counted and not few and len(quantities) == len(in_stock):
            text = d.t.render("stock_count", quantity=sum(quantities), **fields)
        elif few:
            text = d.t.render("stock_few" if count else "available_few", quantity="", **fields)
        else:
            text = d.t.render("stock_in" if count else "available", **fields)
        if not asked:
            values = _values_of(in_stock)
            if values:
                text += d.t.render("alternatives", values=d.join(values))
        return Answer(text, "availability", [product], [], context)
    text = d.t.render("unavailable" if said else "unavailable_all", title=title, asked=said)
    values = [v for v in _values_of(result["available"]) if v.casefold() not in {a.casefold() for a in asked}]
    if values:
        text += d.t.render("alternatives", values=d.join(values))
    return Answer(text, "availability", [product], [], context)


def compare(d: Dialogue, first: int, second: int) -> Answer:
    a, b = d.tools.get_product(first), d.tools.get_product(second)
    if a is None or b is None:
        return Answer(d.t.render("compare_which"), "compare", answered=False)
    lines = "; ".join(f"{p['title']}: {d.price(p)}, {d.stock(p['available'])}" for p in (a, b))
    pa, pb = Decimal(a["price"]), Decimal(b["price"])
    if pa == pb:
        verdict = d.t.render("compare_same_price")
    else:
        verdict = d.t.render("compare_cheaper", title=(a if pa < pb else b)["title"])
    context = {**d.remember([first, second]), "last": "compare"}
    return Answer(d.t.render("compare", lines=lines, verdict=verdict), "compare", [card_of(a), card_of(b)], [], context)


def which(d: Dialogue, candidates: list[int], intent: str) -> Answer:
    """Ask which product is meant, offering their titles."""
    titles = [d.vocab.titles[p] for p in candidates if p in d.vocab.titles][:4]
    context = {**d.remember(candidates), "last": d.prev.get("last")}
    if d.prev.get("search"):
        context["search"] = d.prev["search"]
    return Answer(d.t.render("which"), intent, [], titles, context)


# -- helpers -----------------------------------------------------------------------


def _keep(d: Dialogue, product_id: int) -> dict[str, Any]:
    """Remember the products shown before, focused on this one; keep the search for "cheaper"."""
    shown = d.shown
    context = d.remember(shown if product_id in shown else [product_id, *shown], product_id)
    if d.prev.get("search"):
        context["search"] = d.prev["search"]
    return context


def _expand(terms: list[str]) -> list[str]:
    out = []
    for t in terms:
        out.append(t)
        out.extend(SYNONYMS.get(t, []))
    return list(dict.fromkeys(out))


def _head(asked: list[str], terms: list[str]) -> str | None:
    """The word that names the kind of thing asked for: the last one that is not a colour ("red *dress*")."""
    words = [t for t in (asked or terms) if t not in COLOURS]
    return words[-1] if words else None


def _rank(
    d: Dialogue, cards: list[dict[str, Any]], terms: list[str], head: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cards whose product has every term, cards that at least are the kind of thing asked for).

    A term counts when the product's title, tags, type, option values or
    description has it. Exact matches with more terms in the title come first,
    otherwise the search's own order is kept.
    """
    if not terms or not cards:
        return list(cards), []
    rows = d.tools.session.execute(
        shelf.products_by_id(
            d.tools.shop.id,
            [c["product_id"] for c in cards],
            Product.id,
            Product.title,
            Product.tags,
            Product.product_type,
            Product.options,
            Product.body_text,
        )
    )
    # The words of a product's title, tags, type and option values; those of its description are read only
    # for a term these lack (``_has`` holds for more words whenever it holds for fewer, so the answer is the
    # same): most matches have every term in the title, and a search tokenized ten descriptions of up to
    # 2,000 characters each.
    words: dict[int, set[str]] = {}
    bodies: dict[int, str] = {}
    titles: dict[int, set[str]] = {}
    for pid, title, tags, ptype, options, body in rows:
        text = " ".join(
            [
                title,
                *(str(t) for t in tags or []),
                ptype or "",
                *(str(v) for o in options or [] for v in o.get("values", [])),
            ]
        )
        words[pid] = _words_of(text)
        bodies[pid] = (body or "")[:2000]
        titles[pid] = {stem(w) for w in tokens(title)}

    def has(pid: int, term: str) -> bool:
        if pid not in words:
            return False
        if _has(words[pid], term):
            return True
        body = bodies.pop(pid, "")  # read once
        if not body:
            return False
        words[pid] |= _words_of(body)
        return _has(words[pid], term)

    exact = [c for c in cards if all(has(c["product_id"], t) for t in terms)]
    exact.sort(key=lambda c: -sum(_has(titles.get(c["product_id"], set()), t, synonyms=False) for t in terms))
    close = [c for c in cards if c not in exact and head is not None and has(c["product_id"], head)]
    return exact, close


def _words_of(text: str) -> set[str]:
    found = tokens(text)
    return {stem(w) for w in found} | set(found)


def _has(words: set[str], term: str, *, synonyms: bool = True) -> bool:
    options = [term, *SYNONYMS.get(term, [])] if synonyms else [term]
    for t in options:
        t = t.replace("-", "")
        if t in words:
            return True
        if len(t) >= 4 and any(w.startswith(t) or (len(w) >= 4 and t.startswith(w)) for w in words):
            return True
    return False


def _option_values(info: dict[str, Any]) -> list[str]:
    values = []
    for option in info.get("options") or []:
        values += [str(v) for v in option.get("values", []) if str(v) != "Default Title"]
    return values


def _values_of(variants: list[dict[str, Any]]) -> list[str]:
    return list(
        dict.fromkeys(v for variant in variants for v in variant.get("option_values") or [] if v != "Default Title")
    )


def _summary(description: str, limit: int = 220) -> str:
    text = " ".join(description.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 60 else cut.rsplit(" ", 1)[0] + "\u2026"
