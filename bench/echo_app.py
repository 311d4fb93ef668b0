"""A bare flask-sock echo server: the floor the benchmark client measures against.

bench/realtime.py runs it under the same server StoreChat uses (gunicorn,
one gevent worker) and drives it with the same client, so the difference
between its figures and StoreChat's is StoreChat's own work (parse, store,
acknowledge, publish, relay), not the client or the transport.

    gunicorn -k gevent -w 1 --pythonpath bench echo_app:app
"""
from __future__ import annotations

from flask import Flask
from flask_sock import Sock

app = Flask(__name__)
# Same transport options as core/app.py (pings every 25 s, deflate accepted).
app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": 25, "max_message_size": 64 * 1024}
sock = Sock(app)


@sock.route("/echo")
def echo(ws):  # type: ignore[no-untyped-def]
    while True:
        data = ws.receive()
        if data is None:
            continue
        ws.send(data)
