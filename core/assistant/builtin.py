"""The built-in engine: offline, deterministic, grounded in the catalog.

v0 recognises greetings and thanks and answers everything else as a product
question from the search tool. Every fact in a reply (name, price,
availability) comes from this turn's tool results; when nothing matches it
says so plainly instead of guessing.
"""
from __future__ import annotations

import re
from typing import Any

from core.assistant.engine import Reply, Turn
from core.assistant.money import format_price_range
from core.assistant.tools import Tools
from core.catalog.search import parse_query

_GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|howdy)\b[\s!.,]*$", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers|great,? thanks)\b.*$", re.I)
MAX_CARDS = 3


class BuiltinEngine:
    name = "builtin"

    def reply(self, turn: Turn, tools: Tools) -> Reply:
        text = turn.text.strip()
        if _GREETING.match(text):
            return Reply("Hi! I can help you find products, check prices and stock. What are you looking for?",
                         intent="greeting", engine=self.name)
        if _THANKS.match(text):
            return Reply("You're welcome! Anything else I can help you find?", intent="thanks", engine=self.name)
        cards = tools.search_products(text, limit=MAX_CARDS)
        return Reply(_describe(text, cards), cards=cards, intent="product_search" if cards else "unknown",
                     engine=self.name)


def _describe(question: str, cards: list[dict[str, Any]]) -> str:
    if not cards:
        asked = " ".join(parse_query(question)) or question.strip()
        return (
            f"Sorry, I couldn't find anything matching “{asked[:80]}” in our catalog. "
            "Could you describe it another way?"
        )
    terms = parse_query(question)
    exact = [c for c in cards if _covers(c["title"], terms)]
    if len(exact) == 1:
        return f"Yes! We have the {_line(exact[0])}." + _also(cards, exact[0])
    if len(exact) > 1:
        listed = "; ".join(_line(c) for c in exact)
        return f"We have {len(exact)} that match: {listed}."
    listed = "; ".join(_line(c) for c in cards)
    return f"I found no exact match, but these come close: {listed}."


def _line(card: dict[str, Any]) -> str:
    state = "in stock" if card["available"] else "currently sold out"
    return f"{card['title']} for {format_price_range(card['price'], card['price_max'], card['currency'])}, {state}"


def _also(cards: list[dict[str, Any]], shown: dict[str, Any]) -> str:
    others = [c["title"] for c in cards if c is not shown]
    if not others:
        return ""
    return f" You might also like the {' and the '.join(others)}."


def _covers(title: str, terms: list[str]) -> bool:
    """Whether every searched word (or its stem) appears in the title."""
    words = parse_query(title)
    return bool(terms) and all(any(_same_word(t, w) for w in words) for t in terms)


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 3
