"""A shopper who keeps writing: their lines are answered together once the
longest hold has passed, even though a newer line keeps arriving."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.assistant import service
from core.catalog.sync import create_run, run_sync
from core.chat import messages
from core.db import Database, Message
from core.db.models import utcnow
from core.services import Services
from core.settings import Settings
from core.shops import ensure_demo_shop


@pytest.fixture
def demo(db: Database) -> int:
    shop = ensure_demo_shop(db, "http://127.0.0.1:9/demo")
    assert run_sync(db, create_run(db, shop.id).id).status == "finished"
    return shop.id


def _burst(db: Database, shop_id: int, first_age: float) -> tuple[int, list[int]]:
    """Three lines; the first written ``first_age`` seconds ago, the others just now."""
    conversation = messages.start_conversation(db, shop_id, uuid.uuid4().hex)
    seqs = [messages.append_message(db, conversation.id, author="visitor", text=text).message.seq
            for text in ("hi", "do you have a leather jacket?", "in black?")]
    with db.session() as session:
        session.execute(update(Message).where(Message.conversation_id == conversation.id, Message.seq == seqs[0])
                        .values(created_at=utcnow() - timedelta(seconds=first_age)))
    return conversation.id, seqs


def _replies(db: Database, conversation_id: int) -> list[str | None]:
    with db.session() as session:
        return list(session.scalars(select(Message.client_id).where(Message.conversation_id == conversation_id,
                                                                    Message.author == "assistant")))


def test_past_the_longest_hold_the_whole_burst_is_answered_under_its_newest_line(
        settings: Settings, db: Database, redis, demo: int) -> None:  # type: ignore[no-untyped-def]
    conversation_id, seqs = _burst(db, demo, first_age=settings.assistant_max_hold + 1)
    svc = Services(settings)
    try:
        service.answer(svc, conversation_id, seqs[0])   # the capped release, with newer lines behind it
        assert _replies(db, conversation_id) == [f"reply:{seqs[-1]}"]
        service.answer(svc, conversation_id, seqs[-1])  # the newest line's own job: answered already
    finally:
        svc.close()
    assert _replies(db, conversation_id) == [f"reply:{seqs[-1]}"]


def test_within_the_hold_an_older_line_leaves_the_answer_to_the_newest(
        settings: Settings, db: Database, redis, demo: int) -> None:  # type: ignore[no-untyped-def]
    conversation_id, seqs = _burst(db, demo, first_age=0.5)
    svc = Services(settings)
    try:
        service.answer(svc, conversation_id, seqs[0])
        assert _replies(db, conversation_id) == []
        service.answer(svc, conversation_id, seqs[-1])
    finally:
        svc.close()
    assert _replies(db, conversation_id) == [f"reply:{seqs[-1]}"]
