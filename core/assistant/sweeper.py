"""Answers the shopper lines whose reply was never scheduled.

A web process schedules a reply a moment after a shopper's line (so a burst
gets one answer). If that process dies in that moment, the line is stored
but nobody was asked to answer it. The sweeper, running beside each worker,
finds conversations the assistant owns whose latest message is a shopper's
and older than the longest hold, and enqueues their reply once. The same
loop puts back in the queue the conversations of agents who went away
(core/chat/away.py), hourly erases what a shop's retention lets expire
(core/privacy.py), and queues the nightly sync of connected shops
(core/catalog/nightly.py).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import redis as redis_lib
from sqlalchemy import and_, select

from core.db import Conversation, Message
from core.db.models import utcnow
from core.jobs import enqueue_assistant_reply, enqueue_rollup
from core.services import Services

log = logging.getLogger(__name__)

INTERVAL = 5.0
#: Lines older than this are someone else's problem (a human should look).
HORIZON = timedelta(minutes=10)


def unanswered(svc: Services, limit: int = 200) -> list[tuple[int, int]]:
    """``(conversation_id, seq)`` of shopper lines waiting longer than any hold."""
    now = utcnow()
    grace = timedelta(seconds=svc.settings.assistant_delay + svc.settings.assistant_max_hold + 3)
    with svc.db.session() as session:
        rows = session.execute(
            select(Conversation.id, Conversation.last_seq)
            .join(Message, and_(Message.conversation_id == Conversation.id, Message.seq == Conversation.last_seq))
            .where(
                Conversation.status == "ai",
                Message.author == "visitor",
                Conversation.updated_at < now - grace,
                Conversation.updated_at > now - HORIZON,
            )
            .limit(limit)
        )
        return [(cid, seq) for cid, seq in rows]


def sweep_once(svc: Services, redis: redis_lib.Redis) -> int:
    enqueued = 0
    for conversation_id, seq in unanswered(svc):
        # Once per line, however many workers sweep.
        if redis.set(f"sc:swept:{conversation_id}:{seq}", 1, nx=True, ex=int(HORIZON.total_seconds())):
            enqueue_assistant_reply(redis, conversation_id, seq)
            enqueued += 1
    if enqueued:
        log.warning("sweeper enqueued %d replies that were never scheduled", enqueued)
    return enqueued


def expire_data(svc: Services, redis: redis_lib.Redis) -> None:
    """Shops' retention (Settings > Privacy): expired conversations and shopper data erased, hourly."""
    from core.privacy import expire_if_due

    expired = expire_if_due(svc.db, redis)
    if expired:
        log.info("retention: erased (conversations, visitors) per shop: %s", expired)


def schedule_rollups(svc: Services, redis: redis_lib.Redis) -> int:
    """Every ``rollup.EVERY`` seconds (once, however many workers sweep), queue each
    active shop's analytics roll-up of its recent days."""
    from core.analytics import rollup

    if not redis.set("sc:rollup:due", 1, nx=True, ex=rollup.EVERY):
        return 0
    shops = rollup.active_shops(svc.db)
    for shop_id in shops:
        enqueue_rollup(redis, shop_id, rollup.RECENT_DAYS)
    return len(shops)


def start(svc: Services, redis: redis_lib.Redis, stop: threading.Event) -> threading.Thread:
    from core.catalog import nightly
    from core.chat import away

    def loop() -> None:
        while not stop.wait(INTERVAL):
            for sweep in (sweep_once, away.requeue_away, expire_data, nightly.run_nightly, schedule_rollups):
                try:
                    sweep(svc, redis)
                except Exception:  # noqa: BLE001 - try again next round
                    log.exception("%s failed", sweep.__name__)

    thread = threading.Thread(target=loop, name="storechat-sweeper", daemon=True)
    thread.start()
    return thread
