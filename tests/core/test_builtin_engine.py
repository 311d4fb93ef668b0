"""The built-in engine over the demo store: intents, slots, multi-turn context,
the order dialogue, store content and the handoff rules.

Every reply of every dialogue here also passes the grounding guard: a figure
the tools did not return fails the test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.assistant import guard
from core.assistant.builtin import BuiltinEngine, Templates, slots, text
from core.assistant.builtin import vocabulary as vocabulary_module
from core.assistant.builtin.vocabulary import vocabulary
from core.assistant.engine import Reply, Turn
from core.assistant.tools import Tools
from core.catalog.sync import create_run, run_sync, upsert_products
from core.connector import ProductRecord, VariantRecord
from core.db import Conversation, Product, Shop, Visitor
from core.shops import ensure_demo_shop

STOREFRONT = "http://shop.test"


@pytest.fixture
def shop(db) -> Shop:  # type: ignore[no-untyped-def]
    shop = ensure_demo_shop(db, STOREFRONT)
    run = create_run(db, shop.id)
    assert run_sync(db, run.id).status == "finished"
    return shop


@dataclass
class Chat:
    """A conversation with the engine, turn by turn, the way the reply service runs it."""

    db: Any
    shop_id: int
    conversation_id: int | None = None
    customer_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    history: list[tuple[str, str]] = field(default_factory=list)
    streak: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def say(self, line: str) -> Reply:
        with self.db.session() as session:
            shop = session.get(Shop, self.shop_id)
            tools = Tools(session, shop, self.conversation_id, verified_customer_id=self.customer_id)
            turn = Turn(shop=shop, conversation_id=self.conversation_id or 0, text=line, history=list(self.history),
                        context=self.context, unanswered_streak=self.streak)
            reply = BuiltinEngine().reply(turn, tools)
            assert guard.ungrounded(reply.text, tools.calls, line, reply.language or "en") == [], reply.text
            self.calls = tools.calls
            if reply.handoff:
                assert tools.handoff_reason == reply.handoff
        self.history += [("visitor", line), ("assistant", reply.text)]
        self.context = reply.context
        answered = bool(reply.cards) or reply.intent not in (None, "unknown", "out_of_scope")
        self.streak = 0 if answered else self.streak + 1
        return reply

    def tool(self, name: str) -> dict[str, Any]:
        return next(c for c in self.calls if c["tool"] == name)


@pytest.fixture
def chat(db, shop) -> Chat:  # type: ignore[no-untyped-def]
    return Chat(db, shop.id)


def titles(reply: Reply) -> list[str]:
    return [c["title"] for c in reply.cards]


# -- reading the words (no database) ---------------------------------------------------


@pytest.mark.parametrize(("line", "bounds"), [
    ("jackets under $50", (None, 49.99)),
    ("up to 60 dollars", (None, 60.0)),
    ("between 20 and 40", (20.0, 40.0)),
    ("$20-$40 tops", (20.0, 40.0)),
    ("over $70", (70.01, None)),
    ("at least 75", (75.0, None)),
    ("do you have tops in large?", (None, None)),
])
def test_price_bounds(line: str, bounds: tuple[float | None, float | None]) -> None:
    found = slots.prices(line)
    assert (found.min_price, found.max_price) == bounds


@pytest.mark.parametrize(("line", "expecting", "reference"), [
    ("#1001", False, "#1001"),
    ("where is order 1002?", False, "#1002"),
    ("order number: 1003", False, "#1003"),
    ("1004", False, "#1004"),
    ("sure, it's 1001 I think", True, "#1001"),
    ("sure, it's 1001 I think", False, None),
    ("anything under 50?", True, None),
    ("call +1 (503) 555-0142", False, None),
])
def test_order_references(line: str, expecting: bool, reference: str | None) -> None:
    assert slots.order_reference(line, expecting=expecting) == reference


def test_emails_anywhere_in_the_text() -> None:
    assert slots.email("it's Kenji.Watanabe@example.org, order 1003") == "Kenji.Watanabe@example.org"
    assert slots.email("my email is at example dot com") is None


@pytest.mark.parametrize(("line", "human", "complaint", "angry"), [
    ("I want to talk to a person", True, False, False),
    ("agent", True, False, False),
    ("I need a jacket for someone special", False, False, False),
    ("how do I contact customer service?", False, False, False),
    ("my jacket arrived damaged", False, True, False),
    ("what happens if my order arrives damaged?", False, False, False),
    ("I want a refund", False, True, False),
    ("what is your refund policy?", False, False, False),
    ("my order never arrived", False, True, False),
    ("you sent me the wrong item", False, True, False),
    ("do you have a top with a ripped hem?", False, False, False),
    ("WHERE IS MY ORDER!!!", False, False, True),
    ("this chat is useless", False, False, True),
    ("THANK YOU!!!", False, False, False),
    ("DO YOU HAVE JACKETS", False, False, False),
])
def test_tone(line: str, human: bool, complaint: bool, angry: bool) -> None:
    assert text.wants_human(line) is human
    assert (text.complaint(line) is not None) is complaint
    assert text.angry(line) is angry


@pytest.mark.parametrize(("line", "foreign"), [
    ("¿Tienen chaquetas de cuero?", True),
    ("Wo ist meine Bestellung?", True),
    ("Bonjour, combien coûte la livraison?", True),
    ("こんにちは", True),
    ("do you have a leather jacket?", False),
    ("Classic Leather Jacket", False),
    ("is the café top in stock?", False),
])
def test_other_languages(line: str, foreign: bool) -> None:
    assert text.foreign_language(line) is foreign


def test_templates_follow_tone_and_merchant_overrides() -> None:
    assert "Hi there" in Templates({}).render("greeting")
    assert Templates({"assistant": {"tone": "formal"}}).render("greeting").startswith("Good day")
    custom = Templates({"assistant": {"templates": {"order_ask_email": "Email for {reference}, please?"}}})
    assert custom.render("order_ask_email", reference="#1001") == "Email for #1001, please?"
    # An override with an unknown field (or not a string) falls back to the default.
    broken = Templates({"assistant": {"templates": {"order_ask_email": "Hi {name}", "thanks": 42}}})
    assert "#1001" in broken.render("order_ask_email", reference="#1001")
    assert broken.render("thanks") == Templates({}).render("thanks")


def test_default_templates_carry_no_figures() -> None:
    # The grounding guard lets through only figures from tools or the shopper.
    from core.assistant.builtin.templates import TONES

    for tone in TONES.values():
        assert not [key for key, value in tone.items() if any(ch.isdigit() for ch in value)]


# -- the catalog's words ---------------------------------------------------------------------


def test_vocabulary_resolves_product_mentions(db, shop) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        vocab = vocabulary(session, session.get(Shop, shop.id))
        ids = {title: pid for pid, title in vocab.titles.items()}
        assert vocab.mention("is the varsity top in large?").product == ids["Classic Varsity Top"]
        assert vocab.mention("how much is the varsty top").product == ids["Classic Varsity Top"]  # typo
        assert vocab.mention("the tux").product == ids["Blue Silk Tuxedo"]  # synonym
        jackets = vocab.mention("how much is the jacket?")
        assert jackets.product is None and len(jackets.candidates) == 5
        # Within what was just shown, "the blue one" is clear.
        shown = [ids["Ocean Blue Shirt"], ids["Chequered Red Shirt"]]
        assert vocab.mention("the blue one", within=shown).product == ids["Ocean Blue Shirt"]
        assert vocab.mention("what's the weather like?").words == []
        assert vocab.options_in("do you have it in large?") == ["Large"]
        assert vocab.options_in("a jacket with large pockets") == []
        assert vocab.sizes_asked("the varsity top in XL") == ["XL"]
        assert vocab.audience_in("something for my wife") == "women"


def test_vocabulary_sees_a_new_product_after_a_sync(db, shop, chat, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert "Velvet Opera Cape" not in chat.say("how much is the velvet opera cape?").text
    record = ProductRecord(
        external_id="cape-1", handle="velvet-opera-cape", title="Velvet Opera Cape", body_html="A cape.",
        vendor="demo", product_type="Capes", tags=("women",), options=(), images=(), url=f"{STOREFRONT}/cape",
        published=True, variants=(VariantRecord(external_id="cape-1-v", title="Default Title", price=Decimal("95.00"),
                                                inventory_tracked=False),),
    )
    with db.session() as session:
        upsert_products(session, shop.id, [record])
    reply = chat.say("how much is the velvet opera cape?")
    assert "Velvet Opera Cape is $95.00" in reply.text


# -- products ---------------------------------------------------------------------------------------


def test_search_with_price_and_audience_filters(chat: Chat) -> None:
    reply = chat.say("do you have jackets for women under $70?")
    assert reply.intent == "product_search"
    assert titles(reply) == ["Soft Winter Jacket", "Olive Green Jacket"]
    args = chat.tool("search_products")["args"]
    assert args["max_price"] == 69.99 and args["category"] == "women"
    assert "$50.00" in reply.text and "$65.00" in reply.text


def test_search_by_catalog_option_value(chat: Chat) -> None:
    reply = chat.say("show me tops in medium")
    assert titles(reply) == ["Classic Varsity Top"]
    assert chat.tool("search_products")["args"]["options"] == ["Medium"]


def test_a_product_the_store_does_not_sell(chat: Chat) -> None:
    reply = chat.say("do you sell laptops?")
    assert reply.cards == [] and "$" not in reply.text
    assert reply.context["misses"] == 1


def test_price_details_and_availability(chat: Chat) -> None:
    price = chat.say("how much is the varsity top?")
    assert price.intent == "product_details" and "Classic Varsity Top is $60.00" in price.text
    details = chat.say("tell me about the navy sports jacket")
    assert "polyester" in details.text and "$60.00" in details.text
    large = chat.say("is the varsity top in large?")
    assert large.intent == "availability" and "in Large is in stock" in large.text
    assert chat.tool("check_availability")["args"]["option_values"] == ["Large"]
    xl = chat.say("can I get the varsity top in XL?")
    assert "doesn't come in XL" in xl.text and "Small, Medium and Large" in xl.text
    single = chat.say("is the white cotton shirt available in medium?")
    assert "doesn't come in Medium" in single.text and "single version" in single.text


def test_comparison(chat: Chat) -> None:
    reply = chat.say("which is cheaper, the zipped jacket or the navy sports jacket?")
    assert reply.intent == "compare"
    assert titles(reply) == ["Zipped Jacket", "Navy Sports Jacket"]
    assert "Navy Sports Jacket is the cheaper" in reply.text
    assert chat.say("compare the ocean blue shirt and the chequered red shirt").text.endswith("same price.")


def test_context_it_and_in_blue(chat: Chat) -> None:
    chat.say("do you have shirts?")
    blue = chat.say("and in blue?")
    assert titles(blue) == ["Ocean Blue Shirt"]
    price = chat.say("how much is it?")
    assert price.intent == "product_details" and "Ocean Blue Shirt is $50.00" in price.text


def test_context_in_large_and_in_blue_about_one_product(chat: Chat) -> None:
    chat.say("tell me about the varsity top")
    assert "in Large is in stock" in chat.say("in large?").text
    assert "doesn't come in blue" in chat.say("and in blue?").text


def test_context_the_other_one(chat: Chat) -> None:
    listed = chat.say("do you have shirts for men?")
    assert sorted(titles(listed)) == ["Chequered Red Shirt", "Ocean Blue Shirt"]
    assert titles(chat.say("how much is the ocean blue one?")) == ["Ocean Blue Shirt"]
    other = chat.say("what about the other one?")
    assert titles(other) == ["Chequered Red Shirt"] and "$50.00" in other.text


def test_compare_the_first_two_then_cheaper(chat: Chat) -> None:
    chat.say("do you have jackets for men?")
    compared = chat.say("compare the first two")
    assert sorted(titles(compared)) == ["Navy Sports Jacket", "Zipped Jacket"]
    chat.say("how much is the classic leather jacket?")
    cheaper = chat.say("anything cheaper?")
    assert cheaper.cards and all(float(c["price"]) < 80 for c in cheaper.cards)


# -- orders --------------------------------------------------------------------------------------------


def test_order_dialogue_asks_for_what_is_missing_and_continues(chat: Chat) -> None:
    ask = chat.say("where is my order?")
    assert ask.intent == "order_status" and ask.context["order"]["awaiting"] == "both"
    ask_email = chat.say("#1003")
    assert "email" in ask_email.text and "#1003" in ask_email.text
    found = chat.say("kenji.watanabe@example.org")
    assert "1Z999AA10123456784" in found.text and "$208.00" in found.text and "UPS" in found.text
    assert chat.tool("lookup_order")["args"] == {"reference": "#1003", "email": "k***@example.org"}
    # The email is never kept in the context (it is read again from the shopper's lines).
    assert "example.org" not in repr(ask_email.context) + repr(found.context)


def test_order_email_first_then_number(chat: Chat) -> None:
    chat.say("ana.silva@example.com")
    found = chat.say("order 1002")
    assert "$92.61" in found.text and "Classic Varsity Top" in found.text


def test_wrong_email_reveals_nothing(chat: Chat) -> None:
    reply = chat.say("order #1001, email hacker@example.com")
    assert "couldn't find an order" in reply.text
    for leak in ("Navy Sports Jacket", "169.60", "9400111899223197428490", "USPS"):
        assert leak not in reply.text
    assert chat.say("sorry, it's bob.norman@hostmail.com").text.count("169.60") == 1


def test_a_signed_in_customer_needs_no_email(db, shop) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(db, shop.id, customer_id="6822311018549")  # Kenji's customer id in orders.json
    assert "1Z999AA10123456784" in chat.say("where is order 1003?").text


def test_locked_lookups_offer_a_person(db, shop) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.add(Visitor(id="v-lock", shop_id=shop.id))
        session.flush()
        conversation = Conversation(shop_id=shop.id, visitor_id="v-lock")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    chat = Chat(db, shop.id, conversation_id=conversation_id)
    for n in range(5):
        assert "couldn't find" in chat.say(f"order 1001 guess{n}@example.com").text
    locked = chat.say("order 1001 bob.norman@hostmail.com")
    assert "169.60" not in locked.text and "team" in locked.text
    assert locked.quick_replies == ["Talk to a person"] and locked.handoff is None
    assert chat.say("yes please").handoff == "requested"


# -- store content ------------------------------------------------------------------------------------


def test_store_content_is_quoted_and_linked(chat: Chat) -> None:
    shipping = chat.say("how much is shipping?")
    assert shipping.intent == "store_info"
    assert "Standard (USPS Ground Advantage) \u00b7 3-5 business days \u00b7 $5.95" in shipping.text
    assert f"{STOREFRONT}/pages/shipping" in shipping.text
    returns = chat.say("what's your return policy?")
    assert "within 30 days of delivery for a full refund" in returns.text
    hours = chat.say("what are your opening hours?")
    assert hours.intent == "contact" and "Monday to Friday, 9 am to 5 pm Pacific time" in hours.text


def test_store_content_the_pages_do_not_cover(chat: Chat) -> None:
    reply = chat.say("do you accept PayPal?")
    assert "couldn't find" in reply.text and reply.quick_replies == ["Talk to a person"]
    assert reply.context["offer"] == "human"
    assert chat.say("yes").handoff == "requested"


# -- small talk, other languages, out of scope ----------------------------------------------------------


def test_greeting_thanks_and_a_greeting_with_a_question(chat: Chat) -> None:
    assert chat.say("hi").intent == "greeting"
    assert chat.say("thanks!").intent == "thanks"
    reply = chat.say("Hi! Do you have a leather jacket?")
    assert titles(reply) == ["Classic Leather Jacket"]


def test_a_language_the_engine_does_not_speak_gets_an_honest_answer_and_no_invention(chat: Chat) -> None:
    # Spanish, French, German, Portuguese and Italian are answered (tests/core/test_builtin_languages.py).
    reply = chat.say("Hebben jullie leren jassen?")
    assert reply.intent == "other_language" and "Nederlands" in reply.text and not reply.cards
    assert reply.context.get("offer") == "human" and reply.quick_replies == ["Talk to a person"]


def test_out_of_scope_says_what_it_can_do(chat: Chat) -> None:
    reply = chat.say("what's the weather like today?")
    assert reply.intent == "out_of_scope" and "find products" in reply.text and reply.handoff is None


# -- handoff rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "reason"), [
    ("can I speak to a human please?", "requested"),
    ("my jacket arrived damaged", "complaint: damaged"),
    ("you sent me the wrong item", "complaint: sent me the wrong"),
    ("WHERE IS MY ORDER!!!", "angry tone"),
])
def test_handoff_triggers(chat: Chat, line: str, reason: str) -> None:
    assert chat.say(line).handoff == reason


def test_the_shops_handoff_topics_and_complaint_rule(db, shop) -> None:  # type: ignore[no-untyped-def]
    """Settings > Assistant: topics that always go to a person; complaints answered first when asked."""
    with db.session() as session:
        session.get(Shop, shop.id).settings = {"assistant": {"handoff_topics": ["wholesale", "custom order"],
                                                             "complaints": "assistant"}}
    chat = Chat(db, shop.id)
    assert chat.say("Do you do WHOLESALE prices for a leather jacket?").handoff == "topic: wholesale"
    assert chat.say("can I place a custom  order?").handoff == "topic: custom order"
    assert chat.say("do you have a leather jacket?").handoff is None  # no topic named: answered
    assert chat.say("my jacket arrived damaged").handoff is None  # the assistant answers complaints first
    with db.session() as session:
        session.get(Shop, shop.id).settings = {"assistant": {"complaints": "handoff"}}
    assert Chat(db, shop.id).say("my jacket arrived damaged").handoff == "complaint: damaged"


def test_two_unanswered_turns_hand_off(chat: Chat) -> None:
    first = chat.say("do you sell laptops?")
    assert first.handoff is None
    assert chat.say("what about tablets?").handoff == "unanswered twice in a row"


def test_the_services_unanswered_streak_counts_too(db, shop) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(db, shop.id, streak=1)
    assert chat.say("asdfgh qwerty").handoff == "unanswered twice in a row"


def test_an_answer_resets_the_count(chat: Chat) -> None:
    chat.say("do you sell laptops?")
    chat.say("do you have a leather jacket?")
    assert chat.say("do you sell tablets?").handoff is None


# -- merchant wording ------------------------------------------------------------------------------------------


def test_the_shops_templates_and_tone_are_used(db, shop) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        row = session.get(Shop, shop.id)
        row.settings = {"assistant": {"tone": "formal", "templates": {
            "search_one": "Indeed: {item}.", "greeting": "Welcome to the Demo Apparel shop."}}}
    chat = Chat(db, shop.id)
    assert chat.say("hello").text == "Welcome to the Demo Apparel shop."
    assert chat.say("do you have a leather jacket?").text == "Indeed: Classic Leather Jacket for $80.00, in stock."
    assert chat.say("thanks").text.startswith("You are welcome")


def test_every_card_comes_from_the_catalog(db, shop, chat) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        rows = session.scalars(select(Product).where(Product.shop_id == shop.id))
        catalog = {p.title: str(p.price_min) for p in rows}
    for line in ("do you have jackets?", "anything under $40?", "what's the cheapest jacket?", "red"):
        for card in chat.say(line).cards:
            assert catalog[card["title"]] == card["price"]
