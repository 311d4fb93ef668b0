"""The tools every engine answers from: one set, used by the built-in and the
LLM engines alike. Each call is recorded with its arguments and result, so
every answer can be audited (and checked by the grounding guard).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.assistant import after_hours
from core.assistant.tools import catalog, knowledge, orders
from core.assistant.tools.facts import ATTRIBUTES
from core.catalog import ranking
from core.catalog.search import Known
from core.db import Shop

__all__ = ["Tools", "TOOL_SPECS"]


class Tools:
    def __init__(
        self,
        session: Session,
        shop: Shop,
        conversation_id: int | None = None,
        verified_customer_id: str | None = None,
        guesses: orders.Guesses | None = None,
        locale: str | None = None,
        release: bool = False,
    ) -> None:
        self.session = session
        #: End the session's transaction after each call, so no connection is held
        #: between calls (an LLM engine waits for its model between them).
        self.release = release
        self.shop = shop
        self.conversation_id = conversation_id
        self.verified_customer_id = verified_customer_id
        #: The failed-lookup limit across conversations (the reply service always passes one).
        self.guesses = guesses
        #: The shopper's page language, when the widget said it (words outside business hours).
        self.locale = locale
        self.calls: list[dict[str, Any]] = []
        self.handoff_reason: str | None = None

    def _record(self, tool: str, args: dict[str, Any], result: Any, *, wrote: bool = False) -> Any:
        """``wrote``: the call wrote to the session, and commits whether or not the connection is given back,
        so what it recorded stays whatever happens to the rest of the reply."""
        self.calls.append({"tool": tool, "args": args, "result": result})
        if self.release or wrote:
            self.session.commit()
        return result

    def search_products(
        self,
        query: str = "",
        *,
        min_price: float | None = None,
        max_price: float | None = None,
        category: str | None = None,
        options: list[str] | None = None,
        in_stock_only: bool = False,
        limit: int = 5,
        sort: str | None = None,
        vendor: str | None = None,
        known: Known | None = None,
    ) -> list[dict[str, Any]]:
        args = {
            "query": query,
            "min_price": min_price,
            "max_price": max_price,
            "category": category,
            "options": options or [],
            "in_stock_only": in_stock_only,
            "limit": limit,
        }
        sort = sort if sort in ranking.SORTS else None  # "relevance" (or nothing): best match first
        if sort:
            args["sort"] = sort
        if vendor:
            args["vendor"] = vendor
        cards = catalog.search(
            self.session,
            self.shop,
            query,
            min_price=min_price,
            max_price=max_price,
            category=category,
            options=options or [],
            in_stock_only=in_stock_only,
            limit=max(1, min(limit, 10)),
            sort=sort,
            vendor=vendor or None,
            known=known,
        )
        return self._record("search_products", args, cards)

    def product_facts(
        self, product: str | int, question: str = "", attributes: list[str] | None = None
    ) -> dict[str, Any] | None:
        """The sentences of the product's own description that answer an attribute question."""
        result = catalog.product_facts(self.session, self.shop, product, question, attributes)
        return self._record(
            "product_facts", {"product": product, "question": question, "attributes": attributes or []}, result
        )

    def vendors_named(self, phrases: list[str]) -> list[str]:
        """The shop's vendors (makers, brands) called one of ``phrases``."""
        return self._record(
            "vendors_named", {"phrases": phrases}, ranking.vendors_named(self.session, self.shop.id, phrases)
        )

    def get_product(self, ref: str | int) -> dict[str, Any] | None:
        return self._record("get_product", {"ref": ref}, catalog.get_product(self.session, self.shop, ref))

    def check_availability(self, product: str | int, option_values: list[str]) -> dict[str, Any] | None:
        result = catalog.check_availability(self.session, self.shop, product, option_values)
        return self._record("check_availability", {"product": product, "option_values": option_values}, result)

    def search_knowledge(self, query: str, limit: int = 2) -> list[dict[str, Any]]:
        return self._record(
            "search_knowledge", {"query": query}, knowledge.search(self.session, self.shop, query, limit=limit)
        )

    def lookup_order(self, reference: str, email: str | None = None) -> dict[str, Any]:
        result = orders.lookup(
            self.session,
            self.shop,
            self.conversation_id,
            reference,
            email=email,
            customer_id=self.verified_customer_id,
            guesses=self.guesses,
        )
        # The email is the shopper's own; it is recorded masked. A failed lookup's event (the conversation's
        # count of them) is committed at once.
        return self._record(
            "lookup_order", {"reference": reference, "email": orders.mask_email(email)}, result, wrote=True
        )

    def handoff(self, reason: str, language: str | None = None) -> dict[str, Any]:
        self.handoff_reason = reason[:200] or "requested"
        # Outside business hours: when the team is back, for the shopper (core/assistant/after_hours.py),
        # in the language the shopper wrote in when the engine knows it, else the page's.
        locale = language if isinstance(language, str) and language.strip() else self.locale
        result = {"status": "waiting_human", **after_hours.handoff_note(self.shop, locale)}
        return self._record("handoff", {"reason": self.handoff_reason}, result)


#: The tools as JSON Schema function specs, for engines that call tools by name.
TOOL_SPECS: list[dict[str, Any]] = [
    {
        "name": "search_products",
        "description": "Search the store's catalog. Returns product cards with live prices and stock.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What the shopper is looking for, in their words."},
                "min_price": {"type": "number"},
                "max_price": {"type": "number"},
                "category": {"type": "string", "description": "Product type or tag, e.g. 'women', 'jackets'."},
                "options": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Option values the variant must have, e.g. ['Red', 'M'].",
                },
                "in_stock_only": {"type": "boolean"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10},
                "sort": {
                    "type": "string",
                    "enum": ["relevance", *ranking.SORTS],
                    "description": "Ranking: 'price_desc' for the most expensive, 'price_asc' for the cheapest, "
                    "'newest' for the latest arrivals, 'best_value' (lowest price per unit when "
                    "titles give pack sizes, else cheapest). Default: best match first.",
                },
                "vendor": {
                    "type": "string",
                    "description": "Only this maker or brand's products (the product's vendor), e.g. 'Acme'.",
                },
            },
            "required": ["query"],
        },
    },
    {
        "name": "product_facts",
        "description": "What the product's own description says about an attribute (material, dimensions, "
        "capacity, seats, care, what is included, weight, fit, origin, warranty): the sentences "
        "quoted as written, and the vendor (maker or brand). Empty facts: the description does not "
        "say; tell the shopper so and offer a person, never guess.",
        "parameters": {
            "type": "object",
            "properties": {
                "product": {"type": "string", "description": "Product id, handle or title."},
                "question": {"type": "string", "description": "The shopper's question, in their words."},
                "attributes": {"type": "array", "items": {"type": "string", "enum": sorted(ATTRIBUTES)}},
            },
            "required": ["product"],
        },
    },
    {
        "name": "get_product",
        "description": "Details of one product: description, options, price and stock per variant.",
        "parameters": {
            "type": "object",
            "properties": {"ref": {"type": "string", "description": "Product id, handle or title."}},
            "required": ["ref"],
        },
    },
    {
        "name": "check_availability",
        "description": "Whether a product is in stock in the given option values, and what is available instead. "
        "A variant with tracked stock has 'quantity' when the shop lets you say the count, and "
        "'low_stock' (say 'only a few left', not the number); an untracked one is simply "
        "available.",
        "parameters": {
            "type": "object",
            "properties": {
                "product": {"type": "string", "description": "Product id, handle or title."},
                "option_values": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["product", "option_values"],
        },
    },
    {
        "name": "search_knowledge",
        "description": "Search the store's pages and policies (shipping, returns, contact, FAQ). "
        "Returns the passage and its URL.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
    {
        "name": "lookup_order",
        "description": "Look up an order live. Needs the order number and the email used for it, unless the "
        "shopper is signed in. Never reveals an order to anyone else. After too many numbers "
        "that did not match it answers too_many_attempts: tell the shopper plainly that order "
        "lookups are paused for their security, when to try again (retry_after_minutes), "
        "and offer a person from the team.",
        "parameters": {
            "type": "object",
            "properties": {
                "reference": {"type": "string", "description": "Order number, e.g. '#1001'."},
                "email": {"type": "string"},
            },
            "required": ["reference"],
        },
    },
    {
        "name": "handoff",
        "description": "Hand the conversation to a human from the store's team. Outside business hours the "
        "result says when the team is back (`say`): tell the shopper, and that they can leave "
        "their email.",
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {"type": "string"},
                "language": {
                    "type": "string",
                    "description": "The language the shopper writes in (ISO 639-1, e.g. "
                    "'es'), for the note on when the team is back.",
                },
            },
            "required": ["reason"],
        },
    },
]
