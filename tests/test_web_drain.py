"""A web process told to stop (SIGTERM) ends its sockets and long-polls at once
with `server_restart`, so clients reconnect elsewhere instead of waiting."""
from __future__ import annotations

import os
import re
import signal
import time

import requests

from core.testing.cluster import Cluster
from tests.wsclient import VisitorClient

APPAREL_CSV = os.path.join(os.path.dirname(__file__), "data", "shopify", "apparel.csv")


def test_sigterm_ends_sockets_and_long_polls_promptly(tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    cluster = Cluster(tmp_path / "instance", {"STORECHAT_REDIS_URL": redis_url}, web=1, worker=False)
    cluster.start()
    try:
        created = cluster.cli("shop", "create", "Drain", "--csv", APPAREL_CSV).stdout
        site_key = re.search(r"site key: (\S+)", created).group(1)  # type: ignore[union-attr]
        base = cluster.url(0)
        visitor = VisitorClient(base)
        token = visitor.hello(site_key)["token"]
        visitor.say("hello")
        poll = {"site_key": site_key, "after_seq": 1, "wait": 25}

        import threading

        result: dict[str, object] = {}

        def long_poll() -> None:
            try:
                result["status"] = requests.get(base + "/api/v1/visitor/events", params=poll, timeout=30,
                                                headers={"Authorization": f"Bearer {token}"}).status_code
            except requests.RequestException as exc:
                result["status"] = exc.__class__.__name__

        poller = threading.Thread(target=long_poll)
        poller.start()
        time.sleep(0.5)
        started = time.monotonic()
        os.kill(cluster.webs[0].pid, signal.SIGTERM)  # type: ignore[union-attr]
        error = visitor.expect("error", timeout=5)
        assert error["code"] == "server_restart" and error["fatal"] is True
        poller.join(timeout=10)
        assert result["status"] == 200  # answered (empty) rather than cut off
        cluster.webs[0].wait(timeout=15)  # type: ignore[union-attr]
        assert time.monotonic() - started < 8  # well inside the 10 s graceful timeout
    finally:
        cluster.stop()
