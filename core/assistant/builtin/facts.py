"""Questions about one product's facts: who makes it, what it is made of, how big it is,
how to care for it, what is included; and "anything from <brand>?".

Answers quote the store: the vendor field, or the sentences of the product's
own description that the ``product_facts`` tool picked. When the
description says nothing about what was asked, the reply says so and offers
a person; it never guesses.
"""
from __future__ import annotations

import re

from core.assistant.builtin import shopping
from core.assistant.builtin.dialogue import Answer, Dialogue, card_of
from core.assistant.builtin.products import search, which
from core.assistant.builtin.templates import QUICK
from core.assistant.builtin.text import normalize
from core.assistant.tools.facts import ATTRIBUTES, attributes_asked

_MAKER = re.compile(r"\b(who makes|who made|who manufactures|who designed|who is the (maker|manufacturer|designer|"
                    r"brand)|what brand|which brand|what make|which make|what company|which company|"
                    r"made by (who|whom)|brand of|maker of|manufacturer of|manufacturer|designer of|vendor)\b", re.I)
#: "anything from Acme", "do you carry Acme", "products by Acme", "Acme stuff".
_FROM = re.compile(r"\b(?:from|by|made by|of the brand|brand)\s+([\w&'.-]+(?:\s+[\w&'.-]+){0,3})", re.I)
_CARRY = re.compile(r"\b(?:do you (?:have|carry|sell|stock|got)|have you got|got any|you carry|you sell|"
                    r"any)\s+([\w&'.-]+(?:\s+[\w&'.-]+){0,3})", re.I)
_ASKING = re.compile("|".join([_MAKER.pattern, *(rf"\b(?:{ask})\b" for ask, _ in ATTRIBUTES.values()),
                               r"\b(?:how do i|how should i|how to|tell me|does it|do they|is it|are they)\b"]),
                     re.I)
_TAIL = re.compile(r"\s+(?:products?|items?|stuff|things?|brand|anything|please|at all|in stock)$", re.I)


def route(d: Dialogue, text: str, *, attributes_too: bool = True) -> Answer | None:
    """A maker, brand or attribute answer, or None when ``text`` is none of these."""
    if _MAKER.search(text):
        answer = _maker(d, text)
        if answer is not None:
            return answer
    if (brand := _brand(d, text)) is not None:
        return brand
    attributes = attributes_asked(text) if attributes_too else []
    if attributes:
        return _attributes(d, text, attributes)
    return None


def _target(d: Dialogue, text: str) -> tuple[int | None, list[int]]:
    """The product asked about, read without the question's own words ("who makes it?" -> "it")."""
    text = _ASKING.sub(" ", text)
    s = shopping.read(d, text)
    target = shopping.target(d, text, s)
    if target is None and not s.words and not s.mention.candidates and d.focus is not None:
        target = d.focus  # "what's it made of?" about the product just discussed
    return target, (s.mention.candidates if target is None else [])


def _maker(d: Dialogue, text: str) -> Answer | None:
    target, candidates = _target(d, text)
    if target is None:
        return which(d, candidates, "product_details") if len(candidates) > 1 else None
    info = d.tools.get_product(target)
    if info is None:
        return None
    context = {**d.remember([target], target), "last": "details"}
    if info.get("vendor"):
        return Answer(d.t.render("vendor", title=info["title"], vendor=info["vendor"]), "product_details",
                      [card_of(info)], list(QUICK["product"]), context)
    return Answer(d.t.render("vendor_unknown", title=info["title"]), "product_details", [card_of(info)],
                  list(QUICK["human"]), {**context, "offer": "human"}, answered=False)


def _brand(d: Dialogue, text: str) -> Answer | None:
    """"Do you have anything from Acme?": the vendor's products, when the phrase is one of the shop's vendors."""
    t = normalize(text).rstrip("?!. ")
    phrases: list[str] = []
    for pattern in (_FROM, _CARRY):
        for m in pattern.finditer(t):
            words = _TAIL.sub("", m.group(1)).split()
            phrases += [" ".join(words[:n]) for n in range(len(words), 0, -1)]
    if not phrases:
        return None
    vendors = d.tools.vendors_named(phrases)
    if not vendors:
        return None
    s = shopping.read(d, text)
    vendor_words = {w for v in vendors for w in normalize(v).split()}
    q = shopping.query(text, s, d)
    q.terms = [t for t in q.terms if t not in vendor_words and not any(w.startswith(t) for w in vendor_words)]
    q.asked = " ".join(w for w in q.asked.split() if w not in vendor_words)
    q.vendor = vendors[0]
    answer = search(d, q)
    if not answer.cards:
        return Answer(d.t.render("vendor_none", asked=vendors[0]), "product_search", [], list(QUICK["human"]),
                      answer.context, answered=False)
    return answer


def _attributes(d: Dialogue, text: str, attributes: list[str]) -> Answer | None:
    target, candidates = _target(d, text)
    if target is None:
        if len(candidates) > 1:
            return which(d, candidates, "product_details")
        return None
    result = d.tools.product_facts(target, text, attributes)
    if result is None:
        return None
    product = result["product"]
    context = {**d.remember([target], target), "last": "details"}
    found = result.get("facts") or []
    if found:
        return Answer(d.t.render("facts", title=product["title"], facts=" … ".join(found)), "product_details",
                      [product], list(QUICK["product"]), context)
    named = d.t.render(f"attribute_{attributes[0]}")
    return Answer(d.t.render("facts_none", title=product["title"], attribute=named), "product_details", [product],
                  list(QUICK["human"]), {**context, "offer": "human"}, answered=False)
