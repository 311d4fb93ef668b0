"""The flask-sock extension both sockets register on."""
from __future__ import annotations

from flask import Flask
from flask_sock import Sock

sock = Sock()


def init_app(app: Flask) -> None:
    # Importing the socket modules registers their routes on ``sock``.
    from core.chat import agent_socket, visitor_socket  # noqa: F401

    sock.init_app(app)
