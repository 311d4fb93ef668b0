#!/usr/bin/env python
"""How much cyclic garbage a closed socket leaves in a real web process: prints figures.

    .venv/bin/python bench/gc_garbage.py [--sockets 200] [--database-url postgresql://...]

A web process (``storechat web``: gunicorn, one gevent worker, SQLite unless
--database-url) on loopback with a private redis-server. For each kind of
connection (a visitor socket that says hello and sends a line, an agent
socket, the HTTP fallback's hello + message + a short long-poll), the
client opens and closes ``--sockets`` of them one after the other; around
that, inside the worker, a probe unfreezes and collects everything, turns
``gc.DEBUG_SAVEALL`` on (the collector keeps what it finds instead of
freeing it), and afterwards collects again: what it found is the garbage
that only the cycle collector could free, which a web process's frozen
generation keeps until a full pass (core/gc_schedule.py). The figure is
that count per connection, with the types that make it up.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

#: In the web worker: where the probe reads its commands and writes its answers.
CSV = ROOT / "connectors" / "csv" / "demo" / "apparel.csv"
PROBE_ENV = "STORECHAT_BENCH_GC_PROBE"


# -- the probe, inside the web worker ------------------------------------------------


def _type_name(obj: Any) -> str:
    kind = type(obj)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if kind.__name__ == "frame":
        name += f" ({obj.f_code.co_name} in {Path(obj.f_code.co_filename).name})"
    elif kind.__name__ == "function":
        name += f" ({obj.__qualname__})"
    elif kind.__name__ == "cell":
        try:
            name += f" (of {type(obj.cell_contents).__qualname__})"
        except ValueError:
            name += " (empty)"
    return name


def _cycles(garbage: list[Any]) -> list[tuple[str, int]]:
    """The cycles in the garbage (its strongly connected components), each named by its
    members' types; "holds the rest": no other garbage refers to it."""
    import gc

    index = {id(o): i for i, o in enumerate(garbage)}
    edges = [[index[id(r)] for r in gc.get_referents(o) if id(r) in index] for o in garbage]
    # Tarjan's strongly connected components, without recursion.
    order, low, on_stack, stack, comp = [-1] * len(garbage), [0] * len(garbage), [False] * len(garbage), [], \
        [-1] * len(garbage)
    counter, ncomp = 0, 0
    for root in range(len(garbage)):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            recurse = False
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if order[nxt] == -1:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if on_stack[nxt]:
                    low[node] = min(low[node], order[nxt])
            if recurse:
                continue
            if low[node] == order[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    comp[member] = ncomp
                    if member == node:
                        break
                ncomp += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    looped = {comp[i] for i, out in enumerate(edges) for j in out if comp[j] == comp[i]}
    referred = {comp[j] for i, out in enumerate(edges) for j in out if comp[j] != comp[i]}
    members: dict[int, list[str]] = collections.defaultdict(list)
    for i, c in enumerate(comp):
        if c in looped:
            members[c].append(_type_name(garbage[i]))
    return collections.Counter(("" if c in referred else "(holds the rest) ") + " + ".join(sorted(names))
                               for c, names in members.items()).most_common(12)


def _probe(folder: Path) -> None:
    """Commands: ``mark`` (collect everything, freeze it: a clean start), ``freeze`` (what
    the GC schedule does while sockets are open: collect the unfrozen, freeze the
    survivors) and ``report`` (the cyclic garbage among the unfrozen, then among the
    frozen: the latter is what only a full pass would free)."""
    import gc

    command, answer = folder / "probe.cmd", folder / "probe.out"
    while True:
        time.sleep(0.1)
        if not command.exists():
            continue
        what = command.read_text().strip()
        command.unlink()
        result: dict[str, Any] = {}
        # The GC schedule's callbacks freeze after each old-generation collection: not
        # while the probe collects on its own terms.
        callbacks = list(gc.callbacks)
        gc.callbacks.clear()
        if what == "mark":
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            result["frozen"] = gc.get_freeze_count()
        elif what == "freeze":
            gc.collect()
            gc.freeze()
            result["frozen"] = gc.get_freeze_count()
        elif what == "report":
            for label in ("young", "frozen"):
                if label == "frozen":
                    gc.unfreeze()
                gc.set_debug(gc.DEBUG_SAVEALL)
                gc.collect()
                gc.set_debug(0)
                garbage = list(gc.garbage)
                gc.garbage.clear()
                result[label] = {"count": len(garbage), "types": collections.Counter(
                    _type_name(o) for o in garbage).most_common(60), "cycles": _cycles(garbage)}
                del garbage
                gc.collect()  # now free it (what a young collection, or a full pass, does)
            gc.freeze()
        gc.callbacks.extend(callbacks)
        answer.with_suffix(".tmp").write_text(json.dumps(result))
        answer.with_suffix(".tmp").replace(answer)


def serve() -> None:
    """``storechat web`` with the probe started in the worker next to its GC schedule."""
    import os
    import threading

    from core import cli, gc_schedule

    start = gc_schedule.GcSchedule.start

    def start_with_probe(self: Any) -> None:
        start(self)
        threading.Thread(target=_probe, args=(Path(os.environ[PROBE_ENV]),), daemon=True).start()

    gc_schedule.GcSchedule.start = start_with_probe  # type: ignore[method-assign]
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    cli.main()


# -- the client ------------------------------------------------------------------------


def ask(folder: Path, what: str, timeout: float = 60) -> dict[str, Any]:
    answer = folder / "probe.out"
    answer.unlink(missing_ok=True)
    (folder / "probe.cmd").write_text(what)
    deadline = time.monotonic() + timeout
    while not answer.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the probe in the web worker did not answer")
        time.sleep(0.05)
    return json.loads(answer.read_text())  # type: ignore[no-any-return]


class Visitor:
    """A visitor socket that said hello and sent a line."""

    def __init__(self, url: str, site_key: str, n: int) -> None:
        import websocket

        self.ws = websocket.create_connection(url.replace("http://", "ws://") + "/ws/visitor", timeout=30)
        self.ws.send(json.dumps({"type": "hello", "site_key": site_key}))
        _until(self.ws, "welcome")
        self.ws.send(json.dumps({"type": "message", "client_id": f"c{n}", "text": "hello"}))
        _until(self.ws, "ack")
        self.n, self.lines = n, 0

    def traffic(self) -> None:
        self.lines += 1
        self.ws.send(json.dumps({"type": "message", "client_id": f"c{self.n}.{self.lines}", "text": "more"}))
        _until(self.ws, "ack")

    def close(self) -> None:
        self.ws.close()


class Agent:
    """An agent socket after its welcome."""

    def __init__(self, url: str, credential: str, _n: int) -> None:
        import websocket

        self.ws = websocket.create_connection(url.replace("http://", "ws://") + "/ws/agent", timeout=30)
        self.ws.send(json.dumps({"type": "hello", "credential": credential}))
        _until(self.ws, "welcome")

    def traffic(self) -> None:
        self.ws.send(json.dumps({"type": "ping"}))
        _until(self.ws, "pong")

    def close(self) -> None:
        self.ws.close()


class HttpVisitor:
    """The HTTP fallback: hello, a line, then a long poll held open until close()."""

    def __init__(self, url: str, site_key: str, n: int) -> None:
        import threading

        self.url, self.site_key = url, site_key
        self.token = self.post("hello", {"site_key": site_key})["token"]
        self.post("messages", {"site_key": site_key, "token": self.token, "client_id": f"h{n}", "text": "hi"})
        self.polling = threading.Thread(target=self.poll, daemon=True)
        self.polling.start()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(self.url + "/api/v1/visitor/" + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())  # type: ignore[no-any-return]

    def poll(self) -> None:
        req = urllib.request.Request(f"{self.url}/api/v1/visitor/events?site_key={self.site_key}&after_seq=1"
                                     "&wait=6", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as res:
            res.read()

    def traffic(self) -> None:
        time.sleep(0.01)  # the long polls in flight are the traffic

    def close(self) -> None:
        self.polling.join()


def _until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        raw = ws.recv()
        if not raw:
            raise RuntimeError(f"the server closed the socket while the bench waited for {kind!r}")
        frame = json.loads(raw)
        if frame["type"] == "error" and frame.get("fatal"):
            raise RuntimeError(f"the server refused the socket: {frame}")
        if frame["type"] == kind:
            return frame  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockets", type=int, default=200, help="connections of each kind (default 200)")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temporary folder)")
    ap.add_argument("--top", type=int, default=12, help="types listed per kind")
    ap.add_argument("--freezes", type=int, default=6, help="collections and freezes while the traffic runs")
    args = ap.parse_args()

    from core.testing.cluster import RedisServer

    with tempfile.TemporaryDirectory(prefix="storechat-gc-") as tmp_name:
        tmp = Path(tmp_name)
        redis = RedisServer(tmp / "redis")
        redis.start()
        try:
            _run(args, tmp, redis.url)
        finally:
            redis.stop()


def _run(args: argparse.Namespace, tmp: Path, redis_url: str) -> None:
    from core.testing.cluster import Cluster, free_port

    env = {
        "STORECHAT_REDIS_URL": redis_url,
        "STORECHAT_DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "STORECHAT_SECRET_KEY": "bench-secret-" + "x" * 40,
        "STORECHAT_LOG_LEVEL": "WARNING",
        "STORECHAT_VISITOR_MESSAGE_RATE": "1000", "STORECHAT_VISITOR_MESSAGE_BURST": "1000",
        "STORECHAT_IP_MESSAGE_RATE": "1000", "STORECHAT_IP_MESSAGE_BURST": "1000",
        # Every connection comes from 127.0.0.1.
        "STORECHAT_MAX_CONNECTIONS_PER_IP": "100000",
        PROBE_ENV: str(tmp),
    }
    cluster = Cluster(tmp / "instance", env, web=1, worker=False)
    cluster.cli("migrate")
    out = cluster.cli("shop", "create", "GC shop", "--csv", str(CSV)).stdout
    site_key = re.search(r"site key: (\S+)", out).group(1)  # type: ignore[union-attr]
    shop_id = re.search(r"shop id: (\d+)", out).group(1)  # type: ignore[union-attr]
    credential = re.search(r"credential: (\S+)",  # type: ignore[union-attr]
                           cluster.cli("agent", "create", shop_id, "--name", "GC agent").stdout).group(1)
    # The web process runs this file's serve(): `storechat web` plus the probe.
    cluster.webs.append(None)
    cluster.ports.append(free_port())
    _start_web_with_probe(cluster)
    url = cluster.url(0)
    try:
        for kind, make, key in (("visitor socket", Visitor, site_key), ("agent socket", Agent, credential),
                                ("HTTP fallback (hello, message, a long poll)", HttpVisitor, site_key)):
            make(url, key, -1).close()  # warm: first-use caches are not garbage
            time.sleep(1.0)
            before = ask(tmp, "mark")["frozen"]
            opened = [make(url, key, n) for n in range(args.sockets)]
            time.sleep(0.5)
            held = ask(tmp, "freeze")["frozen"] - before
            # Traffic on every connection while the GC schedule freezes what is alive
            # now and then (what it does every minute, or after a few thousand objects).
            stop = threading.Event()

            def traffic() -> None:
                while not stop.is_set():
                    for conn in opened:
                        conn.traffic()

            mover = threading.Thread(target=traffic, daemon=True)
            mover.start()
            for _ in range(args.freezes):
                time.sleep(0.5)
                ask(tmp, "freeze")
            stop.set()
            mover.join()
            for conn in opened:
                conn.close()
            del opened
            time.sleep(3.0)  # the handlers finish their close (a socket lingers up to 2 s)
            report = ask(tmp, "report")
            print(f"\n{kind}: {args.sockets} opened ({held / args.sockets:.0f} objects each, frozen), "
                  f"traffic with {args.freezes} freezes meanwhile, closed", flush=True)
            for label, what in (("frozen", "among the frozen objects (only a full pass frees it)"),
                                ("young", "among the young objects (young collections free it)")):
                count = report[label]["count"]
                print(f"  cyclic garbage {what}: {count} objects, {count / args.sockets:.1f} per connection")
                for name, n in report[label]["types"][:args.top]:
                    print(f"    {n / args.sockets:8.2f}  {name}")
                for name, n in report[label]["cycles"]:
                    print(f"    cycle x{n / args.sockets:.2f} per connection: {name}")
    finally:
        cluster.stop()


def _start_web_with_probe(cluster: Any) -> None:
    import subprocess

    ready = cluster.instance / "web0.ready"
    cluster.webs[0] = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "web", "--host", "127.0.0.1",
         "--port", str(cluster.ports[0]), "--workers", "1", "--ready-file", str(ready)],
        env=cluster.env, start_new_session=True)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if time.monotonic() > deadline or cluster.webs[0].poll() is not None:
            raise RuntimeError("the web process did not start")
        time.sleep(0.05)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve()
    else:
        main()
