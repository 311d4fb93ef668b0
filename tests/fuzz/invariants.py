"""What must hold in the database after any input, checked after each batch of
fuzz cases: nothing half-written, nothing that breaks a reader later."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.db import Conversation, Database, Message, Product, Variant, Visitor, WebhookDelivery
from core.db.models import Note, Shop

STATUSES = {"ai", "waiting_human", "human", "closed"}


def chat(db: Database) -> None:
    """Every message is in a conversation of a visitor of the shop; seqs are 1..last_seq, no gap."""
    with db.session() as s:
        orphans = s.scalar(select(func.count()).select_from(Message).outerjoin(
            Conversation, Message.conversation_id == Conversation.id).where(Conversation.id.is_(None)))
        assert orphans == 0, f"{orphans} messages without their conversation"
        rows = s.execute(select(Conversation.id, Conversation.last_seq, Conversation.status, Conversation.agent_id,
                                Conversation.shop_id, Visitor.shop_id)
                         .outerjoin(Visitor, Visitor.id == Conversation.visitor_id)).all()
        seqs = {cid: (n, lo, hi, distinct) for cid, n, lo, hi, distinct in s.execute(
            select(Message.conversation_id, func.count(), func.min(Message.seq), func.max(Message.seq),
                   func.count(func.distinct(Message.seq))).group_by(Message.conversation_id))}
        for cid, last_seq, status, agent_id, shop_id, visitor_shop in rows:
            assert visitor_shop == shop_id, f"conversation {cid}: its visitor is missing or another shop's"
            assert status in STATUSES, f"conversation {cid}: status {status!r}"
            assert status != "human" or agent_id is not None, f"conversation {cid}: human with no agent"
            n, lo, hi, distinct = seqs.get(cid, (0, None, None, 0))
            assert n == distinct == last_seq, f"conversation {cid}: {n} messages, last_seq {last_seq}"
            assert n == 0 or (lo == 1 and hi == last_seq), f"conversation {cid}: seqs {lo}..{hi} of {last_seq}"
        for author, text in s.execute(select(Message.author, Message.text)):
            if author in ("visitor", "agent"):
                assert 1 <= len(text) <= 4000 and text == text.strip(), f"{author} message of {len(text)} chars"
        bad_notes = s.scalar(select(func.count()).select_from(Note).outerjoin(
            Conversation, Note.conversation_id == Conversation.id).where(Conversation.id.is_(None)))
        assert bad_notes == 0, "notes without their conversation"
        for (text,) in s.execute(select(Note.text)):
            assert 1 <= len(text) <= 4000, f"a note of {len(text)} chars"


def catalog(db: Database) -> None:
    """Products are whole: a title, a handle, prices that are numbers >= 0 with min <= max,
    at least one variant each of the same product, and no variant without its product."""
    with db.session() as s:
        orphans = s.scalar(select(func.count()).select_from(Variant).outerjoin(
            Product, Variant.product_id == Product.id).where(Product.id.is_(None)))
        assert orphans == 0, f"{orphans} variants without their product"
        counts = dict(s.execute(select(Variant.product_id, func.count()).group_by(Variant.product_id)).all())
        for p in s.scalars(select(Product)):
            assert p.title.strip() and p.external_id, f"product {p.id}: empty title or id"
            assert isinstance(p.price_min, Decimal) and isinstance(p.price_max, Decimal)
            assert Decimal(0) <= p.price_min <= p.price_max, f"product {p.id}: prices {p.price_min}..{p.price_max}"
            assert p.compare_at_max is None or p.compare_at_max >= 0, f"product {p.id}: compare_at"
            assert counts.get(p.id, 0) >= 1, f"product {p.id} has no variant"
        for v in s.scalars(select(Variant)):
            assert v.price >= 0 and v.title is not None, f"variant {v.id}: price {v.price}"
            assert v.inventory_quantity is None or abs(v.inventory_quantity) <= 2**31 - 1
            assert v.inventory_policy in ("deny", "continue"), f"variant {v.id}: policy {v.inventory_policy!r}"


def webhooks(db: Database) -> None:
    """Every delivery row is of a shop that exists (or none), in a known state."""
    with db.session() as s:
        for d in s.scalars(select(WebhookDelivery)):
            assert d.status in ("received", "processed", "failed"), f"delivery {d.id}: {d.status!r}"
            assert d.delivery_id and d.topic, f"delivery {d.id} without id or topic"
            assert d.shop_id is None or s.get(Shop, d.shop_id) is not None, f"delivery {d.id}: shop gone"
