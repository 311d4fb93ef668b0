"""``/ws/visitor``: the shopper's socket (frames in docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from flask import request

from core.chat import messages
from core.chat.frames import AskHuman, Hello, LeaveContact, Rate, SendMessage, Typing
from core.chat.presence import Beat
from core.chat.service import VisitorContext
from core.chat.sock import sock
from core.chat.socket_session import SocketSession
from core.services import services


@sock.route("/ws/visitor")
def visitor_socket(ws: Any) -> None:
    VisitorSession(ws, services(), request.remote_addr or "", request.headers.get("Origin")).run()


class VisitorSession(SocketSession):
    def __init__(self, ws: Any, svc: Any, ip: str, origin: str | None) -> None:
        super().__init__(ws, svc, ip)
        self.origin = origin
        self.ctx: VisitorContext | None = None

    def on_hello(self, frame: Hello) -> None:
        ctx = self.ctx = self.chat.visitor_hello(
            frame.site_key,
            frame.token,
            self.origin,
            identity=frame.identity,
            page=frame.page,
            locale=frame.locale,
            cart=frame.cart,
            ab=frame.ab,
        )
        self.outbox.put(ctx.welcome())
        if ctx.conversation_id is not None:
            self._follow(ctx.conversation_id, min(frame.after_seq, ctx.last_seq))

    def on_frame(self, frame: Any) -> None:
        assert self.ctx is not None
        if isinstance(frame, SendMessage):
            self.chat.visitor_message(
                self.ctx,
                frame.client_id,
                frame.text,
                self.ip,
                on_stored=lambda stored: self._stored(frame.client_id, stored),
            )
        elif isinstance(frame, Typing):
            self.chat.visitor_typing(self.ctx)
        elif isinstance(frame, AskHuman):
            self.chat.visitor_asks_for_human(self.ctx)
        elif isinstance(frame, Rate):
            self.chat.visitor_rates(self.ctx, frame.conversation_id, frame.score, frame.comment, ip=self.ip)
            self.outbox.put({"type": "rated", "conversation_id": frame.conversation_id, "score": frame.score})
        elif isinstance(frame, LeaveContact):
            self.chat.visitor_leaves_contact(self.ctx, frame.email, ip=self.ip)
            self.outbox.put({"type": "contact_saved"})

    def _stored(self, client_id: str, stored: messages.Stored) -> None:
        if not self.outbox.following(stored.message.conversation_id):
            # The first line, or the first after the last conversation was closed.
            self._follow(stored.message.conversation_id, 0, catch_up=False)
        self.ack(client_id, stored)

    def _follow(self, conversation_id: int, after_seq: int, *, catch_up: bool = True) -> None:
        self.outbox.follow(conversation_id, after_seq, catch_up=catch_up)
        self.subscriptions.append(
            self.svc.bus.subscribe_conversation(conversation_id, self.outbox.put, on_reconnect=self.outbox.catch_up_all)
        )
        beat = self.presence_beat()
        if beat is not None and self.best_effort(self.svc.presence.beat, beat):
            self.back_online()

    def presence_beat(self) -> Beat | None:
        ctx = self.ctx
        if ctx is None or ctx.conversation_id is None:
            return None
        return self.svc.presence.visitor(ctx.shop_id, ctx.conversation_id, self.connection_id)

    def back_online(self) -> None:
        ctx = self.ctx
        if ctx is not None and ctx.conversation_id is not None:
            self.best_effort(self.chat.announce_presence, ctx.shop_id, conversation_id=ctx.conversation_id)

    def closed(self) -> None:
        ctx = self.ctx
        if ctx is not None and ctx.conversation_id is not None:
            self.best_effort(self.svc.presence.visitor_gone, ctx.shop_id, ctx.conversation_id, self.connection_id)
            self.best_effort(self.chat.announce_presence, ctx.shop_id, conversation_id=ctx.conversation_id)
