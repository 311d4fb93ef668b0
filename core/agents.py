"""Agent credentials: created by `storechat agent create`, shown once, kept hashed."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from core.db import Agent, Database, Shop
from core.errors import BadInput, NotFound, StoreChatError

PREFIX = "sca_"


class BadCredential(StoreChatError):
    code = "bad_credential"


def _hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def create_agent(db: Database, shop_id: int, name: str) -> tuple[Agent, str]:
    """Create an agent; return it with its credential (the only time it is readable)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise BadInput("an agent's name must have 1 to 120 characters")
    credential = PREFIX + secrets.token_urlsafe(32)
    with db.session() as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"shop {shop_id} does not exist")
        agent = Agent(shop_id=shop_id, name=name, credential_hash=_hash(credential))
        session.add(agent)
        session.flush()
        return agent, credential


def authenticate(db: Database, credential: str) -> Agent:
    if not isinstance(credential, str) or not credential.startswith(PREFIX) or len(credential) > 100:
        raise BadCredential("the agent credential is not valid")
    with db.session() as session:
        agent = session.scalar(
            select(Agent).where(Agent.credential_hash == _hash(credential), Agent.active)
        )
        if agent is None:
            raise BadCredential("the agent credential is not valid")
        return agent
