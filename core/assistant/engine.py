"""What an assistant engine is: a turn in, a reply out.

Engines are swappable (built-in, OpenAI-compatible): a Protocol plus a
resolver from the shop's settings. Every engine answers only from the tool
results of the current turn, which the reply records for audit; the
grounding guard (guard.py) checks that in code, whatever the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from core.assistant.tools import Tools
    from core.db import Shop


@dataclass
class Reply:
    text: str
    #: Product cards, straight from tool results.
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    #: What the engine recognised (for evaluation and analytics).
    intent: str | None = None
    #: State the next turn needs ("it", "the other one", a pending order
    #: dialogue); handed back in ``Turn.context``.
    context: dict[str, Any] = field(default_factory=dict)
    #: Set when the conversation should go to a human, with the reason.
    handoff: str | None = None
    #: ``{"prompt_tokens": n, "completion_tokens": n}`` for LLM engines.
    usage: dict[str, int] = field(default_factory=dict)
    engine: str = ""
    #: The language the reply is written in ("en", "es" ...), when the engine knows it.
    language: str | None = None


@dataclass(frozen=True)
class Turn:
    shop: Shop
    conversation_id: int
    #: The shopper's text this turn (a burst of lines is joined).
    text: str
    #: Earlier messages, oldest first: ``[(author, text), ...]``.
    history: list[tuple[str, str]] = field(default_factory=list)
    #: ``Reply.context`` of the previous assistant reply in this conversation.
    context: dict[str, Any] = field(default_factory=dict)
    #: Assistant replies in a row that did not answer (no result, no grounding).
    unanswered_streak: int = 0
    #: Receives partial text as an engine produces it (streaming engines).
    stream: Callable[[str], None] | None = None


class Engine(Protocol):
    name: str
    #: Whether the engine waits on something outside the process between its tool calls (a model thinks
    #: for seconds): the reply service then gives the database connection back after each call
    #: (``Tools.release``). An engine that does nothing between them but compute keeps one transaction
    #: for the whole reply (its tools' own waits, a platform's order lookup, held it before too).
    waits: bool

    def reply(self, turn: Turn, tools: Tools) -> Reply: ...


def resolve_engine(shop: Shop) -> Engine:
    """The engine the shop's settings ask for; the built-in one by default."""
    from core.assistant.builtin import BuiltinEngine

    config = (shop.settings or {}).get("assistant") or {}
    if config.get("engine") == "openai":
        from core.assistant.llm.sealed_key import opened_config
        from core.assistant.openai_engine import OpenAIEngine

        return OpenAIEngine(opened_config(shop), fallback=BuiltinEngine())
    return BuiltinEngine()
