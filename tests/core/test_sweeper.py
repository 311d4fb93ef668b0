"""Lines whose reply was never scheduled (a web process died) get answered once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.assistant import sweeper
from core.chat import messages
from core.db import Conversation, Shop
from core.db.models import utcnow
from core.services import Services


def _conversation(db, status: str, author: str, age: timedelta) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        shop = session.query(Shop).first()
        if shop is None:
            shop = Shop(name="S", platform="csv", site_key="sk_s", connector_config={})
            session.add(shop)
            session.flush()
        shop_id = shop.id
    import uuid

    conversation = messages.start_conversation(db, shop_id, uuid.uuid4().hex)
    messages.append_message(db, conversation.id, author=author, text="hello?")
    with db.session() as session:
        session.execute(update(Conversation).where(Conversation.id == conversation.id)
                        .values(status=status, updated_at=utcnow() - age))
    return conversation.id


def test_sweeper_enqueues_only_stale_unanswered_ai_lines_once(settings, db, redis) -> None:  # type: ignore[no-untyped-def]
    svc = Services(settings)
    stale = _conversation(db, "ai", "visitor", timedelta(seconds=30))
    _conversation(db, "ai", "visitor", timedelta(seconds=0))  # its timer may still fire
    _conversation(db, "human", "visitor", timedelta(seconds=30))  # a human owns it
    _conversation(db, "ai", "assistant", timedelta(seconds=30))  # answered
    _conversation(db, "ai", "visitor", timedelta(hours=1))  # too old to answer now
    assert sweeper.unanswered(svc) == [(stale, 1)]
    assert sweeper.sweep_once(svc, redis) == 1
    assert redis.llen("rq:queue:assistant") == 1
    assert sweeper.sweep_once(svc, redis) == 0  # once per line
    svc.db.dispose()
