"""The flask-sock extension both sockets register on (:class:`ChatSock`), how it
compresses, and the WebSocket server class it uses (:class:`ChatServer`).

simple-websocket answers a browser's ``permessage-deflate`` offer with
wsproto's defaults: 32 KiB windows and context takeover, so every socket
keeps a zlib compressor and decompressor (about 100 KiB) for its whole life
once a frame went each way. Chat frames are small and far apart, so
StoreChat negotiates no context takeover in both directions and small
windows: a frame is still compressed, and an idle socket holds no zlib state
(bench/realtime.py, figure 2, measures the difference).
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import flask_sock
import simple_websocket
import simple_websocket.ws
from flask import Blueprint, Flask, Response, current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.events import BytesMessage, CloseConnection, Event, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason


class _SocketDone(Response):
    """What a socket's route returns once the socket is done: no HTTP response is
    written (gunicorn: none at all; werkzeug's server: its own handling)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def __call__(self, environ: Any, start_response: Any) -> Any:
        if self.mode == "gunicorn":
            raise StopIteration()
        if self.mode == "werkzeug":
            return super().__call__(environ, start_response)
        return []


class ChatSock(Sock):
    """flask-sock's extension, with routes that leave no reference cycle behind.

    flask-sock's own route builds a response class per connection, whose
    method closes over the connection: a class is a reference cycle, so the
    closed connection (its WebSocket, socket, buffers: about 60 objects) was
    kept until the cycle collector found the class, and for good if a
    collection froze it first (core/gc_schedule.py). Here one response class
    serves every connection, and a closed connection is freed by reference
    counting the moment its handler returns (tests/core/test_socket_garbage.py).
    """

    bp: Blueprint | None  # flask-sock's own (its __init__ sets it); flask-sock has no types

    def route(self, path: str, bp: Any = None, **kwargs: Any) -> Any:
        def decorator(handler: Any) -> Any:
            @functools.wraps(handler)
            def websocket_route(*args: Any, **kw: Any) -> Response:
                ws = ChatServer(request.environ, **current_app.config.get("SOCK_SERVER_OPTIONS", {}))
                try:
                    handler(ws, *args, **kw)
                except ConnectionClosed:
                    pass
                try:
                    ws.close()
                except Exception:  # noqa: BLE001 - closed already
                    pass
                return _SocketDone(ws.mode)

            kwargs["websocket"] = True
            if bp is not None:
                bp.route(path, **kwargs)(websocket_route)
            elif self.app is not None:
                self.app.route(path, **kwargs)(websocket_route)
            else:
                if self.bp is None:
                    self.bp = Blueprint("__flask_sock", flask_sock.__name__)
                self.bp.route(path, **kwargs)(websocket_route)
            return handler

        return decorator


sock = ChatSock()

#: 2**11 bytes of window: more than a chat frame (16 KiB max, usually < 1 KiB) needs to find repeats.
WINDOW_BITS = 11

chat_deflate = functools.partial(
    PerMessageDeflate,
    client_no_context_takeover=True,
    server_no_context_takeover=True,
    client_max_window_bits=WINDOW_BITS,
    server_max_window_bits=WINDOW_BITS,
)


#: How long, and how much input, a closing socket reads and drops while the
#: client finishes sending (see :meth:`ChatSocket.close`).
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


class ChatSocket:
    """The connection's socket as simple-websocket uses it: whole writes, and a
    close that does not throw away the last frame.

    simple-websocket writes each frame with one ``sock.send()`` and ignores
    how much was written. On a gevent socket whose send buffer is nearly full
    (a client reading slowly), that is only part of the frame; the rest is
    lost and the client reads the next frame's header as payload. Writing
    with ``sendall`` under one lock keeps every frame whole, and unmixed with
    the pings and close frames simple-websocket's reader sends.

    Closing a TCP socket that still has unread input (the rest of a frame
    too large to read) sends a reset, and a reset makes the client's system
    drop what the client had not read yet: the close frame (1009) that says
    why. So :meth:`close` first ends the sending side (the client gets
    everything sent, then end-of-stream), reads and drops what still arrives
    until the client closes too, for at most ``LINGER_SECONDS`` and
    ``LINGER_BYTES``, and only then closes.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def send(self, data: bytes, *args: Any) -> int:
        with self._lock:
            self._sock.sendall(data, *args)
        return len(data)

    def close(self) -> None:
        try:
            with self._lock:
                self._sock.shutdown(socket.SHUT_WR)
            deadline, drained = time.monotonic() + LINGER_SECONDS, 0
            while drained < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._sock.settimeout(left)
                chunk = self._sock.recv(65536)
                if not chunk:
                    break  # the client has closed its side: nothing unread is left
                drained += len(chunk)
        except OSError:
            pass  # already reset or closed: nothing left to save
        finally:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _SizedMessages:
    """wsproto's connection as simple-websocket reads it, with each message's
    size counted in bytes (UTF-8 for text) and cut off past ``limit``.

    simple-websocket counts a text message's size in characters, so a
    message of non-ASCII text could be up to four times larger than its
    ``max_message_size`` in bytes.
    """

    def __init__(self, conn: Any, limit: int | None) -> None:
        self._conn = conn
        self.limit = limit
        self.size = 0
        self.too_big = False

    def events(self) -> Iterator[Event]:
        for event in self._conn.events():
            if isinstance(event, (TextMessage, BytesMessage)) and self.limit:
                data = event.data
                self.size += len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
                if self.size > self.limit:
                    self.too_big = True
                    return  # read nothing more: the connection is closed with 1009
                if event.message_finished:
                    self.size = 0
            yield event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class ChatServer(simple_websocket.Server):
    """simple-websocket's server, as the chat sockets need it: message sizes in
    bytes, whole writes, and a close frame that reaches the client."""

    def __init__(self, environ: dict[str, Any], *, max_message_size: int | None = None, **options: Any) -> None:
        self._limit = max_message_size
        # The base class's own limit counts characters: ours replaces it.
        super().__init__(environ, max_message_size=None, **options)

    # The base class sets both in its constructor (and starts reading right after).
    @property
    def sock(self) -> Any:
        return self._chat_sock

    @sock.setter
    def sock(self, value: Any) -> None:
        self._chat_sock = value if value is None or isinstance(value, ChatSocket) else ChatSocket(value)

    @property
    def ws(self) -> Any:
        return self._sized

    @ws.setter
    def ws(self, conn: Any) -> None:
        self._sized = _SizedMessages(conn, self._limit)

    def _handle_events(self) -> bool:
        # simple_websocket's private event loop, which its typeshed stubs leave out.
        keep_going = bool(super()._handle_events())  # type: ignore[misc]
        if self._sized.too_big:
            try:
                self.sock.send(self._sized.send(CloseConnection(CloseReason.MESSAGE_TOO_BIG, "Message is too big")))
            except OSError:
                pass
            keep_going = False
        if not keep_going:
            # Wake the handler now: it may have gone back to waiting after an
            # earlier wake-up, before the connection was marked closed.
            self.connected = False
            self.event.set()
        return keep_going


def send_texts(ws: Any, texts: list[str]) -> None:
    """Send text frames with one write to the socket (``ws.send`` writes each alone)."""
    if len(texts) == 1:
        ws.send(texts[0])
        return
    if not ws.connected:
        raise ConnectionClosed(ws.close_reason, ws.close_message)
    ws.sock.send(b"".join(ws.ws.send(TextMessage(data=text)) for text in texts))


def init_app(app: Flask) -> None:
    # Importing the socket modules registers their routes on ``sock``.
    from core.chat import agent_socket, visitor_socket  # noqa: F401

    # simple-websocket builds its accepted extension from this module global
    # (Base._handle_events); there is no option for it.
    simple_websocket.ws.PerMessageDeflate = chat_deflate  # type: ignore[attr-defined]
    sock.init_app(app)
