"""What every handler of the built-in engine shares: the turn being answered
and the answer it gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from core.assistant.builtin.language import supported
from core.assistant.builtin.templates import Templates
from core.assistant.builtin.vocabulary import Vocabulary, vocabulary
from core.assistant.engine import Reply, Turn
from core.assistant.money import format_money, format_price_range
from core.assistant.tools import Tools
from core.assistant.tools.catalog import card_fields

ENGINE = "builtin"
#: Product cards shown with one reply.
MAX_CARDS = 3
#: Products remembered for "it", "the other one", "the second one".
MAX_REMEMBERED = 5
#: The shopper's own words remembered (another language than English): English word -> theirs.
MAX_SAID = 40


@dataclass
class Answer:
    text: str
    intent: str
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    #: What the next turn needs (see ``Reply.context``); merged over nothing.
    context: dict[str, Any] = field(default_factory=dict)
    #: False when the shopper's question went unanswered (counts toward a handoff).
    answered: bool = True
    handoff: str | None = None

    def reply(self) -> Reply:
        return Reply(
            self.text,
            cards=self.cards,
            quick_replies=self.quick_replies,
            intent=self.intent,
            context=self.context,
            handoff=self.handoff,
            engine=ENGINE,
        )


class Dialogue:
    """One turn: the shopper's text, the previous reply's context, the tools, the wording."""

    def __init__(self, turn: Turn, tools: Tools, language: str = "en", origin: dict[str, str] | None = None) -> None:
        self.turn = turn
        self.tools = tools
        self.prev: dict[str, Any] = dict(turn.context or {})
        #: The language of the reply (``language.py``) and, for a line read through a lexicon,
        #: the shopper's own words behind each English word (``translate.py``).
        self.lang = language
        self.origin = origin or {}
        #: The shopper's words from earlier lines in this language ("shirt" -> "camisas"), for a follow-up
        #: that words an earlier search ("¿y la más barata?").
        said = self.prev.get("said") if self.prev.get("lang") == language else None
        self.said: dict[str, str] = (
            {k: v for k, v in said.items() if isinstance(v, str)} if isinstance(said, dict) else {}
        )
        self.t = Templates(turn.shop.settings, language, supported(turn.shop.locale) or "en")
        self.currency = turn.shop.currency or "USD"

    @cached_property
    def vocab(self) -> Vocabulary:
        return vocabulary(self.tools.session, self.turn.shop)

    @property
    def shown(self) -> list[int]:
        return [int(p) for p in self.prev.get("products") or [] if isinstance(p, int)]

    @property
    def focus(self) -> int | None:
        focus = self.prev.get("focus")
        return focus if isinstance(focus, int) else None

    @property
    def seen(self) -> list[int]:
        """Products shown earlier in the conversation, newest first."""
        return [int(p) for p in self.prev.get("seen") or [] if isinstance(p, int)]

    def remember(self, ids: list[int], focus: int | None = None) -> dict[str, Any]:
        """Context naming the products this reply is about (and, for "the other one", those before)."""
        ids = list(dict.fromkeys(i for i in ids if isinstance(i, int)))[:MAX_REMEMBERED]
        seen = list(dict.fromkeys([*ids, *self.shown, *self.seen]))[: MAX_REMEMBERED * 2]
        return {"products": ids, "focus": focus, "seen": seen}

    def visitor_lines(self) -> list[str]:
        """The shopper's earlier lines, newest first."""
        return [text for author, text in reversed(self.turn.history) if author == "visitor"]

    # -- wording of facts ------------------------------------------------------

    def price(self, item: dict[str, Any]) -> str:
        return format_price_range(item["price"], item.get("price_max") or item["price"], self.currency, self.lang)

    def money(self, amount: str, currency: str | None = None) -> str:
        return format_money(amount, currency or self.currency, self.lang)

    def join(self, values: list[str]) -> str:
        return join_words(values, self.t.render("and"))

    def own_words(self, asked: str) -> str:
        """The shopper's own words for the English words ``asked`` (itself in English)."""
        if not self.origin and not self.said:
            return asked
        return " ".join(
            dict.fromkeys(self.origin.get(w.lower()) or self.said.get(w.lower()) or w for w in asked.split())
        )

    def words_said(self) -> dict[str, str]:
        """What :attr:`said` becomes for the next turn: this line's words over the earlier ones', bounded."""
        merged = {**self.said, **{k: v for k, v in self.origin.items() if k != v.lower()}}
        return dict(list(merged.items())[-MAX_SAID:])

    def stock(self, available: bool) -> str:
        return self.t.render("in_stock" if available else "sold_out")

    def was(self, item: dict[str, Any]) -> str:
        compare = item.get("compare_at")
        if compare and (item.get("price_max") in (None, item["price"])):
            return self.t.render("was", price=self.money(compare))
        return ""

    def item(self, card: dict[str, Any]) -> str:
        return self.t.render(
            "item", title=card["title"], price=self.price(card), was=self.was(card), stock=self.stock(card["available"])
        )


def card_of(details: dict[str, Any]) -> dict[str, Any]:
    """The card fields of a ``get_product`` result."""
    return card_fields(details)


def join_words(values: list[str], and_: str = " and ") -> str:
    """ "a", "a and b", "a, b and c"."""
    values = [v for v in values if v]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + and_ + values[-1]
