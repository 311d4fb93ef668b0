"""Questions about one product's facts: who makes it, what it is made of, how big it is,
how to care for it, what is included; and "anything from <brand>?".

Answers quote the store: the vendor field, or the sentences of the product's
own description that the ``product_facts`` tool picked. When the
description says nothing about what was asked, the reply says so and offers
a person; it never guesses.
"""

from __future__ import annotations

import re

from core.assistant.builtin import shopping, slots
from core.assistant.builtin.dialogue import Answer, Dialogue, card_of
from core.assistant.builtin.products import search, which
from core.assistant.builtin.templates import QUICK
from core.assistant.builtin.text import content_words, normalize, stem, tokens
from core.assistant.tools.facts import ATTRIBUTES, attributes_asked

_MAKER = re.compile(
    r"\b(who makes|who made|who manufactures|who designed|who is the (maker|manufacturer|designer|"
    r"brand)|what brand|which brand|what make|which make|what company|which company|"
    r"made by (who|whom)|brand of|maker of|manufacturer of|manufacturer|designer of|vendor)\b",
    re.I,
)
#: "anything from Acme", "do you carry Acme", "products by Acme", "Acme stuff".
_FROM = re.compile(
    r"\b(?:from|by|made by|of the brand|brand)\s+(?:the\s+)?(?:brand\s+|label\s+|maker\s+)?"
    r"([\w&'.-]+(?:\s+[\w&'.-]+){0,3})",
    re.I,
)
_CARRY = re.compile(
    r"\b(?:do you (?:have|carry|sell|stock|got)|have you got|got any|you carry|you sell|"
    r"any)\s+([\w&'.-]+(?:\s+[\w&'.-]+){0,3})",
    re.I,
)
_ASKING = re.compile(
    "|".join(
        [
            _MAKER.pattern,
            *(rf"\b(?:{ask})\b" for ask, _ in ATTRIBUTES.values()),
            r"\b(?:how do i|how should i|how to|tell me|does it|do they|is it|are they)\b",
        ]
    ),
    re.I,
)
#: Words that name the brand itself, not what is wanted from it ("anything from the brand Acme").
_BRAND_WORDS = frozenset({"brand", "brands", "label", "maker", "makers", "manufacturer", "vendor"})
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
    if attributes_too and _OPEN.search(text) and not _NOT_OPEN.search(text) and not slots.sort_order(text):
        return _open(d, text)
    return None


#: A question about a property of one product: "what's the battery life of X?", "is it hard to assemble?",
#: "will it rust?", "how many megapixels is X?" (price, stock, options, lists and comparisons go elsewhere).
_OPEN = re.compile(
    r"^\s*(?:what(?:'s| is| are)?|which|how|is|are|does|do|can|will|would|could|has|have|where)\b"
    r"(?!\s+(?:you|we|i)\b)",
    re.I,
)
_NOT_OPEN = re.compile(
    "|".join(
        [
            shopping.PRICE.pattern,
            shopping.COMPARE.pattern,
            r"\b(in stock|stock|available|availability|sold out|left|remaining|restock|come in|comes in|"
            r"(?:sizes?|colou?rs?|options?|versions?) (?:does|do|is|are|can)|what (?:sizes|colou?rs|options)|"
            r"how many (?:do|are|is|of)\b|how many$|"
            r"(?:do|did) (?:you|we) (?:have|sell|carry|stock)|have you got|how many\?|"
            r"tell me about|describe|look like|recommend|suggest|"
            r"ship|shipping|deliver\w*|return\w*|refund\w*|order|discount|on sale)\b",
        ]
    ),
    re.I,
)


def _open(d: Dialogue, text: str) -> Answer | None:
    """An attribute no fixed kind names, answered with the description's sentences that share the question's
    words; when none does, the reply says the description doesn't say and offers a person."""
    target, _ = _target(d, text, pronoun_first=True)
    if target is None:
        return None
    shown = shopping.read(d, text)
    result = d.tools.product_facts(target, text, [])
    if result is None:
        return None
    option_words = {w for o in shown.options + shown.colours for w in o.lower().split()}
    meant = set(content_words(text))  # not "best", "new", "size", "made" ...: other handlers' words
    asked = [w for w in result.get("asked") or [] if w not in option_words and stem(w) in meant]
    if not asked:
        return None  # only the product's name: its details answer that
    product = result["product"]
    context = {**d.remember([target], target), "last": "details"}
    if result.get("facts"):
        return Answer(
            d.t.render("facts", title=product["title"], facts=" … ".join(result["facts"])),
            "product_details",
            [product],
            list(QUICK["product"]),
            context,
        )
    return Answer(
        d.t.render("facts_none", title=product["title"], attribute=d.own_words(" ".join(asked))),
        "product_details",
        [product],
        list(QUICK["human"]),
        {**context, "offer": "human"},
        answered=False,
    )


_SUBJECT_IT = re.compile(
    r"\b(?:is|are|does|do|can|will|would|could|has|have|was|of)\s+(?:it|they|this|that|this one|"
    r"that one)\b|\b(?:it|they)\s+(?:is|are|has|have|will|can|does|do)\b",
    re.I,
)


def _target(d: Dialogue, text: str, *, pronoun_first: bool = False) -> tuple[int | None, list[int]]:
    """The product asked about, read without the question's own words ("who makes it?" -> "it")."""
    if d.focus is not None and _SUBJECT_IT.search(text) and (pronoun_first or _CONTEXT_ONLY.search(text)):
        return d.focus, []  # "is it hard to assemble?": "it" is the product just discussed, "hard" is no name
    text = _ASKING.sub(" ", text)
    s = shopping.read(d, text)
    target = shopping.target(d, text, s)
    if target is None and not s.mention.words and not s.mention.candidates and d.focus is not None:
        target = d.focus  # "what's it made of?", "can the cover be washed?" about the product just discussed
    return target, (s.mention.candidates if target is None else [])


_CONTEXT_ONLY = re.compile(
    r"^\s*(?:who|what|which|how|is|are|does|do|can|will)\b[^.?!]*\b(?:it|they|this|that)\b"
    r"[\s?.!]*$",
    re.I,
)


def _maker(d: Dialogue, text: str) -> Answer | None:
    target, candidates = _target(d, text)
    if target is None:
        return which(d, candidates, "product_details") if len(candidates) > 1 else None
    info = d.tools.get_product(target)
    if info is None:
        return None
    context = {**d.remember([target], target), "last": "details"}
    if info.get("vendor"):
        return Answer(
            d.t.render("vendor", title=info["title"], vendor=info["vendor"]),
            "product_details",
            [card_of(info)],
            list(QUICK["product"]),
            context,
        )
    return Answer(
        d.t.render("vendor_unknown", title=info["title"]),
        "product_details",
        [card_of(info)],
        list(QUICK["human"]),
        {**context, "offer": "human"},
        answered=False,
    )


def _brand(d: Dialogue, text: str) -> Answer | None:
    """ "Do you have anything from Acme?": the vendor's products, when the phrase is one of the shop's vendors."""
    t = normalize(text).rstrip("?!. ")
    phrases: list[str] = []
    for pattern in (_FROM, _CARRY):
        for m in pattern.finditer(t):
            words = _TAIL.sub("", m.group(1)).split()
            phrases += [" ".join(words[:n]) for n in range(len(words), 0, -1)]
    # The vocabulary knows the shop's vendors: a line that names none asks the database nothing (unless
    # the catalog changed since it was built: a new vendor is asked of the database).
    if not d.vocab.stale and not any(p.strip().lower() in d.vocab.vendors for p in phrases):
        return None
    vendors = d.tools.vendors_named(phrases)
    if not vendors:
        return None
    s = shopping.read(d, text)
    # "partners-demo" is searched as "partners" and "demo": neither is a word of what was asked for.
    vendor_words = {w for v in vendors for w in [*normalize(v).split(), *tokens(normalize(v))]} | _BRAND_WORDS
    q = shopping.query(text, s, d)
    q.terms = [t for t in q.terms if t not in vendor_words and not any(w.startswith(t) for w in vendor_words)]
    q.asked = " ".join(w for w in q.asked.split() if w not in vendor_words)
    q.vendor = vendors[0]
    answer = search(d, q)
    if not answer.cards:
        return Answer(
            d.t.render("vendor_none", asked=vendors[0]),
            "product_search",
            [],
            list(QUICK["human"]),
            answer.context,
            answered=False,
        )
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
        return Answer(
            d.t.render("facts", title=product["title"], facts=" … ".join(found)),
            "product_details",
            [product],
            list(QUICK["product"]),
            context,
        )
    named = d.t.render(f"attribute_{attributes[0]}")
    return Answer(
        d.t.render("facts_none", title=product["title"], attribute=named),
        "product_details",
        [product],
        list(QUICK["human"]),
        {**context, "offer": "human"},
        answered=False,
    )
