"""A closed connection leaves no cyclic garbage: reference counting frees it.

A web process freezes what is alive (core/gc_schedule.py), and the cycle
collector never looks at frozen objects again short of a full pass. So a
socket's objects must be freed by reference counting once it closes, with
no collection at all: this runs with the collector off and looks at what
is left (bench/gc_garbage.py measures the same in a real gevent worker).
"""
from __future__ import annotations

import collections
import gc
import json
import threading
import urllib.request
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from core.agents import create_agent
from core.app import create_app
from tests.live import serve, wait_for
from tests.wsclient import AgentClient, VisitorClient

N = 12
#: Modules whose objects make up a connection on the server.
SERVER_MODULES = ("core", "simple_websocket", "wsproto", "flask_sock", "h11")


@pytest.fixture
def served(settings, db, redis, shop) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    app = create_app(settings)
    with serve(app) as url:
        yield url, app.extensions["storechat"]
    app.extensions["storechat"].close()


def _http(url: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())  # type: ignore[no-any-return]


def _connections(url: str, credential: str, n: int) -> tuple[list[Any], list[Any]]:
    """``n`` visitor sockets (each with a line stored), ``n`` agent sockets, and ``n``
    visitors' worth of HTTP fallback (hello, a line, a short long-poll)."""
    visitors, agents = [], []
    for i in range(n):
        visitor = VisitorClient(url)
        visitor.hello("sk_test")
        visitor.say(f"hello {i}")
        visitors.append(visitor)
        agent = AgentClient(url)
        agent.hello(credential)
        agents.append(agent)
        token = _http(url, "/api/v1/visitor/hello", {"site_key": "sk_test"})["token"]
        _http(url, "/api/v1/visitor/messages", {"site_key": "sk_test", "token": token, "client_id": f"h{i}",
                                                "text": "hi"})
        _http(url, "/api/v1/visitor/events?site_key=sk_test&after_seq=1&wait=0", token=token)
    return visitors, agents


def test_closed_connections_are_freed_by_reference_counting(served, db, shop) -> None:  # type: ignore[no-untyped-def]
    url, svc = served
    credential = create_agent(db, shop.id, "Alex")[1]
    visitors, agents = _connections(url, credential, 1)
    for client in visitors + agents:
        client.close()  # first use: caches filled, modules loaded
    assert wait_for(lambda: len(svc.connections) == 0)
    gc.collect()
    gc.disable()
    try:
        visitors, agents = _connections(url, credential, N)
        assert wait_for(lambda: len(svc.connections) == 2 * N)
        alive = [weakref.ref(obj) for session in svc.connections._snapshot()
                 for obj in (session, session.ws, session.ws.sock, session.outbox)]
        for client in visitors + agents:
            client.close()
        assert wait_for(lambda: len(svc.connections) == 0)
        # Without any collection, each closed socket's session, WebSocket, socket and outbox go.
        freed = wait_for(lambda: all(ref() is None for ref in alive), timeout=5)
        left = collections.Counter(type(ref()).__qualname__ for ref in alive if ref() is not None)
        assert freed, f"kept after close until the cycle collector runs: {dict(left)}"

        # And nothing of the server's side of a connection is left for the collector.
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
                                      if type(o).__module__.split(".")[0] in SERVER_MODULES)
        assert sum(garbage.values()) <= N // 4, f"cyclic garbage of {3 * N} connections: {dict(garbage)}"
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_live_connections_count_sockets_and_visitor_requests_in_progress(served) -> None:  # type: ignore[no-untyped-def]
    """What the GC schedule expects alive grows with these (core/gc_schedule.py)."""
    url, svc = served
    token = _http(url, "/api/v1/visitor/hello", {"site_key": "sk_test"})["token"]
    _http(url, "/api/v1/visitor/messages", {"site_key": "sk_test", "token": token, "client_id": "a", "text": "hi"})
    assert svc.connections.live() == 0  # each request counted only while it is served
    socket = VisitorClient(url)
    socket.hello("sk_test")
    polls = [threading.Thread(target=_http, args=(url, "/api/v1/visitor/events?site_key=sk_test&after_seq=1&wait=3"),
                              kwargs={"token": token}) for _ in range(2)]
    for poll in polls:
        poll.start()
    assert wait_for(lambda: svc.connections.live() == 3)  # the socket and two long polls
    socket.close()
    for poll in polls:
        poll.join(timeout=10)
    assert wait_for(lambda: svc.connections.live() == 0)
