"""A shop's users: create, find for sign-in, set a password, sign out everywhere."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts.passwords import hash_password, needs_rehash, verify_password
from core.db import Agent, Database, Shop, User
from core.db.models import USER_ROLES, utcnow
from core.errors import BadInput, NotFound, StoreChatError

#: Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class Conflict(StoreChatError):
    code = "conflict"


def normalize_email(email: object) -> str:
    if not isinstance(email, str):
        raise BadInput("the email address must be text")
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadInput(f"{email[:80]!r} is not an email address")
    return email


def create_user(db: Database, shop_id: int, email: str, *, role: str = "agent", name: str = "") -> User:
    if role not in USER_ROLES:
        raise BadInput(f"the role must be one of {', '.join(USER_ROLES)}")
    email = normalize_email(email)
    name = (name or "").strip()
    if len(name) > 120:
        raise BadInput("a name must have at most 120 characters")
    try:
        with db.session() as session:
            if session.get(Shop, shop_id) is None:
                raise NotFound(f"shop {shop_id} does not exist")
            # The user's identity in the chat. Its credential is random and never
            # shown: a signed-in user reaches the agent socket with a ticket
            # from their session (core/accounts/tickets.py).
            agent = Agent(
                shop_id=shop_id, name=name or email.split("@")[0][:120], credential_hash=_random_credential_hash()
            )
            session.add(agent)
            session.flush()
            user = User(shop_id=shop_id, email=email, role=role, name=name, agent_id=agent.id)
            session.add(user)
            session.flush()
            return user
    except IntegrityError:
        raise Conflict(f"{email} already has an account in this shop") from None


def active_user(session: Session, user_id: int) -> User | None:
    """The user, if both they and their shop are active."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    shop = session.get(Shop, user.shop_id)
    return user if shop is not None and shop.active else None


def authenticate(db: Database, email: str, password: str) -> User | None:
    """The active user whose address and password match, or None.

    An address may have accounts in several shops; the one whose password
    matches wins (the most recently used first). Every attempt verifies at
    least one hash, so an unknown address takes as long as a wrong password."""
    try:
        email = normalize_email(email)
    except BadInput:
        verify_password(None, password)
        return None
    with db.session() as session:
        candidates = session.scalars(
            select(User)
            .join(Shop, Shop.id == User.shop_id)
            .where(User.email == email, User.active, Shop.active)
            .order_by(User.last_sign_in_at.desc().nulls_last(), User.id)
        ).all()
        if not candidates:
            verify_password(None, password)
            return None
        for user in candidates:
            if verify_password(user.password_hash, password):
                user.last_sign_in_at = utcnow()
                if needs_rehash(user.password_hash or ""):
                    user.password_hash = hash_password(password)
                return user
        return None


def set_password(db: Database, user_id: int, password: str) -> User:
    """Set a new password; every session the user had ends with it."""
    password_hash = hash_password(password)
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("that account does not exist")
        user.password_hash = password_hash
        _end_sessions(session, user)
        return user


def sign_out_everywhere(db: Database, user_id: int) -> None:
    with db.session() as session:
        user = session.get(User, user_id)
        if user is not None:
            _end_sessions(session, user)


def close_user(db: Database, shop_id: int, user_id: int) -> None:
    """Close a teammate's account: they are signed out everywhere and can no
    longer answer shoppers; what they wrote stays."""
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None or user.shop_id != shop_id:
            raise NotFound("that account does not exist")
        user.active = False
        _end_sessions(session, user)
        agent = session.get(Agent, user.agent_id)
        if agent is not None:
            agent.active = False


def _end_sessions(session: Session, user: User) -> None:
    """Every session and socket ticket the user had stops working; their open
    inbox sockets close at the next re-check (core/chat/agent_socket.recheck)."""
    user.session_version += 1
    agent = session.get(Agent, user.agent_id)
    if agent is not None:
        agent.credential_hash = _random_credential_hash()


def _random_credential_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()
