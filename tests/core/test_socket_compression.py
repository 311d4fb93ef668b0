"""Sockets compress frames without keeping zlib state between them (docs in core/chat/sock.py)."""
from __future__ import annotations

import json

from websockets.sync.client import connect


def test_deflate_is_negotiated_without_context_takeover(base_url) -> None:  # type: ignore[no-untyped-def]
    url = base_url.replace("http", "ws", 1) + "/ws/visitor"
    # websockets offers what browsers offer: permessage-deflate; client_max_window_bits.
    with connect(url) as ws:
        negotiated = ws.response.headers["Sec-WebSocket-Extensions"]
        params = {p.strip() for p in negotiated.split(";")}
        assert "permessage-deflate" in params
        assert {"server_no_context_takeover", "client_no_context_takeover"} <= params
        assert "client_max_window_bits=11" in params

        ws.send(json.dumps({"type": "hello", "site_key": "sk_test"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        # Several compressed frames each way, each decodable on its own.
        for n in range(3):
            text = f"do you have the linen shirt in size {n}? " * 20
            ws.send(json.dumps({"type": "message", "client_id": f"c{n}", "text": text}))
            seen = set()
            while len(seen) < 2:
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("client_id") == f"c{n}":
                    seen.add(frame["type"])
            assert seen == {"ack", "message"}
