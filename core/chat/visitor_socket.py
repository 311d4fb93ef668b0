"""``/ws/visitor``: the shopper's socket (frames in docs/protocol.md).

The first frame is ``hello`` (site key, optional token, last seq seen). Each
``message`` is stored, and only then acknowledged, published to the bus for
other processes, and handed to the assistant queue.
"""
from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from core.chat import messages
from core.chat.frames import FrameError, Hello, Ping, SendMessage, error_frame, parse
from core.chat.outbox import Outbox
from core.db import Shop
from core.jobs import enqueue_assistant_reply
from core.security.tokens import BadToken, VisitorTokens
from core.services import Services, services

log = logging.getLogger(__name__)
sock = Sock()

HELLO_TIMEOUT = 15


def init_app(app: Flask) -> None:
    sock.init_app(app)


@sock.route("/ws/visitor")
def visitor_socket(ws: Any) -> None:
    VisitorSession(ws, services(), request.headers.get("Origin")).run()


class VisitorSession:
    def __init__(self, ws: Any, svc: Services, origin: str | None) -> None:
        self.ws = ws
        self.svc = svc
        self.origin = origin
        self.settings = svc.settings
        self.tokens = VisitorTokens(svc.settings.secret_key or "", svc.settings.visitor_token_ttl)
        self.shop_id: int | None = None
        self.visitor_id: str | None = None
        self.outbox = Outbox(ws, self._load_after, svc.settings.socket_queue_max)
        self.subscription: Any = None

    # -- lifecycle ------------------------------------------------------------

    def run(self) -> None:
        try:
            if self._hello():
                self._loop()
        except ConnectionClosed:
            pass
        finally:
            if self.subscription is not None:
                self.subscription.close()
            self.outbox.close()

    def _receive(self, timeout: float | None) -> str | bytes | None:
        return self.ws.receive(timeout=timeout)

    def _fatal(self, code: str, message: str) -> None:
        self.outbox.put(error_frame(code, message, fatal=True))
        self.outbox.close()
        self.ws.close(reason=1008, message=code)

    def _hello(self) -> bool:
        raw = self._receive(HELLO_TIMEOUT)
        if raw is None:
            self._fatal("hello_timeout", "send a hello frame first")
            return False
        try:
            frame = self._parse(raw)
        except FrameError as exc:
            self._fatal(exc.code, exc.message)
            return False
        if not isinstance(frame, Hello):
            self._fatal("hello_required", "the first frame must be hello")
            return False
        with self.svc.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.site_key == frame.site_key, Shop.active))
            if shop is None:
                self._fatal("unknown_site_key", "no shop has this site key")
                return False
            if shop.allowed_origins and _origin(self.origin) not in {
                _origin(o) for o in shop.allowed_origins
            }:
                self._fatal("origin_not_allowed", "this page's origin may not open the chat")
                return False
            try:
                if frame.token:
                    identity = self.tokens.read(frame.token, shop.id)
                    token = frame.token
                else:
                    token, identity = self.tokens.mint(shop.id)
            except BadToken as exc:
                self._fatal(exc.code, exc.message)
                return False
            self.shop_id, self.visitor_id = shop.id, identity.visitor_id
            conversation = messages.open_conversation(session, shop.id, identity.visitor_id)
            conversation_id = conversation.id if conversation else None
            last_seq = conversation.last_seq if conversation else 0
        self.outbox.put({
            "type": "welcome",
            "token": token,
            "conversation_id": conversation_id,
            "last_seq": last_seq,
        })
        if conversation_id is not None:
            self._follow(conversation_id, min(frame.after_seq, last_seq))
        return True

    def _loop(self) -> None:
        while not self.outbox.closed.is_set():
            raw = self._receive(timeout=1.0)
            if raw is None:
                continue
            try:
                frame = self._parse(raw)
                if isinstance(frame, SendMessage):
                    self._on_message(frame)
                elif isinstance(frame, Ping):
                    self.outbox.put({"type": "pong"})
                else:
                    raise FrameError("hello was already received", code="unexpected_frame")
            except FrameError as exc:
                frame_error = error_frame(exc.code, exc.message)
                client_id = _client_id_of(raw)
                if client_id is not None:
                    # Lets the client mark exactly that message as refused.
                    frame_error["client_id"] = client_id
                self.outbox.put(frame_error)

    # -- frames ---------------------------------------------------------------

    def _parse(self, raw: str | bytes) -> Hello | SendMessage | Ping:
        if len(raw) > self.settings.max_frame_bytes:
            raise FrameError(
                f"frames may be at most {self.settings.max_frame_bytes} bytes", code="frame_too_large"
            )
        return parse(raw)

    def _on_message(self, frame: SendMessage) -> None:
        text = frame.text.strip()
        if not text:
            raise FrameError("the message is empty", code="empty_message")
        if len(text) > self.settings.max_message_chars:
            raise FrameError(
                f"messages may be at most {self.settings.max_message_chars} characters",
                code="message_too_long",
            )
        assert self.shop_id is not None and self.visitor_id is not None
        if self.outbox.conversation_id is None:
            conversation = messages.start_conversation(self.svc.db, self.shop_id, self.visitor_id)
            self._follow(conversation.id, 0, catch_up=False)
        conversation_id = self.outbox.conversation_id
        assert conversation_id is not None
        stored = messages.append_message(
            self.svc.db, conversation_id, author="visitor", text=text, client_id=frame.client_id
        )
        msg = stored.message
        self.outbox.put({"type": "ack", "client_id": frame.client_id, "seq": msg.seq,
                         "conversation_id": conversation_id})
        if not stored.created:
            return
        message_frame = messages.message_frame(msg)
        self.outbox.put(message_frame)
        try:
            self.svc.bus.publish(conversation_id, message_frame)
            enqueue_assistant_reply(self.svc.redis, conversation_id, msg.seq)
        except Exception:  # noqa: BLE001 - stored and acknowledged; delivery catches up
            log.exception("could not publish or enqueue the reply for conversation %s", conversation_id)
            self.outbox.put(error_frame("temporarily_unavailable",
                                        "your message is saved; the reply may be delayed"))

    # -- delivery -------------------------------------------------------------

    def _follow(self, conversation_id: int, after_seq: int, *, catch_up: bool = True) -> None:
        self.outbox.conversation_id = conversation_id
        self.outbox.last_seq = after_seq
        self.subscription = self.svc.bus.subscribe(conversation_id, self.outbox.put)
        if catch_up:
            self.outbox.catch_up()

    def _load_after(self, conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        with self.svc.db.session() as session:
            while True:
                batch = messages.messages_after(session, conversation_id, after_seq)
                frames.extend(messages.message_frame(m) for m in batch)
                if len(batch) < 500:
                    return frames
                after_seq = batch[-1].seq


def _client_id_of(raw: str | bytes) -> str | None:
    """The ``client_id`` of a refused frame, when it can be read at all."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    cid = data.get("client_id") if isinstance(data, dict) else None
    return cid if isinstance(cid, str) and 0 < len(cid) <= 64 else None


def _origin(value: str | None) -> str:
    if not value:
        return ""
    parts = urlsplit(value.strip().lower())
    return f"{parts.scheme}://{parts.netloc}"
