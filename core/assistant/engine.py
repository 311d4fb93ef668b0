"""What an assistant engine is: a turn in, a reply out.

Engines are swappable (built-in, OpenAI-compatible): a Protocol plus a
resolver from the shop's settings. Every engine answers only from the tool
results of the current turn, which the reply records for audit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from core.assistant.tools import Tools
    from core.db import Shop


@dataclass(frozen=True)
class Card:
    """A product card shown under a reply."""

    product_id: int
    title: str
    url: str | None
    image_url: str | None
    price: str
    price_max: str
    compare_at: str | None
    currency: str
    available: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reply:
    text: str
    cards: list[Card] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    #: ``[{"tool": name, "args": {...}, "result": [...]}]``: what the answer used.
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "cards": [c.to_dict() for c in self.cards],
            "quick_replies": list(self.quick_replies),
            "tool_calls": self.tool_calls,
        }


@dataclass(frozen=True)
class Turn:
    shop: Shop
    conversation_id: int
    #: The shopper's text this turn (a burst of lines is joined).
    text: str
    #: Earlier messages, oldest first: ``[(author, text), ...]``.
    history: list[tuple[str, str]] = field(default_factory=list)


class Engine(Protocol):
    name: str

    def reply(self, turn: Turn, tools: Tools) -> Reply: ...


def resolve_engine(shop: Shop) -> Engine:
    """The engine the shop's settings ask for; the built-in one by default."""
    from core.assistant.builtin import BuiltinEngine

    return BuiltinEngine()
