"""The shop's own handoff rules (Settings > Assistant): topics that always go to
a person, and whether a complaint goes to a person at once (the default) or the
assistant answers it first.

Kept in ``shop.settings["assistant"]``: ``handoff_topics`` (words or phrases)
and ``complaints`` (``"handoff"`` or ``"assistant"``). Whatever engine the shop
uses, a line naming a topic (or a complaint, under ``"handoff"``) is answered by
the built-in engine, whose rules hand it over (core/assistant/service.py).
"""

from __future__ import annotations

import re
from typing import Any

from core.assistant.builtin.text import complaint
from core.db import Shop


def _config(shop: Shop) -> dict[str, Any]:
    config = (shop.settings or {}).get("assistant")
    return config if isinstance(config, dict) else {}


def topic(shop: Shop, text: str) -> str | None:
    """The first of the shop's handoff topics ``text`` names (whole words, any case)."""
    topics = _config(shop).get("handoff_topics")
    if not isinstance(topics, list):
        return None
    for name in topics:
        if isinstance(name, str) and name.strip():
            words = r"\s+".join(re.escape(w) for w in name.split())
            if re.search(rf"(?<!\w){words}(?!\w)", text, re.I):
                return name.strip()
    return None


def complaints_to_person(shop: Shop) -> bool:
    return _config(shop).get("complaints") != "assistant"


def rules_answer(shop: Shop, text: str) -> bool:
    """True when the shop's rules hand this line to a person (the built-in engine's rules answer it)."""
    return topic(shop, text) is not None or (complaints_to_person(shop) and complaint(text) is not None)
