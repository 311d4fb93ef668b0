"""Store-content answers: shipping, returns, policies, contact and hours.

A question is matched to a topic, which says what to ask the knowledge tool
and what a passage must mention to count as an answer (a passage about
refunds is no answer to "which payment methods do you take?"). The reply
quotes the passage as the page says it, tidied for a chat bubble (Markdown
emphasis and table rules dropped, hard-wrapped lines joined), and links the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.assistant.builtin.dialogue import Answer, Dialogue
from core.assistant.builtin.templates import QUICK
from core.assistant.builtin.text import content_words

_COUNTRIES = (
    r"canada|mexico|uk|u\.k\.|united kingdom|england|britain|ireland|eu|europe|european union|germany|"
    r"france|spain|italy|netherlands|australia|new zealand|japan|china|india|brazil|"
    r"abroad|overseas|international(ly)?|worldwide|outside (the )?(us|usa|united states)|other countries"
)


@dataclass(frozen=True)
class Topic:
    name: str
    pattern: re.Pattern[str]
    #: What to ask the knowledge tool.
    query: str
    #: A passage must contain one of these (lowercase) to answer the question.
    evidence: tuple[str, ...]
    #: "contact" for contact details and hours; "store_info" otherwise.
    intent: str = "store_info"


def _t(name: str, pattern: str, query: str, evidence: tuple[str, ...], intent: str = "store_info") -> Topic:
    return Topic(name, re.compile(pattern, re.I), query, evidence, intent)


#: Most specific first: the first topic that matches answers.
TOPICS: tuple[Topic, ...] = (
    _t(
        "damaged_policy",
        r"\b(damaged|broken|defective|faulty)\b",
        "arrived damaged replacement photo",
        ("damaged", "replacement"),
    ),
    _t("po_box", r"\bp\.?\s?o\.?\s?box", "PO box", ("po box",)),
    _t("duties", r"\b(duties|duty|customs|import tax(es)?|vat)\b", "duties import taxes", ("dut", "tax")),
    _t("international", rf"\b({_COUNTRIES})\b", "international ship", ("ship to", "we ship", "countries", "worldwide")),
    _t(
        "return_cost",
        r"\b(return shipping|free returns?|cost to return|pay for (the )?returns?|returns? (are|is) free|"
        r"return label)\b",
        "return shipping free cost label",
        ("return shipping", "label"),
    ),
    _t(
        "how_to_return",
        r"\bhow (do|can|would|should) (i|we) (return|send)\b|\bhow to return\b|\breturn process\b|"
        r"\bstart a return\b|\bsend (it|them|something|an item) back\b",
        "how to return label email",
        ("return",),
    ),
    _t(
        "refund_time",
        r"\brefunds?\b.*\b(how long|when|take|days)\b|\b(how long|when)\b.*\brefunds?\b",
        "refund business days receiving",
        ("refund",),
    ),
    _t(
        "final_sale",
        r"\bfinal sale\b|\bsale items?\b.*\breturn|\breturn\b.*\bsale items?\b",
        "final sale items returned",
        ("final sale",),
    ),
    _t(
        "exchange",
        r"\b(exchange|exchanges|swap|different size|another size|wrong size|different colou?r)\b",
        "exchanges different size colour",
        ("exchange", "different size"),
    ),
    _t(
        "returns",
        r"\b(return|returns|returning|refund|refunds|money back)\b|\bsend (it )?back\b",
        "return policy within days refund",
        ("return", "refund"),
    ),
    _t("free_shipping", r"\bfree (shipping|delivery|postage)\b|\bship(ping)? for free\b", "free shipping", ("free",)),
    _t(
        "shipping_cost",
        r"\b(shipping|delivery|postage|ship)\b.*\b(cost|costs|price|fee|fees|charge|rates?|how much)\b"
        r"|\b(how much|cost|price|fee|rates?)\b.*\b(shipping|delivery|postage|ship)\b",
        "shipping rates cost",
        ("$", "cost", "rate", "free", "fee"),
    ),
    _t(
        "express",
        r"\b(express|overnight|next day|expedited|faster shipping|fast shipping|rush)\b",
        "express overnight shipping delivery",
        ("express", "overnight"),
    ),
    _t(
        "delivery_time",
        r"\bhow (long|fast|quickly|soon)\b.*\b(ship|shipping|deliver|delivery|arrive|take|get)\b"
        r"|\bdelivery times?\b|\bshipping times?\b|\bwhen will (it|i get|my)\b|\bhow many days\b",
        "delivery time business days",
        ("day",),
    ),
    _t(
        "dispatch",
        r"\b(dispatch|dispatched|same day|processing time|ship out|ships? from|warehouse|cut-?off|"
        r"when (do|does|will) (you|orders?|it|items?|things) (ship|leave|go out|get sent|send))\b",
        "orders placed leave same day warehouse",
        ("same day", "leave", "warehouse"),
    ),
    _t("tracking", r"\b(tracking|track)\b", "tracking number carrier", ("track",)),
    _t(
        "hours",
        r"\b(hours|opening times|open|closed|business days?|weekends?|saturday|sunday|holidays?)\b",
        "support hours monday friday",
        ("hour", "monday", "open"),
        "contact",
    ),
    _t(
        "visit",
        r"\b(visit|showroom|in person|physical (store|shop|location)|brick and mortar|pick ?up|"
        r"collect in store|store (near|location)|shop (near|location))\b",
        "visit store showroom in person pick up",
        ("visit", "showroom", "in person", "pick up", "pickup"),
        "contact",
    ),
    _t(
        "address",
        r"(?<!email )(?<!e-mail )\b(address|located|location|where are you|headquarters|based|"
        r"visit (you|your store))\b",
        "mailing address",
        ("address",),
        "contact",
    ),
    _t(
        "contact",
        r"\b(contact|get in touch|reach (you|someone|the team)|phone|call (you|us)|telephone|"
        r"email (you|address)|your email|e-mail|support email|customer service|customer support)\b",
        "contact email phone",
        ("email", "phone", "@"),
        "contact",
    ),
    _t(
        "payment",
        r"\b(payment|payments|pay with|pay by|pay using|paypal|credit card|debit card|apple pay|"
        r"google pay|klarna|afterpay|installments?|accept (cards|visa|amex|mastercard))\b",
        "payment methods accept credit card paypal",
        ("accept", "paypal", "visa", "mastercard", "credit card"),
    ),
    _t(
        "cancel",
        r"\b(cancel|change my order|modify my order|change (the |my )?(shipping )?address)\b",
        "cancel change order",
        ("cancel",),
    ),
    _t("warranty", r"\b(warranty|guarantee|guaranteed)\b", "warranty guarantee", ("warrant", "guarantee")),
    _t(
        "size_guide",
        r"\b(size guide|size chart|sizing|measurements?|what size should|fit guide|true to size)\b",
        "size guide chart measurements",
        ("size guide", "size chart", "measure"),
    ),
    _t(
        "discount_code",
        r"\b(discount code|promo code|coupon|voucher|promo|student discount|gift cards?)\b",
        "discount code coupon gift card",
        ("code", "coupon", "gift card", "voucher"),
    ),
    _t(
        "shipping",
        r"\b(shipping|ship|deliver|delivery|postage|courier|carrier)\b",
        "shipping delivery",
        ("ship", "deliver"),
    ),
)


def topics(text: str) -> list[Topic]:
    return [t for t in TOPICS if t.pattern.search(text)]


def answer(d: Dialogue, found: list[Topic], text: str) -> Answer:
    """The passage(s) answering the first one or two topics."""
    passages: list[dict[str, Any]] = []
    for topic in found[:2]:
        if passages and (topic.intent != "contact" or found[0].intent != "contact"):
            break  # a second passage only for contact details asked together ("hours and phone?")
        query, hit = topic.query, None
        if topic.name == "international":
            country = re.search(rf"\b({_COUNTRIES})\b", text, re.I)
            if country:  # the passage that names the country (a list of the countries served), else the policy
                hit = _best(d, country.group(0), (country.group(0).lower(),))
                query = f"{query} {country.group(0)}"
        hit = hit or _best(d, query, topic.evidence)
        if hit and all(hit["passage"] != p["passage"] for p in passages):
            passages.append(hit)
        if not passages:
            break
    if not passages:
        return Answer(
            d.t.render("knowledge_none"), found[0].intent, [], list(QUICK["human"]), {"offer": "human"}, answered=False
        )
    return Answer(_render(d, passages), found[0].intent)


def fallback(d: Dialogue, text: str) -> Answer | None:
    """A passage for a store question no topic covers, when it clearly matches the shopper's words."""
    words = content_words(text)
    if not words:
        return None
    for hit in d.tools.search_knowledge(" ".join(words)):
        body = hit["passage"].lower()
        matched = [w for w in words if w[:5] in body]
        if len(matched) >= max(1, round(0.6 * len(words))):
            return Answer(_render(d, [hit]), "store_info")
    return None


def _best(d: Dialogue, query: str, evidence: tuple[str, ...]) -> dict[str, Any] | None:
    for hit in d.tools.search_knowledge(query):
        if any(e in hit["passage"].lower() for e in evidence):
            return hit
    return None


def _render(d: Dialogue, hits: list[dict[str, Any]]) -> str:
    pages: dict[str, list[dict[str, Any]]] = {}
    for hit in hits:
        pages.setdefault(hit["url"], []).append(hit)
    return "\n\n".join(
        d.t.render("knowledge", title=same[0]["title"], url=url, passage="\n".join(tidy(h["passage"]) for h in same))
        for url, same in pages.items()
    )


_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_ITEM = re.compile(r"^(\||[-*+]\s|\d+[.)]\s)")


def tidy(passage: str) -> str:
    """The passage with its words unchanged: emphasis marks and table rules dropped, wrapped lines joined."""
    lines: list[str] = []
    for raw in passage.replace("**", "").replace("__", "").splitlines():
        line = raw.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        if "|" in line and line.endswith("|"):
            lead, _, row = line.partition("|")
            cells = [c.strip() for c in row.strip("|").split("|")]
            lines.append(lead + " \u00b7 ".join(c for c in cells if c))
            continue
        if (
            lines
            and not _ITEM.match(line)
            and not _ITEM.match(raw.lstrip())
            and not lines[-1].endswith(":")
            and " \u00b7 " not in lines[-1]
        ):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return "\n".join(lines)
