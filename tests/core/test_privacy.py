"""Export and erasure: after a shopper's (or a shop's) redaction, nothing of
them is left in ANY table of the schema, search index tables included;
everyone else's data is untouched. The tables are taken from the models, so
a new table is covered (or this test fails) without anyone remembering it."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, select, text

from core import privacy
from core.analytics import experiments, rollup
from core.catalog import search
from core.catalog.sync import upsert_documents, upsert_products
from core.connector import DocumentRecord, ProductRecord, VariantRecord
from core.db import (
    Agent,
    AuditLog,
    Base,
    CannedReply,
    Conversation,
    ConversationRead,
    Database,
    Event,
    Experiment,
    Message,
    Note,
    NotificationDelivery,
    Shop,
    SyncRun,
    User,
    Visitor,
    WebhookDelivery,
)
from core.db.models import PlatformStaff

SHOPPER_EMAIL = "Xavier.Quill@example.com"
SHOPPER_ID = "cust-7731-xq"
SHOPPER_MARKERS = ("xavier.quill@example.com", SHOPPER_ID, "ZEBRA-PRIVATE-LINE", "vis-xavier-")


def _fill_shop(db: Database, tag: str) -> int:
    """A shop with a row in every table: catalog, content, search, chats, agents, runs, deliveries."""
    with db.session() as session:
        shop = Shop(name=f"{tag} Outfitters", platform="csv", platform_ref=f"{tag}-ref", site_key=f"sk_{tag}",
                    connector_config={"csv_path": f"/{tag}.csv"})
        session.add(shop)
        session.flush()
        products = upsert_products(session, shop.id, [ProductRecord(
            external_id=f"{tag}-p1", handle=f"{tag}-parka", title=f"{tag} Parka",
            variants=(VariantRecord(external_id=f"{tag}-v1", title="S", price=Decimal("50")),))])
        search.index_products(session, products)
        docs = upsert_documents(session, shop.id, [DocumentRecord(
            external_id=f"{tag}-d1", kind="policy", title=f"{tag} Returns", body=f"{tag} returns within 30 days")])
        search.index_documents(session, docs)
        session.add(SyncRun(shop_id=shop.id, status="finished"))
        agent = Agent(name=f"{tag} Agent", shop_id=shop.id, credential_hash=f"{tag:0<64}"[:64])
        session.add(agent)
        session.add(WebhookDelivery(platform="csv", delivery_id=f"{tag}-d", shop_id=shop.id, topic="x"))
        session.add(CannedReply(shop_id=shop.id, shortcut="hi", text=f"{tag} hello"))
        session.flush()
        user = User(shop_id=shop.id, email=f"owner@{tag}.example", role="owner", agent_id=agent.id)
        session.add(user)
        session.flush()
        session.add(PlatformStaff(shop_id=shop.id, platform="shopify", staff_id=f"{tag}-staff", user_id=user.id))
        session.add(AuditLog(shop_id=shop.id, user_id=user.id, action="settings.widget", ip="203.0.113.9",
                             detail={"changes": {"greeting": [None, f"{tag} hello"]}}))
        session.flush()
        _chat(session, shop.id, f"vis-{tag}-anon", None, None, f"{tag} anonymous question")
        experiments.create(session, shop, experiments.ExperimentIn.model_validate({
            "name": f"{tag} greeting", "target": "greeting", "variants": [
                {"key": "A", "weight": 1, "value": f"{tag} hi"}, {"key": "B", "weight": 1, "value": "hey"}]}))
        return shop.id


def _chat(session: Any, shop_id: int, visitor_id: str, email: str | None, customer: str | None, line: str) -> None:
    session.add(Visitor(id=visitor_id, shop_id=shop_id, email=email, customer_ref=customer))
    session.flush()
    conversation = Conversation(shop_id=shop_id, visitor_id=visitor_id, last_seq=1)
    session.add(conversation)
    session.flush()
    session.add(Message(conversation_id=conversation.id, seq=1, author="visitor", text=line))
    session.add(Event(shop_id=shop_id, conversation_id=conversation.id, kind="csat", data={"score": 5}))
    # A question the assistant could not answer: its words are kept, and rolled up as a content gap.
    session.add(Event(shop_id=shop_id, conversation_id=conversation.id, kind="content_gap", data={"text": line}))
    # What the team does with a conversation names the shopper too: notes, read state, emails.
    agent = session.scalar(select(Agent.id).where(Agent.shop_id == shop_id).limit(1))
    session.add(Note(conversation_id=conversation.id, agent_id=agent, text=f"note on {visitor_id}: {line}"))
    session.add(ConversationRead(agent_id=agent, conversation_id=conversation.id, read_seq=1))
    session.add(NotificationDelivery(shop_id=shop_id, conversation_id=conversation.id, kind="reply",
                                     channel="email", target=email or f"{visitor_id}@team.example",
                                     content={"subject": f"about {line}"}))


def _dump(db: Database) -> dict[str, list[str]]:
    """Every row of every table, as text."""
    tables: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = [repr(tuple(row)) for row in conn.execute(select(table))]
        for name in privacy.SEARCH_TABLES:
            tables[name] = [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {name}"))]
    return tables


def _rows_of_shop(db: Database, shop_id: int) -> dict[str, int]:
    """Rows that belong to the shop, per table: by shop_id, or through the parent row's shop."""
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = conn.scalar(text(f"SELECT count(*) FROM {table.name} WHERE {_owner(table)}"),
                                             {"shop": shop_id})
        for name in privacy.SEARCH_TABLES:
            counts[name] = conn.scalar(text(f"SELECT count(*) FROM {name} WHERE shop_id = :shop"), {"shop": shop_id})
    return counts


def _owner(table: Table) -> str:
    if table.name == "shops":
        return "id = :shop"
    if "shop_id" in table.c:
        return "shop_id = :shop"
    # variants -> products, messages -> conversations; in a fixed order (a set's varies between runs)
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if "shop_id" in parent.c:
            return f"{fk.parent.name} IN (SELECT id FROM {parent.name} WHERE shop_id = :shop)"
    raise AssertionError(f"table {table.name} has no way to its shop: privacy.py must learn about it")


@pytest.fixture
def shops(db: Database) -> tuple[int, int]:
    a, b = _fill_shop(db, "aardvark"), _fill_shop(db, "bison")
    with db.session() as session:
        _chat(session, a, "vis-xavier-1", SHOPPER_EMAIL, None, "ZEBRA-PRIVATE-LINE my address is 1 Elm St")
        _chat(session, a, "vis-xavier-2", None, SHOPPER_ID, "where is ZEBRA-PRIVATE-LINE order")
        _chat(session, a, "vis-yolanda-1", "yolanda@example.com", "cust-other", "yolanda keeps her line")
    for shop_id in (a, b):  # the analytics days count everyone's conversations and gaps
        rollup.roll_up_recent(db, shop_id, 1)
    return a, b


def test_every_table_is_filled_by_the_fixture(db: Database, shops: tuple[int, int]) -> None:
    """Guards the other tests: a table this fixture leaves empty would prove nothing."""
    a, _ = shops
    empty = [name for name, count in _rows_of_shop(db, a).items() if count == 0]
    assert empty == []


def test_export_holds_the_shoppers_chats_and_no_one_elses(db: Database, shops: tuple[int, int]) -> None:
    a, _ = shops
    export = privacy.export_shopper(db, a, privacy.Shopper(email="xavier.quill@EXAMPLE.com", customer_id=SHOPPER_ID),
                                    request_id="req-1")
    assert sorted(v["id"] for v in export["visitors"]) == ["vis-xavier-1", "vis-xavier-2"]
    lines = [m["text"] for c in export["conversations"] for m in c["messages"]]
    assert len(lines) == 2 and all("ZEBRA-PRIVATE-LINE" in line for line in lines)
    assert "yolanda" not in repr(export)
    with db.session() as session:
        [event] = session.scalars(select(Event).where(Event.kind == privacy.EXPORT_EVENT))
        assert event.shop_id == a and event.data["request_id"] == "req-1"
        assert event.data["export"]["visitors"] == export["visitors"]


def test_shopper_redaction_leaves_nothing_of_them_in_any_table(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    privacy.export_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL), request_id="req-1")  # an earlier export
    before_b = _rows_of_shop(db, b)
    assert any("ZEBRA-PRIVATE-LINE" in row for rows in _dump(db).values() for row in rows)

    assert privacy.redact_shopper(db, a, privacy.Shopper(email=SHOPPER_EMAIL.upper(), customer_id=SHOPPER_ID)) == 2

    for table, rows in _dump(db).items():
        for row in rows:
            for marker in SHOPPER_MARKERS:
                assert marker not in row.lower() and marker not in row, f"{marker!r} left in {table}: {row}"
    dump = repr(_dump(db))
    assert "yolanda keeps her line" in dump and "aardvark anonymous question" in dump
    assert _rows_of_shop(db, b) == before_b


def test_shopper_redaction_without_a_name_deletes_nothing(db: Database, shops: tuple[int, int]) -> None:
    a, _ = shops
    before = _dump(db)
    assert privacy.redact_shopper(db, a, privacy.Shopper()) == 0
    assert _dump(db) == before


def test_shopper_of_another_shop_is_not_touched(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    assert privacy.redact_shopper(db, b, privacy.Shopper(email=SHOPPER_EMAIL, customer_id=SHOPPER_ID)) == 0
    assert "ZEBRA-PRIVATE-LINE" in repr(_dump(db))


def test_shop_redaction_leaves_nothing_of_the_shop_in_any_table(db: Database, shops: tuple[int, int]) -> None:
    a, b = shops
    before_b = _rows_of_shop(db, b)
    privacy.redact_shop(db, a)
    assert set(_rows_of_shop(db, a).values()) == {0}
    for table, rows in _dump(db).items():
        for row in rows:
            assert "aardvark" not in row.lower() and "xavier" not in row.lower(), f"left in {table}: {row}"
    assert _rows_of_shop(db, b) == before_b
    with db.session() as session:
        assert [h.id for h in search.search_products(session, b, "bison parka")]
    privacy.redact_shop(db, a)  # a repeated request is harmless


# ---- retention (Settings > Privacy)


def _age(db: Database, visitor_prefix: str, days: int) -> None:
    """Make the conversations and visitors starting with ``visitor_prefix`` ``days`` days old."""
    from datetime import timedelta

    from core.db.models import utcnow

    then = utcnow() - timedelta(days=days)
    with db.session() as session:
        for conversation in session.scalars(select(Conversation).where(Conversation.visitor_id.like(f"{visitor_prefix}%"))):
            conversation.updated_at = then
        for visitor in session.scalars(select(Visitor).where(Visitor.id.like(f"{visitor_prefix}%"))):
            visitor.last_seen_at = then


def test_retention_erases_what_is_older_than_the_shops_days(db: Database, shops: tuple[int, int], redis: Any) -> None:
    a, b = shops
    _age(db, "vis-xavier-", 40)
    _age(db, "vis-bison-", 400)  # shop b keeps everything: no retention set
    with db.session() as session:
        session.get(Shop, a).settings = {"privacy": {"retention_days": 30}}
    before_b = _rows_of_shop(db, b)

    assert privacy.expire_if_due(db, redis) == {a: (2, 2)}
    dump = repr(_dump(db))
    assert "ZEBRA-PRIVATE-LINE" not in dump and "xavier" not in dump.lower()
    assert "yolanda keeps her line" in dump and "aardvark anonymous question" in dump  # recent: kept
    assert _rows_of_shop(db, b) == before_b
    # Once an hour, whichever process asks first.
    assert privacy.expire_if_due(db, redis) is None
