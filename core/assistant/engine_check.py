""" "Test this engine": three shopper questions through an engine, as a shopper's
line goes (the engine with the shop's tools, then the grounding guard), with
nothing stored. The admin's assistant page runs it on the settings not yet
saved, so a merchant sees an endpoint, model or key work before choosing it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.assistant import guard
from core.assistant.engine import Engine, Turn
from core.assistant.tools import Tools
from core.catalog import shelf
from core.db import Event, Product, Shop

#: A turn may take at most this long here: the merchant is waiting on the page.
MAX_SECONDS = 15.0


@dataclass
class Answer:
    question: str
    text: str
    engine: str
    seconds: float
    tools: list[str] = field(default_factory=list)
    #: Why the OpenAI-compatible engine gave way to the built-in one, if it did.
    fallback: str | None = None
    #: The figures the grounding guard found no source for (the shopper would get the safe reply).
    ungrounded: list[str] = field(default_factory=list)


def questions(session: Session, shop: Shop) -> list[str]:
    """Three questions a shopper of this shop might ask: its catalog, one product, a policy."""
    title = session.scalar(shelf.products(shop.id, Product.title).order_by(Product.id).limit(1))
    return [
        "What do you sell?",
        f"Do you have the {title}? How much is it?" if title else "Do you have anything on sale?",
        "What is your returns policy?",
    ]


def engine_for(config: dict[str, Any]) -> Engine:
    """The engine ``config`` (an ``assistant`` settings dict, key readable) asks for."""
    from core.assistant.builtin import BuiltinEngine

    if config.get("engine") == "openai":
        from core.assistant.openai_engine import OpenAIEngine

        timed = {**config, "timeout": min(float(config.get("timeout") or MAX_SECONDS), MAX_SECONDS)}
        return OpenAIEngine(timed, fallback=BuiltinEngine())
    return BuiltinEngine()


def run(session: Session, shop: Shop, config: dict[str, Any]) -> list[Answer]:
    """The three answers; everything the turns wrote to ``session`` is rolled back."""
    engine = engine_for(config)
    answers = []
    try:
        for question in questions(session, shop):
            started = time.monotonic()
            tools = Tools(session, shop, None)
            reply = engine.reply(Turn(shop=shop, conversation_id=0, text=question), tools)
            fallback = next((e.data for e in session.new if isinstance(e, Event) and e.kind == "llm_fallback"), None)
            answers.append(
                Answer(
                    question=question,
                    text=reply.text,
                    engine=reply.engine or "builtin",
                    seconds=round(time.monotonic() - started, 2),
                    tools=[c["tool"] for c in tools.calls],
                    fallback=(
                        f"{fallback.get('reason')}: {fallback.get('detail') or ''}".strip(": ") if fallback else None
                    ),
                    ungrounded=guard.ungrounded(reply.text, tools.calls, question),
                )
            )
            session.rollback()
    finally:
        session.rollback()
    return answers
