"""Routing a product question: search, details, price, availability or comparison,
with "it", "the other one", "and in blue?" resolved from the previous reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.assistant.builtin import products, slots
from core.assistant.builtin.dialogue import Answer, Dialogue
from core.assistant.builtin.products import Query
from core.assistant.builtin.text import content_words, normalize, stem, tokens
from core.assistant.builtin.vocabulary import AUDIENCES, COLOURS, Mention

_COMPARE = re.compile(
    r"\b(compare|comparison|difference|differences|differ|versus|vs\.?|which (one )?is better|"
    r"which (one )?is cheaper|which (one )?should i|better than|or the)\b",
    re.I,
)
_AVAILABILITY = re.compile(
    r"\b(in stock|stock|available|availability|sold out|any left|left in|restock|how many|"
    r"(have|got|are there) \w+ left|left|remaining|quantity|"
    r"come in|comes in|came in|have (it|this|that|one|them) in|get (it|this|that) in)\b"
    r"|\bwhat (sizes|colou?rs|options)\b",
    re.I,
)
#: "Is the X cheaper than the Y?" (not "cheaper than $50", a price bound).
_THAN = re.compile(
    r"\b(cheaper|less expensive|more expensive|pricier|dearer|more affordable)\s+than\b"
    r"(?!\s*(?:[$€£]|us\$)?\s*\d)",
    re.I,
)
_PRICE = re.compile(r"\b(how much|price|prices|priced|cost|costs|pricing|how expensive)\b", re.I)
_DETAILS = re.compile(
    r"\b(tell me (more )?about|details?|describe|description|more (info|information)|"
    r"made of|made from|material|fabric|what is the|what's the|what does|look like|info on|"
    r"information (on|about))\b",
    re.I,
)
_SEARCH = re.compile(
    r"\b(do you (have|sell|carry|stock|offer|got)|have you got|got any|looking for|look for|"
    r"search|find|show me|recommend|suggest|suggestions?|need (a|an|some|new)|want (a|an|some)|"
    r"gifts?|ideas?|options for|what (kind|sort|types?) of|browse|what do you (have|sell)|"
    r"anything|something|any)\b",
    re.I,
)
_FOLLOW_UP = re.compile(
    r"^\s*(and|what about|how about|in|also|or|maybe|any in|one in|do you have it in|"
    r"same in|what if|ok(ay)? and)\b",
    re.I,
)


@dataclass
class Signals:
    """What a line says about products."""

    mention: Mention
    named: list[int]
    options: list[str]
    colours: list[str]
    bounds: slots.PriceBounds
    audience: str | None
    terms: list[str]
    #: The shopper's own words for ``terms``.
    asked: str

    @property
    def words(self) -> list[str]:
        """The terms that are not colours: what the shopper is looking for."""
        return [t for t in self.terms if t not in self.colours]

    @property
    def filters_only(self) -> bool:
        """Only refinements ("in blue", "under $40", "for men"), no new thing to look for."""
        return not self.words and bool(self.options or self.colours or self.bounds or self.audience)


#: A measure written as one word ("8tb", "15cm", "500ml"): asked of a product like an option value.
_SPEC = re.compile(r"\d+(?:[.,]\d+)?(?!st|nd|rd|th)[a-z]{1,4}")


def read(d: Dialogue, text: str) -> Signals:
    vocab = d.vocab
    options = vocab.options_in(text) + vocab.sizes_asked(text)
    options += [
        w
        for w in tokens(text)
        if _SPEC.fullmatch(w) and stem(w) not in vocab.known and w not in {o.lower() for o in options}
    ]
    # "the 15 inch one": words of a measured option value name no product ("32-Inch Monitor").
    plain = text
    for value in options:
        if any(ch.isdigit() for ch in value):
            plain = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", plain, flags=re.I)
    colours = vocab.colours_in(text)
    audience = vocab.audience_in(text)
    skip = {stem(w) for o in options for w in tokens(o)}
    if audience:  # "for women", "for my wife": a filter, not a word to search for
        said = {stem(t) for t in tokens(text)}
        skip |= {stem(w) for words in AUDIENCES.values() for w in words if stem(w) in said}
    terms: list[str] = []
    wanted = set(content_words(text)) - skip
    asked = []
    for word in tokens(text):
        if stem(word) not in wanted:
            continue
        spelled = vocab.spell(word) or stem(word)
        if spelled not in terms:
            terms.append(spelled)
            asked.append(word)
    return Signals(
        vocab.mention(plain, within=d.shown),
        vocab.named(plain),
        options,
        colours,
        slots.prices(text),
        audience,
        terms,
        " ".join(asked),
    )


def route(d: Dialogue, text: str, *, fallback_search: bool = False) -> Answer | None:
    """A product answer, or None when ``text`` is not about products."""
    s = read(d, text)
    shown, focus = d.shown, d.focus
    prev_query = Query.from_context(d.prev.get("search"))

    if _THAN.search(text) and len(s.named) >= 2:
        return products.compare(d, s.named[0], s.named[1])  # "is the X cheaper than the Y?"
    if _COMPARE.search(text):
        pair = _pair(d, text, s)
        if pair:
            return products.compare(d, *pair)
        if s.mention.candidates or shown:
            return products.which(d, s.mention.candidates or shown, "compare")
        return Answer(d.t.render("compare_which"), "compare")

    if slots.wants_more(text) and prev_query:
        prev_query.exclude = list(dict.fromkeys(prev_query.exclude + shown))
        return products.search(d, prev_query)

    # Refining a search just shown: "and in blue?", "under $40?", "for men?", "in stock?"
    refine = (
        prev_query is not None
        and (s.filters_only or slots.in_stock(text) and not s.words)
        and (_FOLLOW_UP.search(text) or len(tokens(text)) <= 6)
    )
    about_it = slots.refers_to_it(text) and (focus is not None or len(shown) == 1)
    if (
        refine
        and prev_query is not None
        and len(shown) == 1
        and (s.options or s.colours)
        and not (s.bounds or s.audience)
        and d.prev.get("last") == "search"
        and not prev_query.options
        and set(prev_query.terms) <= d.vocab.title_words.get(shown[0], frozenset())
        and not set(prev_query.terms) & set(COLOURS)
    ):
        # "the mint one" after the shopper named one product: that product in mint (a list that was
        # already narrowed, "shirts" then "in blue", is narrowed again instead).
        asked = [
            o
            for o in s.options + [c for c in s.colours if c not in {o.lower() for o in s.options}]
            if stem(o.lower()) not in d.vocab.title_words.get(shown[0], ())
        ]
        if asked:
            return products.availability(d, shown[0], asked, count=slots.asks_count(text))
    if refine and prev_query is not None and d.prev.get("last") == "search" and not about_it:
        return products.search(d, _refine(prev_query, text, s, d))

    # "which is the cheapest?" about the list just shown: the same search, ranked.
    if (
        prev_query is not None
        and slots.sort_order(text)
        and not s.words
        and d.prev.get("last") == "search"
        and not s.mention.product
    ):
        ranked = _refine(prev_query, text, s, d)
        ranked.sort, ranked.exclude, ranked.ranking = slots.sort_order(text), [], True
        return products.search(d, ranked)

    target = _target(d, text, s)
    if slots.wants_cheaper(text) and not s.words and not (s.options or s.colours):
        base = prev_query or Query()
        reference = target or focus or (shown[0] if shown else None)
        if reference is not None:
            info = d.tools.get_product(reference)
            if info is not None:
                if not base.terms:
                    base.terms = [stem(w) for w in tokens(info["title"])[-1:]]
                return products.cheaper(d, base, info)

    asked_options = s.options + [c for c in s.colours if c not in {o.lower() for o in s.options}]
    if target is not None and (s.bounds or s.audience or slots.sale(text) or slots.sort_order(text)):
        target = None  # "silk tops under $50" asks for a list
    if target is not None:
        # A colour in the product's own name names it ("the ocean blue shirt"), it does not ask for a variant.
        asked_options = [o for o in asked_options if stem(o.lower()) not in d.vocab.title_words.get(target, ())]
        if _AVAILABILITY.search(text) or asked_options:
            return products.availability(d, target, asked_options, count=slots.asks_count(text))
        if _PRICE.search(text):
            return products.details(d, target, "price")
        if _DETAILS.search(text):
            return products.details(d, target, "details")
        if _SEARCH.search(text) and s.mention.product is not None:
            return products.search(d, _query(text, s, d))
        last = d.prev.get("last")
        if last == "availability":
            options = d.prev.get("options") or []
            return products.availability(d, target, [o for o in options if isinstance(o, str)])
        return products.details(d, target, "price" if last == "price" else "details")

    refers = slots.refers_to_it(text) or slots.refers_to_other(text) or slots.ordinal(text) is not None
    if (
        refers
        and not s.words
        and (
            _PRICE.search(text)
            or _AVAILABILITY.search(text)
            or _DETAILS.search(text)
            or slots.refers_to_other(text)
            or slots.ordinal(text) is not None
        )
    ):
        candidates = _others(d) if slots.refers_to_other(text) else shown
        if len(candidates) > 1:
            return products.which(d, candidates, "product_details")

    if refine and prev_query is not None and not about_it:
        return products.search(d, _refine(prev_query, text, s, d))

    if s.mention.candidates and (_PRICE.search(text) or _AVAILABILITY.search(text) or _DETAILS.search(text)):
        return products.search(d, _query(text, s, d))
    product_words = bool(
        s.mention.words
        or d.vocab.type_in(text)
        or s.options
        or s.colours
        or s.audience
        or s.bounds
        or slots.sale(text)
        or slots.sort_order(text)
    )
    if product_words or _SEARCH.search(text) and (s.terms or s.bounds) or (fallback_search and s.terms):
        return products.search(d, _query(text, s, d))
    if s.words and (_PRICE.search(text) or _AVAILABILITY.search(text)):
        return products.search(d, _query(text, s, d))  # "how much is the <something we may not sell>?"
    if _SEARCH.search(text) and re.search(r"\b(recommend|suggest|gift|ideas?|what do you (have|sell))\b", text, re.I):
        return products.search(d, _query(text, s, d))
    return None


def _target(d: Dialogue, text: str, s: Signals) -> int | None:
    """The one product this line is about, named or referred to."""
    shown, focus = d.shown, d.focus
    colour_only = bool(s.mention.words) and all(w in s.colours for w in s.mention.words)
    if focus is not None and colour_only and d.prev.get("last") in ("details", "price", "availability"):
        return focus  # "and in blue?" about the product just discussed
    if s.mention.product is not None:
        return s.mention.product
    if len(s.named) == 1 and not _SEARCH.search(text):
        return s.named[0]  # "the 15 inch laptop with 16GB of RAM": its whole name, and a word of another's
    if s.mention.candidates:
        return None
    if (
        slots.refers_to_it(text)
        and shown
        and d.prev.get("last") == "search"
        and (d.prev.get("search") or {}).get("sort")
        and not s.words
    ):
        return shown[0]  # "who makes it?" after "your cheapest camera?": the first of the ranking
    index = slots.ordinal(text)
    if index is not None and shown:
        return shown[index] if -len(shown) <= index < len(shown) else None
    if slots.refers_to_other(text):
        others = _others(d)
        return others[0] if len(others) == 1 else None
    elliptic = not s.words and (
        slots.refers_to_it(text)
        or _PRICE.search(text)
        or _AVAILABILITY.search(text)
        or _DETAILS.search(text)
        or s.options
        or s.colours
    )
    if elliptic and not s.bounds and not s.audience:
        if focus is not None and (d.prev.get("last") != "search" or len(shown) == 1):
            return focus
        if len(shown) == 1:
            return shown[0]
    return None


def _others(d: Dialogue) -> list[int]:
    """What "the other one" can mean: the other product just listed, else those shown before."""
    focus = d.focus
    others = [p for p in d.shown if p != focus]
    return others or [p for p in d.seen if p != focus]


def _pair(d: Dialogue, text: str, s: Signals) -> tuple[int, int] | None:
    named = s.named
    if len(named) >= 2:
        return named[0], named[1]
    parts = [
        p
        for p in re.split(r"\s*(?:,|\bvs\.?|\bversus\b|\bor\b|\band\b|\bwith\b|\bto\b|\bagainst\b)\s*", normalize(text))
        if p.strip()
    ]
    found: list[int] = []
    for part in parts:
        m = d.vocab.mention(part, within=d.shown)
        if m.product is not None and m.product not in found:
            found.append(m.product)
    if len(found) >= 2:
        return found[0], found[1]
    shown, focus = d.shown, d.focus
    one = found[0] if found else (named[0] if named else s.mention.product)
    if one is not None:
        other = focus if focus not in (None, one) else next((p for p in shown if p != one), None)
        return (other, one) if other is not None else None
    if len(shown) >= 2 and (slots.refers_to_them(text) or not s.words):
        return shown[0], shown[1]
    return None


def _query(text: str, s: Signals, d: Dialogue) -> Query:
    t = normalize(text)
    price_words = ""
    if m := re.search(
        r"\b(under|below|less than|cheaper than|up to|at most|no more than|over|above|more than|"
        r"at least|between|from|around|about)\s+[$€£]?\s*\d[\d.,]*(\s+(and|to|-)\s+[$€£]?\s*\d[\d.,]*)?"
        r"(\s*(dollars|bucks|usd|euros?))?",
        t,
    ):
        price_words = m.group(0)
    # A value that is also a word of titles or tags ("gold" of "gold necklaces") is searched as a word;
    # only values that exist as variants alone ("Medium") filter variants.
    options = [o for o in s.options if not all(stem(w) in d.vocab.known for w in tokens(o))]
    terms = list(s.terms) + [
        stem(w) for o in s.options if o not in options for w in tokens(o) if stem(w) not in s.terms
    ]
    moved = [o.lower() for o in s.options if o not in options]
    asked = " ".join([*moved, s.asked]).strip()
    return Query(
        terms=terms,
        asked=asked,
        price_words=price_words,
        min_price=s.bounds.min_price,
        max_price=s.bounds.max_price,
        category=s.audience,
        options=options,
        in_stock=slots.in_stock(text),
        sale=slots.sale(text),
        sort=slots.sort_order(text),
    )


def _refine(prev: Query, text: str, s: Signals, d: Dialogue) -> Query:
    new = _query(text, s, d)
    q = Query(**{**prev.as_context(), "exclude": []})
    if s.colours:
        q.terms = [t for t in q.terms if t not in COLOURS] + [c for c in s.colours if c not in q.terms]
    q.terms += [t for t in new.terms if t not in q.terms and t not in s.colours]
    if new.options:
        q.options = list(new.options)
    if s.bounds:
        q.min_price, q.max_price, q.price_words = s.bounds.min_price, s.bounds.max_price, new.price_words
    if s.audience:
        q.category = s.audience
    q.in_stock = q.in_stock or new.in_stock
    if s.colours:
        q.asked = " ".join([*(w for w in q.asked.split() if w not in COLOURS), *s.colours])
    return q


#: For the other handlers of product questions (:mod:`core.assistant.builtin.facts`).
target = _target
query = _query
PRICE = _PRICE
COMPARE = _COMPARE
