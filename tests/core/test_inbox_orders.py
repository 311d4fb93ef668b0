"""The orders a shopper named, looked up for the team: only for the shopper's
own email or verified account, through the shop's connector (the demo CSV
connector's orders here)."""
from __future__ import annotations


import pytest

from core.chat.messages import append_message
from core.errors import NotFound
from core.db import Conversation, Database, Shop, Visitor
from core.inbox.orders import mentioned, shopper_orders
from core.shops import ensure_demo_shop


def test_references_are_found_newest_first_once() -> None:
    assert mentioned(["where is order #1001?", "also order no. 1002 and #1001", "my zip is 40202"]) == \
        ["1001", "1002"]
    assert mentioned(["I am 30 years old", "call 555 1234"]) == []


def _conversation(db: Database, email: str | None, lines: list[str]) -> tuple[int, int]:
    shop = ensure_demo_shop(db, "http://127.0.0.1:1/demo")
    with db.session() as session:
        session.add(Visitor(id=f"v_{email}", shop_id=shop.id, email=email))
        session.flush()
        conversation = Conversation(shop_id=shop.id, visitor_id=f"v_{email}")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    for line in lines:
        append_message(db, conversation_id, author="visitor", text=line)
    return shop.id, conversation_id


def test_the_shoppers_own_order_is_shown_to_the_team(db: Database) -> None:
    shop_id, conversation_id = _conversation(db, "bob.norman@hostmail.com", ["hi", "where is my order #1001?"])
    with db.session() as session:
        found = shopper_orders(session, shop_id, conversation_id)
    assert found["status"] == "ok" and [o["name"] for o in found["orders"]] == ["#1001"]
    assert found["orders"][0]["shipments"][0]["company"] == "USPS"


def test_someone_elses_order_is_not_shown(db: Database) -> None:
    shop_id, conversation_id = _conversation(db, "mallory@example.com", ["status of #1001 please"])
    with db.session() as session:
        found = shopper_orders(session, shop_id, conversation_id)
    assert found["orders"] == [] and found["looked_up"] == ["1001"]


def test_without_an_email_nothing_is_looked_up(db: Database) -> None:
    shop_id, conversation_id = _conversation(db, None, ["order #1001?"])
    with db.session() as session:
        assert shopper_orders(session, shop_id, conversation_id)["status"] == "need_email"


def test_another_shops_conversation_is_not_found(db: Database) -> None:
    shop_id, conversation_id = _conversation(db, "bob.norman@hostmail.com", ["#1001"])
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other_orders", connector_config={})
        session.add(other)
        session.flush()
        other_id = other.id
    with db.session() as session, pytest.raises(NotFound):
        shopper_orders(session, other_id, conversation_id)
