"""``/ws/agent``: an agent's socket. It receives every event of its shop's
conversations live, replies, and takes conversations over and hands them
back (frames in docs/protocol.md).

The credential is checked at the hello (unknown, rotated or revoked, or a
shop that is not active: refused) and again on the connection clock
(:func:`recheck`): a socket whose credential stopped working is closed with
``agent_revoked``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import request

from core import agents
from core.chat import team
from core.chat.frames import (
    AgentHello,
    AgentMessage,
    AgentNote,
    AgentTyping,
    Assign,
    Ownership,
    ReadUpTo,
    Resume,
    error_frame,
)
from core.chat.outbox import wake
from core.chat.presence import Beat
from core.chat.sock import sock
from core.chat.socket_session import SocketSession
from core.db import Agent
from core.services import Services, services

log = logging.getLogger(__name__)


@sock.route("/ws/agent")
def agent_socket(ws: Any) -> None:
    AgentSession(ws, services(), request.remote_addr or "").run()


class AgentSession(SocketSession):
    agent = True
    #: An agent sees messages of every conversation of its shop.
    follow_new = True

    def __init__(self, ws: Any, svc: Any, ip: str) -> None:
        super().__init__(ws, svc, ip)
        self.me: Agent | None = None
        #: (agent id, credential hash) this socket authenticated with, for :func:`recheck`.
        self.credential: tuple[int, str] | None = None

    def on_hello(self, frame: AgentHello) -> None:
        me = self.me = self.chat.agent_hello(frame.credential, frame.ticket)
        self.credential = (me.id, me.credential_hash)
        self.subscriptions.append(
            self.svc.bus.subscribe_shop(me.shop_id, self.outbox.put, on_reconnect=self.outbox.catch_up_all)
        )
        newly_online = self.best_effort(self.svc.presence.agent_beat, me.shop_id, me.id, self.connection_id)
        online = self.best_effort(self.svc.presence.visitors_online, me.shop_id) or set()
        conversations = self.chat.open_conversations(me.shop_id)
        for conversation in conversations:
            conversation["visitor_online"] = conversation["conversation_id"] in online
        self.outbox.put(
            {
                "type": "welcome",
                "agent": {"id": me.id, "name": me.name},
                "shop_id": me.shop_id,
                "conversations": conversations,
                "agents_online": self.best_effort(self.svc.presence.agents_online, me.shop_id) or [],
                # Names for the ids in other frames, and whom a conversation can be assigned to.
                "team": team.team(self.svc, me.shop_id),
            }
        )
        if newly_online:
            self.best_effort(self.chat.announce_presence, me.shop_id)

    def presence_beat(self) -> Beat | None:
        if self.me is None:
            return None
        return self.svc.presence.agent(self.me.shop_id, self.me.id, self.connection_id)

    def back_online(self) -> None:
        if self.me is not None:
            self.best_effort(self.chat.announce_presence, self.me.shop_id)

    def closed(self) -> None:
        if self.me is not None:
            self.best_effort(self.svc.presence.agent_gone, self.me.shop_id, self.me.id, self.connection_id)
            self.best_effort(self.chat.announce_presence, self.me.shop_id)

    def revoke(self) -> None:
        """The credential stopped working: end the socket (from the connection clock)."""
        log.info("closing the socket of agent %s: its credential is no longer valid", self.me and self.me.id)
        try:
            self.outbox.put(
                error_frame(
                    "agent_revoked",
                    "this agent's credential was revoked or replaced, or its shop is no longer active",
                    fatal=True,
                )
            )
            self.outbox.close()
            self.ws.close(reason=1008, message="agent_revoked")
        except Exception:  # noqa: BLE001 - already closed by the client or the handler
            pass
        wake(self.ws)  # the handler's receive() now raises ConnectionClosed

    def on_frame(self, frame: Any) -> None:
        assert self.me is not None
        if isinstance(frame, AgentMessage):
            self.chat.agent_message(
                self.me,
                frame.conversation_id,
                frame.client_id,
                frame.text,
                on_stored=lambda stored: self.ack(frame.client_id, stored),
            )
        elif isinstance(frame, Resume):
            self.chat.agent_conversation(self.me, frame.conversation_id)
            self.outbox.follow(frame.conversation_id, frame.after_seq, catch_up=False)
            self.outbox.catch_up(frame.conversation_id, frame.after_seq)
        elif isinstance(frame, Ownership):
            self.chat.agent_action(self.me, frame.conversation_id, frame.type)
        elif isinstance(frame, Assign):
            self.chat.agent_action(self.me, frame.conversation_id, "assign", assignee_id=frame.agent_id)
        elif isinstance(frame, AgentNote):
            note = self.chat.agent_note(self.me, frame.conversation_id, frame.text)
            self.outbox.put(
                {
                    "type": "ack",
                    "client_id": frame.client_id,
                    "conversation_id": frame.conversation_id,
                    "note_id": note["id"],
                }
            )
        elif isinstance(frame, AgentTyping):
            self.chat.agent_typing(self.me, frame.conversation_id)
        elif isinstance(frame, ReadUpTo):
            self.chat.agent_read(self.me, frame.conversation_id, frame.seq)


def recheck(svc: Services, sessions: Iterable[Any]) -> None:
    """Close those of ``sessions`` (a process's live sockets) whose agent credential no longer
    authenticates: one query for all of them."""
    live = [s for s in sessions if isinstance(s, AgentSession) and s.credential is not None]
    if not live:
        return
    valid = agents.still_valid(svc.db, [s.credential for s in live if s.credential is not None])
    for session in live:
        if session.credential not in valid:
            session.revoke()
