"""The built-in engine's wording: one template per kind of reply, per tone.

A merchant changes the wording in the shop's settings, without code::

    shop.settings["assistant"] = {
        "tone": "formal",                      # "friendly" (default) or "formal"
        "templates": {                         # any key below, in any language
            "greeting": "Welcome to Jewel Box! How may I help?",
            "order_ask_email": "Which email did you use for order {reference}?",
        },
    }

Templates are ``str.format`` strings; each key lists the ``{fields}`` it may
use. A merchant template that uses an unknown field or is not a string is
ignored (the default is used and a warning logged), so a typo never breaks a
reply. Templates must not contain figures (prices, days, phone numbers): the
grounding guard only lets through figures that come from this turn's tools
or the shopper, so write "see our shipping page", not "$5 shipping". Facts go
into the fields, which the engine fills from tool results.

Languages: the engine answers in the shopper's language (``language.py``
detects it per message). English is below; Spanish, French, German,
Portuguese and Italian are message catalogs in ``messages/<lang>.py`` with the
same keys. A merchant's templates at the top level are in the shop's own
language (``shops.locale``) and apply to shoppers writing in it; templates for
another language go under its code::

    "templates": {"greeting": "Welcome!", "es": {"greeting": "¡Bienvenido!"}}

The ``tone`` setting words English only; the other languages have one
register each, the widget's (tú, vous, Sie, você, tu).
"""

from __future__ import annotations

import importlib
import logging
import string
from collections.abc import Mapping
from typing import Any

from core.assistant.guard import SAFE_TEXT

log = logging.getLogger(__name__)

_CAN = "find products, check prices and stock, answer questions about shipping and returns, and look up your order"

FRIENDLY: dict[str, str] = {
    # small talk
    "greeting": "Hi there! I can help you " + _CAN + ". What can I do for you?",
    "thanks": "You're welcome! Anything else I can help with?",
    "goodbye": "Thanks for stopping by. Have a great day!",
    "ack": "Great! Anything else I can help with?",
    "prompt": "Sure, what can I help you with?",
    "declined": "No problem! Anything else I can help with?",
    "bot": "I'm the store's automated assistant. I can help you "
    + _CAN
    + ", or connect you with someone from the team.",
    "out_of_scope": "Sorry, I can't help with that. I can help you " + _CAN + ".",
    "unknown": "Sorry, I didn't quite get that. Could you put it another way? I can help you " + _CAN + ".",
    "other_language": "Sorry, I can only help in English for now. Ask me about products, prices, shipping, "
    "returns or your order, or I can connect you with someone from the team.",
    # products: {item} is "Title for $X (was $Y), in stock"; {items} a list of them; {asked} the shopper's words
    "in_stock": "in stock",
    "sold_out": "currently sold out",
    "item": "{title} for {price}{was}, {stock}",
    "search_one": "Yes! We have the {item}.",
    "search_many": "Here's what I found{filters}: {items}.",
    "search_close": "I couldn't find an exact match for \u201c{asked}\u201d, but these come close: {items}.",
    "search_none": "Sorry, I couldn't find anything matching \u201c{asked}\u201d{filters} in our catalog.",
    "search_browse": "Here are some of our products{filters}: {items}.",
    "sale_none": "I don't see anything on sale right now.",
    "cheaper_none": "Sorry, I couldn't find anything cheaper than {price}{filters}.",
    "more_none": "That's everything I found for that.",
    # rankings: {what} is "ranked_what" with the shopper's words ({asked}: "jackets"), or empty;
    # {filters} as above, {items} the list
    "ranked_what": " {asked}",
    "ranked_price_desc": "Our most expensive{what}{filters}, highest price first: {items}.",
    "ranked_price_asc": "Our most affordable{what}{filters}, lowest price first: {items}.",
    "ranked_newest": "Our newest arrivals{what}{filters}, latest first: {items}.",
    "ranked_best_value": "The best value{what}{filters}, lowest price per unit first: {items}.",
    "ranked_best_value_price": "The best value{what}{filters} by price, lowest first: {items}.",
    # makers: {vendor} as the store wrote it
    "vendor_items": "From {vendor}{filters}, we have: {items}.",
    "vendor": "The {title}: made by {vendor}.",  # neutral: "the Galaxy Earrings is made by" read wrong
    "vendor_unknown": "The store doesn't say who makes the {title}. Would you like me to connect you with someone "
    "from the team?",
    "vendor_none": "Sorry, I couldn't find any products from \u201c{asked}\u201d in our catalog.",
    # attribute questions: {facts} quoted from the product's own description, {attribute} what was asked
    "facts": "About the {title}, the description says: \u201c{facts}\u201d",
    "facts_none": "The description of the {title} doesn't say anything about its {attribute}, and I don't want "
    "to guess. Would you like me to connect you with someone from the team?",
    # what {attribute} says for each kind of attribute question
    "attribute_material": "materials",
    "attribute_dimensions": "dimensions",
    "attribute_capacity": "capacity",
    "attribute_seats": "seating",
    "attribute_care": "care",
    "attribute_included": "contents",
    "attribute_weight": "weight",
    "attribute_fit": "fit",
    "attribute_origin": "origin",
    "attribute_warranty": "warranty",
    # stock counts: said only when the store tracks the variant and lets the assistant tell
    "stock_count": "Yes, we have {quantity} of the {title}{asked} left, at {price}.",
    "stock_few": "Yes, the {title}{asked} is in stock at {price}, but only a few are left.",
    "stock_in": "Yes, the {title}{asked} is in stock at {price}.",
    # shopper lines that try to give the assistant instructions
    "refuse_instructions": "I can't do that. I'm the store's assistant: I can help you " + _CAN + ".",
    "price": "The {title} is {price}{was}, {stock}.",
    "details": "The {title} is {price}{was}, {stock}.{options} {description}",
    "options": " It comes in {values}.",
    "which": "Which one do you mean?",
    "available": "Yes, the {title}{asked} is in stock at {price}.",
    "available_few": "Yes, the {title}{asked} is in stock at {price}, but only a few are left.",
    "unavailable": "Sorry, the {title}{asked} is sold out right now.",
    "unavailable_all": "Sorry, the {title} is sold out right now.",
    "alternatives": " It's available in {values}.",
    "not_offered": "The {title} doesn't come in {asked}.",
    "single_version": " It comes in a single version, and it's {stock}.",
    "offered_values": " It comes in {values}.",
    "compare": "Here's how they compare: {lines}. {verdict}",
    "compare_cheaper": "The {title} is the cheaper of the two.",
    "compare_same_price": "They're the same price.",
    "compare_which": "Which two products would you like me to compare?",
    # orders
    "order_ask_both": "Sure! What's your order number, and the email address you used for the order?",
    "order_ask_email": "Thanks! What's the email address you used for order {reference}?",
    "order_ask_reference": "Thanks! What's your order number? You'll find it in your order confirmation email.",
    "order_status": "Here's order {name}: {status}.{items}{total}{tracking}{link}",
    "order_not_found": "Sorry, I couldn't find an order with those details. Please check the order number and the "
    "email address you used when ordering.",
    "order_locked": "I'm not able to look up more orders in this chat. Would you like me to connect you with "
    "someone from the team?",
    "order_unavailable": "Sorry, I can't reach the order system right now. Would you like me to connect you "
    "with someone from the team?",
    # {minutes}: how long order lookups are paused (too many numbers that did not match)
    "order_wait": "Too many order numbers didn't match, so for your security I've paused order lookups. "
    "Please try again in {minutes} min, or I can connect you with someone from the team.",
    "order_no_details": "No problem. Would you like me to connect you with someone from the team instead?",
    # store content: {passage} is quoted from the page called {title} at {url}
    "knowledge": "From our {title} page:\n{passage}\n\nMore: {url}",
    "knowledge_none": "Sorry, I couldn't find that in the store's information. Would you like me to connect you "
    "with someone from the team?",
    # handing over
    "handoff_requested": "Of course! I'm connecting you with someone from the team.",
    "handoff_complaint": "I'm really sorry about that. I'm getting someone from the team to help you.",
    "handoff_angry": "I'm sorry for the trouble. Let me get someone from the team to help you right away.",
    "handoff_unanswered": "Sorry, I'm not able to help with that. I'm asking someone from the team to join.",
    # outside business hours, instead of the above: {away} says when the team is back, in the shopper's language
    "handoff_away": "{away}",
    # the grounding guard's reply when a figure could not be checked (no fields)
    "guard_safe": SAFE_TEXT,
    # pieces of sentences: a former price, lists, order details, search filters
    "was": " (was {price})",
    "and": " and ",
    "order_items": " Items: {items}.",
    "order_total": " Total: {total}.",
    "order_tracking": " Tracking: {tracking}.",
    "order_link": " Details: {url}",
    "filter_for": "for {audience}",
    "filter_in": "in {values}",
    "filter_in_stock": "in stock",
    "filter_on_sale": "on sale",
}

FORMAL: dict[str, str] = {
    **FRIENDLY,
    "greeting": "Good day. I can help you " + _CAN + ". How may I assist you?",
    "thanks": "You are welcome. Is there anything else I can help you with?",
    "goodbye": "Thank you for your visit. Goodbye.",
    "ack": "Very well. Is there anything else I can help you with?",
    "prompt": "Certainly. How may I help you?",
    "declined": "Very well. Is there anything else I can help you with?",
    "out_of_scope": "I am sorry, I cannot help with that. I can help you " + _CAN + ".",
    "unknown": "I am sorry, I did not understand. Could you rephrase your question? I can help you " + _CAN + ".",
    "other_language": "I am sorry, I can only assist in English at the moment. I can also connect you with a "
    "member of our team.",
    "search_one": "We have the {item}.",
    "search_many": "These products match{filters}: {items}.",
    "search_close": "I could not find an exact match for \u201c{asked}\u201d. These are the closest: {items}.",
    "search_none": "I am sorry, I could not find anything matching \u201c{asked}\u201d{filters} in our catalog.",
    "sale_none": "There are no reduced items at the moment.",
    "which": "Which product do you mean?",
    "available": "The {title}{asked} is in stock at {price}.",
    "available_few": "The {title}{asked} is in stock at {price}; only a few remain.",
    "unavailable": "I am sorry, the {title}{asked} is currently sold out.",
    "unavailable_all": "I am sorry, the {title} is currently sold out.",
    "not_offered": "The {title} is not offered in {asked}.",
    "compare": "Comparison: {lines}. {verdict}",
    "compare_same_price": "They are the same price.",
    "order_ask_both": "Certainly. Please give me your order number and the email address used for the order.",
    "order_ask_email": "Thank you. Please give me the email address used for order {reference}.",
    "order_ask_reference": "Thank you. Please give me your order number; it is in your order confirmation email.",
    "order_status": "Order {name}: {status}.{items}{total}{tracking}{link}",
    "order_not_found": "I am sorry, I could not find an order with those details. Please check the order number "
    "and the email address used for the order.",
    "order_wait": "Too many order numbers did not match, so for your security order lookups are paused. Please "
    "try again in {minutes} min, or I can connect you with a member of our team.",
    "knowledge_none": "I am sorry, I could not find that in the store's information. Shall I connect you with a "
    "member of our team?",
    "handoff_requested": "Certainly. I am connecting you with a member of our team.",
    "handoff_complaint": "I apologise for this. A member of our team will assist you shortly.",
    "handoff_angry": "I apologise for the inconvenience. A member of our team will assist you shortly.",
    "handoff_unanswered": "I am sorry, I cannot help with this. A member of our team will join shortly.",
}

TONES: dict[str, dict[str, str]] = {"friendly": FRIENDLY, "formal": FORMAL}

#: Quick replies the engine understands itself.
QUICK = {
    "start": ["Where is my order?", "Shipping costs", "Returns policy"],
    "human": ["Talk to a person"],
    "search": ["Anything cheaper?", "Compare the first two"],
    "product": ["Is it in stock?", "Anything cheaper?"],
}


def _catalog(lang: str) -> Any:
    if lang == "en":
        return None
    try:
        return importlib.import_module(f"core.assistant.builtin.messages.{lang}")
    except ModuleNotFoundError:
        return None


def quick(kind: str, lang: str = "en") -> list[str]:
    """The quick replies of ``kind`` ("start", "human", "search", "product") in ``lang``
    (English for a kind the language does not have yet)."""
    module = _catalog(lang)
    own = module.QUICK.get(kind) if module is not None else None
    return list(own if own is not None and len(own) == len(QUICK[kind]) else QUICK[kind])


def status_words(lang: str) -> dict[str, str]:
    """Order states (``paid``, ``fulfilled`` ...) in ``lang``; empty for English (the engine's own words)."""
    module = _catalog(lang)
    return dict(module.STATUS) if module is not None else {}


class Templates:
    """The templates of one shop: its tone's defaults under its own overrides."""

    def __init__(self, settings: Mapping[str, Any] | None, language: str = "en", shop_language: str = "en") -> None:
        config = (settings or {}).get("assistant") or {}
        self.tone = str(config.get("tone") or "friendly").lower()
        self.language = language
        self.defaults = TONES.get(self.tone, FRIENDLY)
        module = _catalog(language)
        if module is not None:
            # The tone's English wording stays only where the language has no template (never, when complete).
            self.defaults = {**self.defaults, **module.TEMPLATES}
        overrides = config.get("templates") or {}
        if not isinstance(overrides, Mapping):
            overrides = {}
        own = (
            {k: v for k, v in overrides.items() if isinstance(k, str) and not isinstance(v, Mapping)}
            if language == shop_language
            else {}
        )
        per_language = overrides.get(language)
        if isinstance(per_language, Mapping):
            own.update({k: v for k, v in per_language.items() if isinstance(k, str)})
        self.overrides = own

    def word(self, key: str) -> str:
        """A word of the language's catalog (``"under"``, ``"women"``), or the key itself (English)."""
        value = self.defaults.get(key)
        return value if isinstance(value, str) and key not in FRIENDLY else key

    def render(self, key: str, **fields: Any) -> str:
        custom = self.overrides.get(key)
        if custom is not None:
            if isinstance(custom, str) and _fields(custom) <= set(fields):
                try:
                    return custom.format(**fields)
                except (ValueError, IndexError, KeyError):
                    pass
            log.warning("ignoring the shop's %r template: not a string or unknown fields", key)
        return self.defaults[key].format(**fields)


def _fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"\0invalid"}
