"""The flask-sock extension both sockets register on, and how it compresses.

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
from typing import Any

import simple_websocket.ws
from flask import Flask
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.events import TextMessage
from wsproto.extensions import PerMessageDeflate

sock = Sock()

#: 2**11 bytes of window: more than a chat frame (16 KiB max, usually < 1 KiB) needs to find repeats.
WINDOW_BITS = 11

chat_deflate = functools.partial(
    PerMessageDeflate,
    client_no_context_takeover=True, server_no_context_takeover=True,
    client_max_window_bits=WINDOW_BITS, server_max_window_bits=WINDOW_BITS,
)


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
    simple_websocket.ws.PerMessageDeflate = chat_deflate  # type: ignore[attr-defined,misc]
    sock.init_app(app)
