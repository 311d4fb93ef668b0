"""The grounding guard: every figure in a reply must come from this turn's tools.

Prices, stock counts, order numbers, totals and tracking numbers are figures.
A reply may repeat the shopper's own figures ("under $50", "#1001") and any
figure that appears in a tool result of this turn (including how many results
a tool returned). Anything else is treated as invented: the reply is replaced
by a safe one and the trip is recorded. This holds for every engine, so an
LLM that makes a price up is caught in code, not by a prompt.

Figures are read in the reply's language: "19,99 €" and "1.234,50 €" are
19.99 and 1234.5 in Spanish, French, German, Portuguese and Italian (the
decimal comma of ``core/widget/i18n.py`` ``NUMBERS``), "$1,234.50" is 1234.5 in
English. What grounds a figure (tool results, the shopper's text) is read both
ways, since a store's pages and the shopper may write either.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from core.widget.i18n import NUMBERS

_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![A-Za-z\d])")
_TOKEN = re.compile(r"\b[A-Z0-9]*\d[A-Z0-9]{5,}\b")  # tracking numbers, SKUs
#: Decimal comma: "1.234,50", "1\u202f234,50", "19,99".
_NUMBER_COMMA = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[.\u202f\u00a0]\d{3})+(?:,\d+)?(?![\w\d])"
    r"|(?<![\w.,])\d+(?:,\d+)?(?![\w\d])"
)
_ANY_NUMBER = re.compile(r"(?<![\w.,])\d(?:[\d.,\u202f\u00a0]*\d)?(?![A-Za-z\d])")
#: Languages that write a decimal comma.
COMMA_DECIMAL = frozenset(lang for lang, (decimal, _, _) in NUMBERS.items() if decimal == ",")

SAFE_TEXT = (
    "Sorry, I couldn't double-check that answer against the store's data. "
    "Would you like me to connect you with someone from the team?"
)


def _canonical(raw: str) -> str | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    value = value.normalize()
    return format(value, "f") if value == value.to_integral() else format(value, "f").rstrip("0")


def _canonical_comma(raw: str) -> str | None:
    return _canonical(raw.replace(".", "").replace("\u202f", "").replace("\u00a0", "").replace(",", "."))


def _readings(text: str) -> set[str]:
    """Every number of ``text`` read both ways ("1.234" as 1.234 and as 1234)."""
    found: set[str] = set()
    for token in _ANY_NUMBER.findall(text):
        found |= {c for c in (_canonical(token), _canonical_comma(token)) if c is not None}
    return found


def figures(text: str, language: str = "en") -> set[str]:
    """The figures of ``text`` as canonical numbers ("19.99", "1234.5") and tracking-like tokens."""
    if language in COMMA_DECIMAL:
        found = {c for c in (_canonical_comma(m) for m in _NUMBER_COMMA.findall(text)) if c is not None}
    else:
        found = {c for c in (_canonical(m) for m in _NUMBER.findall(text)) if c is not None}
    found |= {t for t in _TOKEN.findall(text)}
    return found


def _grounds(results: Any, language: str = "en") -> set[str]:
    allowed: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            allowed.add(str(len(value)))
            for item in value:
                walk(item)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, (int, float, Decimal)):
            c = _canonical(str(value))
            if c is not None:
                allowed.add(c)
        else:
            allowed.update(figures(str(value)))
            if language in COMMA_DECIMAL:
                allowed.update(_readings(str(value)))

    walk(results)
    return allowed


def ungrounded(text: str, tool_calls: list[dict[str, Any]], shopper_text: str, language: str = "en") -> list[str]:
    """The figures in ``text`` (written in ``language``) that neither the tools nor the shopper gave."""
    allowed = _grounds([call.get("result") for call in tool_calls], language) | _grounds(shopper_text, language)
    # Arguments count only when the engine took them from the shopper's words
    # (the built-in engine); an LLM could otherwise ground a made-up figure by
    # passing it to a tool first.
    allowed |= _grounds(
        json.loads(json.dumps([call.get("args") for call in tool_calls if call.get("by") != "openai"], default=str)),
        language,
    )
    if language not in COMMA_DECIMAL:
        return sorted(f for f in figures(text) if f not in allowed)
    # A reply in a decimal-comma language may still quote a page or a model's "$1,234.50": a figure
    # passes when either reading of it is grounded ("19,98" is neither 1998 nor 19.98 of a tool).
    tripped = set()
    for token in _ANY_NUMBER.findall(text):
        readings = {c for c in (_canonical(token), _canonical_comma(token)) if c is not None}
        if readings and not readings & allowed:
            tripped.add(_canonical_comma(token) or token)
    tripped |= {t for t in _TOKEN.findall(text) if t not in allowed}
    return sorted(tripped)
