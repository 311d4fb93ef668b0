"""``rate`` and ``contact`` frames are limited like messages: a flood of them
writes a bounded number of rows. One rating per conversation (a new one
replaces it); a bounded number of contact addresses per conversation."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core.chat.service import CONTACTS_PER_CONVERSATION, ChatError
from core.db import Event, Visitor
from core.services import Services
from tests.wsclient import VisitorClient

FLOOD = 300


def _events(db, kind: str) -> list[Event]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def _answers(client: VisitorClient, n: int) -> list[dict[str, Any]]:
    return [client.recv() for _ in range(n)]


def test_a_flood_of_rate_and_contact_frames_writes_bounded_rows(base_url, db) -> None:  # type: ignore[no-untyped-def]
    client = VisitorClient(base_url)
    client.hello("sk_test")
    conversation_id = client.say("my parcel never arrived")["conversation_id"]
    client.expect("message")
    for n in range(FLOOD):
        client.send({"type": "rate", "conversation_id": conversation_id, "score": 1 + n % 5})
    rates = _answers(client, FLOOD)
    for n in range(FLOOD):
        client.send({"type": "contact", "email": f"flood{n}@example.com"})
    contacts = _answers(client, FLOOD)
    client.close()
    refused = [f for f in rates + contacts if f["type"] == "error"]
    assert {f["code"] for f in refused} <= {"rate_limited", "contact_limit"}
    assert sum(f["code"] == "rate_limited" for f in refused) > FLOOD  # the bucket ran dry
    assert all(not f["fatal"] for f in refused)
    ratings = _events(db, "csat")
    assert len(ratings) == 1  # the last accepted rating replaced the earlier ones
    last_rated = [f for f in rates if f["type"] == "rated"][-1]
    assert ratings[0].data["score"] == last_rated["score"]
    assert len(_events(db, "contact_left")) <= CONTACTS_PER_CONVERSATION


@pytest.fixture
def svc(settings, db, redis) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services(settings)
    yield services
    services.close()


def test_a_new_rating_replaces_the_old_one(svc, shop) -> None:  # type: ignore[no-untyped-def]
    chat = svc.chat
    ctx = chat.visitor_hello(shop.site_key, None, None)
    chat.visitor_message(ctx, "a", "hello", "198.51.100.1")
    chat.visitor_rates(ctx, ctx.conversation_id, 1, "slow", ip="198.51.100.1")
    chat.visitor_rates(ctx, ctx.conversation_id, 5, None, ip="198.51.100.1")
    [rating] = _events(svc.db, "csat")
    assert rating.data == {"score": 5, "comment": None} and rating.conversation_id == ctx.conversation_id


def test_contact_addresses_per_conversation_are_bounded(svc, shop) -> None:  # type: ignore[no-untyped-def]
    chat = svc.chat
    ctx = chat.visitor_hello(shop.site_key, None, None)
    with pytest.raises(ChatError) as before:
        chat.visitor_leaves_contact(ctx, "ana@example.com", ip="198.51.100.1")
    assert before.value.code == "no_conversation"
    chat.visitor_message(ctx, "a", "hello", "198.51.100.1")
    for n in range(CONTACTS_PER_CONVERSATION):
        chat.visitor_leaves_contact(ctx, f"ana{n}@example.com", ip="198.51.100.1")
    # The address already saved again: nothing new, not refused.
    chat.visitor_leaves_contact(ctx, f"ANA{CONTACTS_PER_CONVERSATION - 1}@example.com", ip="198.51.100.1")
    with pytest.raises(ChatError) as refused:
        chat.visitor_leaves_contact(ctx, "someone.else@example.com", ip="198.51.100.1")
    assert refused.value.code == "contact_limit" and not refused.value.fatal
    assert len(_events(svc.db, "contact_left")) == CONTACTS_PER_CONVERSATION
    with svc.db.session() as session:
        assert session.get(Visitor, ctx.visitor_id).email == f"ana{CONTACTS_PER_CONVERSATION - 1}@example.com"


def test_rate_and_contact_take_from_the_address_bucket_across_tokens(svc, shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """New tokens do not get a new budget: the address's bucket is shared by all of them."""
    # The bucket refills slowly enough that a slow machine's loop cannot earn tokens back.
    monkeypatch.setattr(svc.settings, "ip_message_rate", 0.001)
    chat = svc.chat
    burst = svc.settings.ip_message_burst
    refused = 0
    for n in range(burst + 5):
        ctx = chat.visitor_hello(shop.site_key, None, None)
        try:
            chat.visitor_rates(ctx, 10_000 + n, 5, None, ip="2001:db8:1:2::%x" % n)  # one /64
        except ChatError as exc:
            refused += exc.code == "rate_limited"
    assert refused >= 5
    with svc.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
