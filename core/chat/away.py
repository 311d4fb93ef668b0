"""Agents who left: once an agent has had no live socket (closed, or silent
past the heartbeat) for ``agent_away_grace`` seconds, the conversations they
own go back to the queue, waiting for a human, with a notice the shopper and
the team see; the team is alerted as for any waiting shopper. Runs beside
each worker (core/assistant/sweeper.py); the ownership change is a
compare-and-set, so several workers sweeping move each conversation once.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

import redis as redis_lib
from sqlalchemy import select

from core.chat import ownership
from core.db import Agent, Conversation
from core.services import Services

log = logging.getLogger(__name__)
KEY = "sc:away:{}"


def requeue_away(svc: Services, redis: redis_lib.Redis, now: float | None = None) -> int:
    """Put back in the queue the conversations of agents away longer than the grace; how many."""
    now = time.time() if now is None else now
    grace = svc.settings.agent_away_grace
    owners: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    with svc.db.session() as session:
        for conversation_id, shop_id, agent_id in session.execute(
            select(Conversation.id, Conversation.shop_id, Conversation.agent_id).where(
                Conversation.status == "human", Conversation.agent_id.is_not(None)
            )
        ):
            assert agent_id is not None  # the query takes only owned conversations
            owners[shop_id][agent_id].append(conversation_id)
    moved = 0
    for shop_id, by_agent in owners.items():
        online = set(svc.presence.agents_online(shop_id))
        for agent_id, conversations in by_agent.items():
            key = KEY.format(agent_id)
            if agent_id in online:
                redis.delete(key)
                continue
            # The first sweep that finds them gone starts their clock.
            redis.set(key, f"{now:.3f}", nx=True, ex=int(max(grace * 4, 600)))
            since = float(redis.get(key) or now)
            if now - since < grace:
                continue
            moved += _requeue(svc, agent_id, conversations)
            redis.delete(key)
    if moved:
        log.info("put %d conversations of agents who went away back in the queue", moved)
    return moved


def _requeue(svc: Services, agent_id: int, conversations: list[int]) -> int:
    with svc.db.session() as session:
        agent = session.get(Agent, agent_id)
    moved = 0
    for conversation_id in conversations:
        try:
            change = ownership.apply(svc.db, conversation_id, "requeue", agent=agent)
        except ownership.TransitionRefused:
            continue  # taken, handed back or closed meanwhile, or another worker moved it
        except ownership.NotFound:
            continue
        svc.chat.announce_change(change)
        moved += 1
    return moved
