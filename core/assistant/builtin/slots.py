"""Slots: the values a question carries (prices, order numbers, emails, references).

Numbers found here come from the shopper's own text, so a reply may repeat
them; the grounding guard allows that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.assistant.builtin.text import normalize

_NUM = r"(\d+(?:[.,]\d{1,2})?)"
_CUR = r"(?:\$|€|£|us\$|ca\$)?\s*"
_UNIT = r"\s*(?:dollars?|bucks?|usd|eur|euros?|gbp|pounds?)?"
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_CUR}{_NUM}{_UNIT}\s+(?:and|to|-)\s+{_CUR}{_NUM}{_UNIT}")
_RANGE = re.compile(rf"{_CUR}{_NUM}{_UNIT}\s*(?:-|–|to)\s*{_CUR}{_NUM}{_UNIT}")
_MAX_STRICT = re.compile(rf"\b(?:under|below|less than|cheaper than|lower than|beneath|within)\s+{_CUR}{_NUM}")
_MAX_INCL = re.compile(
    rf"\b(?:up to|max(?:imum)?|at most|no more than|not more than|budget(?: is| of)?|"
    rf"maximum of|tops)\s+(?:of\s+)?{_CUR}{_NUM}"
    rf"|{_CUR}{_NUM}{_UNIT}\s+(?:or less|max|tops|or under)"
)
_MIN_STRICT = re.compile(rf"\b(?:over|above|more than|greater than|higher than|pricier than)\s+{_CUR}{_NUM}")
_MIN_INCL = re.compile(
    rf"\b(?:at least|min(?:imum)?|starting at|from)\s+{_CUR}{_NUM}"
    rf"|{_CUR}{_NUM}{_UNIT}\s+(?:or more|and up|plus|\+)"
)
_AROUND = re.compile(rf"\b(?:around|about|roughly|approximately|approx\.?|near|close to|~)\s+{_CUR}{_NUM}")
#: A bare amount with a currency sign: "anything for $40?"
_AMOUNT = re.compile(r"(?:\$|€|£)\s*(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s*(?:dollars?|bucks|usd|euros?)\b")

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ORDER_REF = re.compile(
    r"(?:#\s?(\d{3,12})\b)"
    r"|(?:\border\s*(?:number|no\.?|num|nr\.?|id|ref(?:erence)?)?\s*(?:is|was|:)?\s*#?\s*(\d{3,12})\b)"
    r"|(?:\b(?:number|no\.?|nr\.?)\s*:?\s*#?\s*(\d{3,12})\b)",
    re.I,
)
_BARE_NUMBER = re.compile(r"^\s*(?:it'?s\s+|its\s+|it is\s+)?#?\s*(\d{3,12})[\s.!]*$", re.I)
_PRICE_TALK = re.compile(r"[$€£]|\b(dollars?|bucks|euros?|under|over|below|above|between|price|cost|size)\b", re.I)
_ANY_NUMBER = re.compile(r"(?<![\d.$€£])\b(\d{3,12})\b(?![.,]\d)")


@dataclass
class PriceBounds:
    min_price: float | None = None
    max_price: float | None = None

    def __bool__(self) -> bool:
        return self.min_price is not None or self.max_price is not None


def _f(raw: str) -> float:
    return float(raw.replace(",", "."))


def prices(text: str) -> PriceBounds:
    """Price bounds in ``text``: "under $50" (strictly less), "up to 50", "between 20 and 40", "over 100"."""
    t = normalize(text)
    if m := _BETWEEN.search(t) or _RANGE.search(t):
        low, high = sorted((_f(m.group(1)), _f(m.group(2))))
        return PriceBounds(low, high)
    bounds = PriceBounds()
    if m := _MAX_STRICT.search(t):
        bounds.max_price = round(_f(m.group(1)) - 0.01, 2)
    elif m := _MAX_INCL.search(t):
        bounds.max_price = _f(m.group(1) or m.group(2))
    if m := _MIN_STRICT.search(t):
        bounds.min_price = round(_f(m.group(1)) + 0.01, 2)
    elif m := _MIN_INCL.search(t):
        bounds.min_price = _f(m.group(1) or m.group(2))
    if not bounds and (m := _AROUND.search(t)):
        value = _f(m.group(1))
        return PriceBounds(round(value * 0.8, 2), round(value * 1.2, 2))
    return bounds


def amount(text: str) -> float | None:
    """A bare amount with a currency ("$40"), for "anything for $40?"."""
    m = _AMOUNT.search(normalize(text))
    return _f(m.group(1) or m.group(2)) if m else None


def email(text: str) -> str | None:
    m = _EMAIL.search(text)
    return m.group(0).strip(".'") if m else None


def order_reference(text: str, *, expecting: bool = False) -> str | None:
    """An order number: "#1001", "order 1001", "order number: 1001"; a bare "1001" only when one is expected."""
    without_emails = _EMAIL.sub(" ", text)
    m = _ORDER_REF.search(without_emails)
    if m:
        return "#" + next(g for g in m.groups() if g)
    if m := _BARE_NUMBER.match(without_emails):
        return "#" + m.group(1)
    if (
        expecting
        and not _PRICE_TALK.search(without_emails)
        and len(without_emails.split()) <= 8
        and (m := _ANY_NUMBER.search(without_emails))
    ):
        return "#" + m.group(1)
    return None


_IN_STOCK = re.compile(r"\b(in stock|in-stock|available now|available today|ready to ship|not sold out)\b", re.I)
_SALE = re.compile(
    r"\b(on sale|sale items?|discounted|reduced|clearance|markdowns?|deals?|offers?|"
    r"what'?s on sale|any sales?|bargains?)\b",
    re.I,
)
_CHEAPEST = re.compile(
    r"\b(cheapest|least expensive|lowest[- ]price[d]?|most affordable|budget|cheap|inexpensive|"
    r"affordable|lowest cost|costs? the least|least money)\b",
    re.I,
)
_PRICIEST = re.compile(
    r"\b(most expensive|priciest|highest[- ]price[d]?|premium|luxury|high[- ]end|fanciest|"
    r"most costly|dearest|top[- ]of[- ]the[- ]range|costs? the most|the most money)\b",
    re.I,
)
_NEWEST = re.compile(
    r"\b(newest|latest|new arrivals?|newly (arrived|added)|just (arrived|in|landed)|"
    r"most recent|recently added|what'?s new|anything new|new in|new products?|new stuff|"
    r"new this (week|month|season))\b",
    re.I,
)
_BEST_VALUE = re.compile(
    r"\b(best[- ]value|best bang for (the|my|your) buck|most bang for|value for money|"
    r"best deal|best price per|cheapest per|lowest price per)\b",
    re.I,
)
_CHEAPER = re.compile(
    r"\b(cheaper|less expensive|lower price|more affordable|something cheaper|"
    r"anything cheaper|cheaper ones?|cheaper options?)\b",
    re.I,
)
_MORE = re.compile(
    r"^\s*(show (me )?more|more( please)?|what else|anything else\??|other options|others|"
    r"more options|see more|next)[\s?!.]*$",
    re.I,
)


def in_stock(text: str) -> bool:
    return bool(_IN_STOCK.search(text))


def sale(text: str) -> bool:
    return bool(_SALE.search(text)) and not re.search(r"\b(final sale|discount code|promo|coupon)\b", text, re.I)


def sort_order(text: str) -> str | None:
    """The ranking asked for (:data:`core.catalog.ranking.SORTS`): "the priciest", "cheapest", "newest", ..."""
    if _BEST_VALUE.search(text):
        return "best_value"
    if _PRICIEST.search(text):
        return "price_desc"
    if _CHEAPEST.search(text):
        return "price_asc"
    if _NEWEST.search(text):
        return "newest"
    return None


_COUNT = re.compile(
    r"\b(how many|quantity|quantities|how much stock|how much inventory|any left|units? left|"
    r"left in stock|remaining|how many (are )?left|stock (level|count)s?)\b",
    re.I,
)


def asks_count(text: str) -> bool:
    """ "How many do you have left?": a question about the stock count, not just availability."""
    return bool(_COUNT.search(text))


def wants_cheaper(text: str) -> bool:
    return bool(_CHEAPER.search(text))


def wants_more(text: str) -> bool:
    return bool(_MORE.match(text))


_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b(?:\s+(?:one|item|"
    r"product|option))?",
    re.I,
)
_OTHER = re.compile(r"\b(the other( one)?|other one|the others?|another one)\b", re.I)
_IT = re.compile(r"\b(it|this|that|this one|that one|the one|this item|that item|this product|that product)\b", re.I)
_THEM = re.compile(r"\b(them|these|those|both|the two|these two|those two|the first two|both of them)\b", re.I)


def ordinal(text: str) -> int | None:
    """Which of the listed products: "the second one" -> 1, "the last one" -> -1."""
    m = _ORDINAL.search(text)
    if not m or re.search(r"\bfirst two\b", text, re.I):
        return None
    return _ORDINALS[m.group(1).lower()]


def refers_to_other(text: str) -> bool:
    return bool(_OTHER.search(text))


def refers_to_it(text: str) -> bool:
    return bool(_IT.search(text))


def refers_to_them(text: str) -> bool:
    return bool(_THEM.search(text))
