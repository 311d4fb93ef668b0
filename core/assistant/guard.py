"""The grounding guard: every figure in a reply must come from this turn's tools.

Prices, stock counts, order numbers, totals and tracking numbers are figures.
A reply may repeat the shopper's own figures ("under $50", "#1001") and any
figure that appears in a tool result of this turn (including how many results
a tool returned). Anything else is treated as invented: the reply is replaced
by a safe one and the trip is recorded. This holds for every engine, so an
LLM that makes a price up is caught in code, not by a prompt.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![A-Za-z\d])")
_TOKEN = re.compile(r"\b[A-Z0-9]*\d[A-Z0-9]{5,}\b")  # tracking numbers, SKUs

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


def figures(text: str) -> set[str]:
    found = {c for c in (_canonical(m) for m in _NUMBER.findall(text)) if c is not None}
    found |= {t for t in _TOKEN.findall(text)}
    return found


def _grounds(results: Any) -> set[str]:
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

    walk(results)
    return allowed


def ungrounded(text: str, tool_calls: list[dict[str, Any]], shopper_text: str) -> list[str]:
    """The figures in ``text`` that neither the tools nor the shopper gave."""
    allowed = _grounds([call.get("result") for call in tool_calls]) | figures(shopper_text)
    # Arguments count only when the engine took them from the shopper's words
    # (the built-in engine); an LLM could otherwise ground a made-up figure by
    # passing it to a tool first.
    allowed |= _grounds(json.loads(json.dumps(
        [call.get("args") for call in tool_calls if call.get("by") != "openai"], default=str)))
    return sorted(f for f in figures(text) if f not in allowed)
