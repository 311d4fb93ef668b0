"""A visitor that stops reading while an agent floods its conversation is
cut off with ``resume_required`` once its (small) queue is full, instead of
the server buffering the flood; it reconnects and gets every message exactly
once. The web processes' memory stays bounded throughout."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tests.realtime.conftest import (A, B, DB_PARAMS, Live, assert_exactly_once, deploy, drain, healed,
                                     raw_socket, rss_kib, seqs_of, worker_pids)

#: The flood: far more than the kernel's socket buffers hold (about 3 MB on
#: loopback here) plus a queue of 32 frames, and more than the bound asserted
#: on the stalled reader's process below, so a server that buffered the flood
#: for the stalled reader fails the test. (Fewer, bigger messages than a real
#: chat has: each message costs about 10-20 ms to store and fan out here, and
#: the bytes, not the count, are what must overflow.)
FLOOD = 800
TEXT_CHARS = 12_000
ENV = {
    "STORECHAT_SOCKET_QUEUE_MAX": "32",
    "STORECHAT_MAX_MESSAGE_CHARS": str(TEXT_CHARS + 100),
    "STORECHAT_MAX_FRAME_BYTES": str(64 * 1024),
}
#: The stalled reader's process holds at most its 32 queued frames (~0.4 MB).
STALLED_MAX_GROWTH_KIB = 4 * 1024
#: Any web process, at any point.
MAX_GROWTH_KIB = 50 * 1024


@pytest.fixture(scope="module", params=DB_PARAMS)
def small_queues(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with deploy(tmp_path_factory.mktemp(f"stalled-{request.param}"), request.param, "realtime_stalled",
                ENV) as deployment:
        yield deployment


@pytest.fixture
def rt(small_queues: Live) -> Iterator[Live]:
    yield from healed(small_queues)


def _rss(rt: Live, web: int) -> int:
    proc = rt.cluster.webs[web]
    assert proc is not None
    pids = worker_pids(proc.pid)
    assert pids, "no gunicorn worker found"
    return sum(rss_kib(p) for p in pids)


def _read_until_closed(ws: websocket.WebSocket, timeout: float = 10) -> list[dict[str, Any]]:
    """Every frame until the server closes the socket."""
    ws.settimeout(timeout)
    frames: list[dict[str, Any]] = []
    try:
        while True:
            data = ws.recv()
            if not data:
                return frames
            frames.append(json.loads(data))
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return frames
    except (websocket.WebSocketPayloadException, websocket.WebSocketProtocolException,
            UnicodeDecodeError, ValueError) as exc:
        last = seqs_of(frames)[-1:] or None
        raise AssertionError(
            f"a corrupt frame on the wire after {len(frames)} good frames (last seq {last}): "
            f"{type(exc).__name__}: {str(exc)[:200]}...{str(exc)[-120:]}"
        ) from None


def test_a_stalled_reader_is_cut_off_and_resumes_exactly_once(rt: Live) -> None:
    agent = rt.agent(B)
    visitor, welcome = rt.visitor(A)
    token = welcome["token"]
    conv = visitor.say("hello")["conversation_id"]
    assert visitor.assistant_reply()["seq"] == 2
    assert agent.say(conv, "Ann here.")["seq"] == 4  # 3: the takeover notice; the assistant stays out
    visitor.expect("message", lambda f: f["seq"] == 4, timeout=5)
    visitor.close()

    # The stalled reader: says hello, then never reads (and has a tiny receive buffer).
    stalled = raw_socket(rt.cluster.url(A), "/ws/visitor", rcvbuf=4096)
    stalled.send(json.dumps({"type": "hello", "site_key": rt.shop.site_key, "token": token, "after_seq": 4}))
    time.sleep(0.5)
    rss_before = {web: _rss(rt, web) for web in (A, B)}

    # The agent floods the conversation, a few frames at a time (reading all the while:
    # its own socket must not fall behind).
    window = 5
    for start in range(0, FLOOD, window):
        ids = [agent.send_message(conv, f"{i:05d} " + "x" * TEXT_CHARS) for i in range(start, start + window)]
        for client_id in ids:
            agent.expect("ack", lambda f, c=client_id: f["client_id"] == c, timeout=30)  # type: ignore[misc]
        agent.pending = [f for f in agent.pending if f["type"] != "message"]  # keep expect() cheap
    last_seq = 4 + FLOOD
    time.sleep(1.0)
    rss_flooded = {web: _rss(rt, web) for web in (A, B)}

    # The reader wakes up: what fitted in the buffers and its queue, then resume_required, then the close.
    first = _read_until_closed(stalled)
    stalled.close()
    assert first and first[0]["type"] == "welcome", first[:1]
    errors = [f for f in first if f["type"] == "error"]
    assert [(e["code"], e["fatal"]) for e in errors] == [("resume_required", True)], (errors, seqs_of(first)[-3:])
    assert first[-1] is errors[0], "resume_required must be the last frame"
    seen = seqs_of(first, conv)
    assert seen, "nothing was delivered before the cut-off"
    assert len(seen) < FLOOD, "the whole flood was buffered: the reader was never cut off"
    assert_exactly_once(seen, seen[-1], first=5)

    # It reconnects (to the other process, why not) and resumes from the last seq it saw.
    again, welcome = rt.visitor(B, token=token, after_seq=seen[-1])
    assert welcome["last_seq"] == last_seq
    rest = [again.expect("message", timeout=30) for _ in range(last_seq - seen[-1])]
    drain(again, 0.5)
    rss_resumed = {web: _rss(rt, web) for web in (A, B)}
    assert_exactly_once(seen + [m["seq"] for m in rest] + seqs_of(again.pending, conv), last_seq, first=5)
    assert rest[-1]["text"].startswith(f"{FLOOD - 1:05d} ")

    # The agent got each of its messages once, and was never cut off itself.
    agent.drain(0.5)
    assert not [f for f in agent.frames if f["type"] == "error"]
    assert_exactly_once([s for s in agent.seqs(conv) if s > 4], last_seq, first=5)

    growth = {web: {"flooded": rss_flooded[web] - rss_before[web], "resumed": rss_resumed[web] - rss_before[web]}
              for web in (A, B)}
    assert growth[A]["flooded"] < STALLED_MAX_GROWTH_KIB, f"RSS growth in KiB: {growth}"
    for web in (A, B):
        assert max(growth[web].values()) < MAX_GROWTH_KIB, f"RSS growth in KiB: {growth}"
