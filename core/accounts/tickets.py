"""Tickets that let a signed-in user's page open the agent socket.

A page of the admin gets a ticket with its HTML (and a fresh one from
``/admin/api/ticket`` before it reconnects); the socket's ``hello`` presents
it. A ticket names the user and their session version, so signing out
everywhere or a new password ends it; it lives ``TTL`` seconds. The socket
never reads the session cookie itself: embedded in a platform's admin (an
iframe on another site) the browser does not send it.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.accounts.users import active_user
from core.db import Agent, Database, User
from core.errors import StoreChatError

SALT = "storechat.agent-ticket.v1"
TTL = 600


class BadTicket(StoreChatError):
    code = "bad_credential"


class SocketTickets:
    def __init__(self, secret_key: str, ttl: int = TTL) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self._ttl = ttl

    def mint(self, user_id: int, session_version: int) -> str:
        return self._serializer.dumps({"u": user_id, "v": session_version})

    def read(self, db: Database, ticket: str) -> tuple[User, Agent]:
        """The ticket's user and their agent; :class:`BadTicket` if it is no longer good."""
        if not isinstance(ticket, str) or len(ticket) > 300:
            raise BadTicket("the ticket is not valid")
        try:
            data = self._serializer.loads(ticket, max_age=self._ttl)
        except SignatureExpired:
            raise BadTicket("the ticket has expired; reload the page") from None
        except BadSignature:
            raise BadTicket("the ticket is not valid") from None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            raise BadTicket("the ticket is not valid")
        with db.session() as session:
            user = active_user(session, data["u"])
            if user is None or user.session_version != data.get("v"):
                raise BadTicket("you were signed out; sign in again")
            agent = session.get(Agent, user.agent_id)
            if agent is None or not agent.active:
                raise BadTicket("this account cannot answer shoppers")
            return user, agent
