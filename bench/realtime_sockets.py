"""bench/realtime.py's socket figures (2, 3): idle sockets held, and how soon vanished peers are dropped."""
from __future__ import annotations

import asyncio
import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent

from bench.realtime_clients import Client, Tally, Visitor, recv_type
from bench.realtime_figures import CpuMeter, gunicorn_workers, now, say
from core.testing.cluster import Cluster


class Sockets:
    """Figures 2 and 3: idle sockets one process holds, and vanished peers dropped."""

    # 2. idle sockets -------------------------------------------------------------

    async def idle_sockets(self) -> None:
        plan = self.plan
        # A web process of its own (same database and Redis), so figure 1 runs
        # on processes that did not just hold and drop 10,000 sockets.
        with self.servers_log():
            self.idle_cluster = Cluster(self.tmp / "idle-instance", self.env(), web=1, worker=False,
                                        web_workers=1).start()
        worker = gunicorn_workers(self.idle_cluster.webs[0].pid)[0]  # type: ignore[union-attr]
        port = self.idle_cluster.ports[0]
        say(f"\n== 2. Idle sockets on ONE web process (a third one, pid {worker.pid}), hello'd, "
            f"permessage-deflate; steps {plan.idle_steps}")
        client = Client(Tally())
        url = f"ws://127.0.0.1:{port}/ws/visitor"
        try:
            await self._idle_steps(client, url, worker, port)
        finally:
            self.idle_cluster.stop()
            self.idle_cluster = None
        if plan.idle_breakdown:
            await self.idle_breakdown(plan.idle_breakdown)

    async def _idle_steps(self, client: Client, url: str, worker: psutil.Process, port: int) -> None:
        plan = self.plan
        # Warm the process (imports, pools, first-call caches) before the baseline.
        warm, _ = await client.open_visitors(url, self.site_key, 50)
        ext = warm[0].ws.response.headers.get("Sec-WebSocket-Extensions") if warm else None
        await self._ping_round(warm)
        await client.close_all(warm)
        await asyncio.sleep(1.5)
        base_rss, base_fds = worker.memory_info().rss, worker.num_fds()
        base_client = self.me.memory_info().rss
        say(f"  negotiated: Sec-WebSocket-Extensions: {ext}")
        say(f"  baseline: worker RSS {base_rss / 2**20:.1f} MiB, {base_fds} fds")
        conns: list[Visitor] = []
        rows: list[dict[str, Any]] = []
        stopped_why = None
        for target in plan.idle_steps:
            mark = self.log_mark()
            t0 = now()
            cmeter = CpuMeter({"web": [worker], "client": [self.me]})
            cmeter.start()
            new, failures = await client.open_visitors(url, self.site_key, target - len(conns),
                                                       start_idx=len(conns), give_up_after=30)
            connect_cpu = cmeter.stop()
            conns += new
            connect_s = now() - t0
            t1 = now()
            lost = await self._ping_round(conns)
            ping_round_s = now() - t1
            await asyncio.sleep(2)
            alive = worker.is_running()
            rss, fds = (worker.memory_info().rss, worker.num_fds()) if alive else (0, 0)
            meter = CpuMeter({"web": [worker], "client": [self.me]})
            meter.start()
            # Over a whole heartbeat period (10 s) in full mode: the beats of
            # sockets that connected together come in waves.
            await asyncio.sleep(3 if plan.quick else 10)
            idle_cpu = meter.stop()
            held = len(conns)
            row = {
                "target": target, "held": held, "connect_s": round(connect_s, 2),
                "connect_per_s": round(len(new) / connect_s) if connect_s else 0,
                "connect_cpu_ms_web": round(connect_cpu["web"] / 100 * connect_s * 1000 / max(len(new), 1), 2),
                "connect_other_pct": round(connect_cpu["other"]),
                "ping_round_s": round(ping_round_s, 2), "rss_mib": round(rss / 2**20, 1),
                "kib_per_socket": round((rss - base_rss) / held / 1024, 1) if held else None,
                "fds_per_socket": round((fds - base_fds) / held, 2) if held else None,
                "idle_cpu_web": round(idle_cpu["web"], 1),
                "idle_other_pct": round(idle_cpu["other"]),
                "client_kib_per_socket": round((self.me.memory_info().rss - base_client) / held / 1024, 1),
                "failures": dict(failures), "lost_in_ping_round": lost,
                "server_errors": self.log_since(mark),
            }
            rows.append(row)
            say(f"  {held:>6} sockets: connected in {connect_s:.1f}s ({row['connect_per_s']}/s, web "
                f"{row['connect_cpu_ms_web']} ms CPU each, others {row['connect_other_pct']}%), "
                f"worker RSS {row['rss_mib']} MiB -> {row['kib_per_socket']} KiB/socket, "
                f"{row['fds_per_socket']} fds/socket, CPU while idle {row['idle_cpu_web']}% "
                f"(others {row['idle_other_pct']}%), ping round {ping_round_s:.1f}s, "
                f"client {row['client_kib_per_socket']} KiB/socket")
            if row["server_errors"]:
                say(f"         server errors meanwhile: {row['server_errors']}")
            if failures or lost:
                say(f"         NOT ALL OPENED: failures {dict(failures)}, lost in the ping round {lost}")
            if held < 0.9 * target or not alive:
                stopped_why = (f"stopped at {held} of {target}: failures {dict(failures)}, "
                               f"lost in ping round {lost}, worker alive {alive}")
                say("  " + stopped_why)
                break
        self.results["idle"] = {"baseline_rss_mib": round(base_rss / 2**20, 1), "steps": rows,
                                "extension": ext, "stopped": stopped_why}
        t0 = now()
        await client.close_all(conns, timeout=60)
        # Let the server finish tearing them down before the next phase.
        def client_sockets() -> int:
            return sum(1 for c in worker.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.raddr)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and client_sockets() > 0:
            await asyncio.sleep(0.5)
        fds_left = worker.num_fds() - base_fds
        assert self.redis is not None
        tcp = worker.net_connections(kind="tcp")
        still_held = sum(1 for c in tcp if c.laddr and c.laddr.port == port and c.raddr)
        to_redis = sum(1 for c in tcp if c.raddr and c.raddr.port == self.redis.port)
        self.results["idle"].update(fds_left_after_close=fds_left, client_sockets_still_held=still_held,
                                    redis_connections=to_redis)
        say(f"  closed {len(conns)} sockets in {now() - t0:.1f}s; the worker still has {fds_left:+d} descriptors "
            f"against the baseline: {still_held} client sockets never cleaned up, {to_redis} connections to "
            f"Redis (its pool); RSS {worker.memory_info().rss / 2**20:.1f} MiB")

    async def _ping_round(self, conns: list[Visitor]) -> int:
        """Some traffic on every socket: a ping frame and its pong."""
        sem = asyncio.Semaphore(500)
        lost = 0

        async def one(v: Visitor) -> None:
            nonlocal lost
            async with sem:
                try:
                    await v.ws.send('{"type":"ping"}')
                    await recv_type(v.ws, "pong", timeout=30)
                except Exception:  # noqa: BLE001
                    lost += 1

        await asyncio.gather(*(one(v) for v in conns))
        return lost

    # 3. vanished peers ---------------------------------------------------------------

    def vanished_peers(self) -> None:
        plan = self.plan
        p = plan.ping_interval
        say(f"\n== 3. Vanished peers: a separate web process with STORECHAT_WS_PING_INTERVAL={p:g}")
        env = {**self.env(), "STORECHAT_WS_PING_INTERVAL": str(p)}
        with self.servers_log():
            self.ping_cluster = Cluster(self.tmp / "ping-instance", env, web=1, worker=False, web_workers=1).start()
        worker = gunicorn_workers(self.ping_cluster.webs[0].pid)[0]  # type: ignore[union-attr]
        server_port = self.ping_cluster.ports[0]
        url = f"ws://127.0.0.1:{server_port}/ws/visitor"

        def held_ports() -> set[int]:
            """Peer ports of the server's connections the server has not closed
            yet: ESTABLISHED, or CLOSE_WAIT (the peer closed, the server has
            not noticed). Read from /proc/net/tcp: cheap enough to poll at 1 ms."""
            held = set()
            with open("/proc/net/tcp") as fh:
                next(fh)
                for line in fh:
                    f = line.split()
                    if f[3] in ("01", "08") and int(f[1].rsplit(":", 1)[1], 16) == server_port:
                        held.add(int(f[2].rsplit(":", 1)[1], 16))
            return held

        def spawn() -> tuple[subprocess.Popen[str], int]:
            proc = subprocess.Popen([sys.executable, str(BENCH / "peer.py"), url, self.site_key],
                                    stdout=subprocess.PIPE, text=True)
            self.peers.append(proc)
            line = proc.stdout.readline()  # type: ignore[union-attr]
            port = json.loads(line)["port"]
            deadline = time.monotonic() + 10
            while port not in held_ports():
                if time.monotonic() > deadline:
                    raise RuntimeError("the server never showed the peer's connection")
                time.sleep(0.01)
            return proc, port

        killed = []
        for _ in range(plan.killed_peers):
            proc, port = spawn()
            t0 = now()
            proc.send_signal(signal.SIGKILL)
            while port in held_ports() and now() - t0 < 30:
                time.sleep(0.001)
            killed.append(now() - t0)
            proc.wait()
        say(f"  SIGKILLed peer (the kernel closes its TCP connection): dropped by the server after "
            + ", ".join(f"{x * 1e3:.1f} ms" for x in killed))

        peers = [spawn() for _ in range(plan.stopped_peers)]
        # Stop them at spread-out moments of the ping cycle.
        stopped_at: dict[int, float] = {}
        order = list(range(len(peers)))
        for i in order:
            stopped_at[i] = now()
            peers[i][0].send_signal(signal.SIGSTOP)
            time.sleep(p / len(peers))
        gone: dict[int, float] = {}
        deadline = now() + 3 * p + 10
        while len(gone) < len(peers) and now() < deadline:
            held = held_ports()
            t = now()
            for i, (_, port) in enumerate(peers):
                if i not in gone and port not in held:
                    gone[i] = t - stopped_at[i]
            time.sleep(0.02)
        closes = []
        for i, (proc, _) in enumerate(peers):
            proc.send_signal(signal.SIGCONT)
            try:
                out, _ = proc.communicate(timeout=10)
                closes.append(json.loads(out.strip().splitlines()[-1]) if out.strip() else None)
            except subprocess.TimeoutExpired:
                proc.kill()
                closes.append(None)
        delays = [gone.get(i) for i in range(len(peers))]
        say(f"  SIGSTOPped peer (connection up, nothing answers pings): dropped after "
            + ", ".join(f"{d:.2f} s" if d is not None else "NOT dropped" for d in delays)
            + f"  (= {', '.join(f'{d / p:.2f}' if d else '-' for d in delays)} ping intervals)")
        codes = collections.Counter(f"{c.get('code')} {c.get('reason')!r}" if c else "no close seen"
                                    for c in closes)
        say(f"  what each stopped peer read once resumed (SIGCONT): {dict(codes)}")
        self.results["vanished"] = {"ping_interval": p, "sigkill_ms": [round(x * 1e3, 2) for x in killed],
                                    "sigstop_s": [round(d, 2) if d is not None else None for d in delays],
                                    "close_seen": dict(codes)}
        self.ping_cluster.stop()
        self.ping_cluster = None
