"""One visitor in its own process, for the vanished-peer measurement of
bench/realtime.py: it connects, says hello, prints its local port, then just
reads (answering the server's pings, as a browser does) until the socket
closes, and prints how it closed.

The benchmark SIGKILLs it (the kernel then closes the TCP connection) or
SIGSTOPs it (the connection stays up but nothing answers the server's
pings any more) and times how long the server takes to drop it.

    python bench/peer.py ws://127.0.0.1:PORT/ws/visitor SITE_KEY
"""
from __future__ import annotations

import json
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def main(url: str, site_key: str) -> None:
    # websockets' default offer is exactly a browser's: "permessage-deflate; client_max_window_bits".
    with connect(url, compression="deflate", ping_interval=None, proxy=None, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "site_key": site_key, "after_seq": 0}))
        while json.loads(ws.recv(timeout=10)).get("type") != "welcome":
            pass
        print(json.dumps({"port": ws.socket.getsockname()[1]}), flush=True)
        try:
            while True:
                ws.recv()
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            print(json.dumps({"closed": True, "code": rcvd.code if rcvd else None,
                              "reason": rcvd.reason if rcvd else None}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
