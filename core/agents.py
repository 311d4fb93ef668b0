"""Agent credentials: created by `storechat agent create`, shown once, kept hashed.

A credential works while its agent is not revoked (``Agent.active``) and its
shop is active. ``storechat agent revoke`` ends an agent for good; ``storechat
agent rotate`` replaces its credential (the old one stops working at once).
Live agent sockets are checked again on the connection clock
(:func:`still_valid`), so a socket does not outlive its credential.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Agent, Database, Shop
from core.errors import BadInput, NotFound, StoreChatError

PREFIX = "sca_"


class BadCredential(StoreChatError):
    code = "bad_credential"


class ShopInactive(StoreChatError):
    code = "shop_inactive"


def _hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def _new_credential() -> tuple[str, str]:
    credential = PREFIX + secrets.token_urlsafe(32)
    return credential, _hash(credential)


def create_agent(db: Database, shop_id: int, name: str) -> tuple[Agent, str]:
    """Create an agent; return it with its credential (the only time it is readable)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise BadInput("an agent's name must have 1 to 120 characters")
    credential, hashed = _new_credential()
    with db.session() as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"shop {shop_id} does not exist")
        agent = Agent(shop_id=shop_id, name=name, credential_hash=hashed)
        session.add(agent)
        session.flush()
        return agent, credential


def authenticate(db: Database, credential: str) -> Agent:
    """The agent whose credential this is; refused when it is unknown, rotated, revoked, or its shop is not active."""
    if not isinstance(credential, str) or not credential.startswith(PREFIX) or len(credential) > 100:
        raise BadCredential("the agent credential is not valid")
    with db.session() as session:
        found = session.execute(
            select(Agent, Shop.active)
            .join(Shop, Shop.id == Agent.shop_id)
            .where(Agent.credential_hash == _hash(credential), Agent.active)
        ).first()
        if found is None:
            raise BadCredential("the agent credential is not valid")
        agent, shop_active = found
        if not shop_active:
            raise ShopInactive("this agent's shop is not active")
        return agent


def still_valid(db: Database, credentials: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Those of ``(agent id, credential hash)`` that still authenticate: one query for all of them."""
    wanted = set(credentials)
    ids = sorted({agent_id for agent_id, _ in wanted})
    current: set[tuple[int, str]] = set()
    with db.session() as session:
        for start in range(0, len(ids), 500):
            current.update(
                (agent_id, hashed)
                for agent_id, hashed in session.execute(
                    select(Agent.id, Agent.credential_hash)
                    .join(Shop, Shop.id == Agent.shop_id)
                    .where(Agent.id.in_(ids[start : start + 500]), Agent.active, Shop.active)
                )
            )
    return wanted & current


def _agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} does not exist")
    return agent


def revoke_agent(db: Database, agent_id: int) -> Agent:
    """Revoke an agent: its credential stops working, its live sockets close at the next check."""
    with db.session() as session:
        agent = _agent(session, agent_id)
        agent.active = False
        return agent


def rotate_agent(db: Database, agent_id: int) -> tuple[Agent, str]:
    """Give an agent a new credential (returned, shown once); the old one stops working."""
    credential, hashed = _new_credential()
    with db.session() as session:
        agent = _agent(session, agent_id)
        if not agent.active:
            raise BadInput(f"agent {agent_id} is revoked; create a new agent instead")
        agent.credential_hash = hashed
        return agent, credential


def list_agents(db: Database, shop_id: int) -> list[Agent]:
    with db.session() as session:
        return list(session.scalars(select(Agent).where(Agent.shop_id == shop_id).order_by(Agent.id)))
