"""bench/realtime.py's load figures (0, 1, 4, 5): messages sent at a rate, and what they took."""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

BENCH = Path(__file__).resolve().parent

from bench.realtime_clients import AgentClient, Client, Tally, Visitor, open_ws
from bench.realtime_figures import CpuMeter, cpu_per_message, dist, fmt_cpu, fmt_dist, fmt_ms, gunicorn_workers, now, say
from core.testing.cluster import free_port


class Load:
    """Figures 0, 1, 4 and 5: the echo baseline, latency and the ramp, with the assistant."""

    # 0. baseline: bare flask-sock echo ---------------------------------------------

    async def echo_baseline(self) -> None:
        plan = self.plan
        say(f"\n== 0. Baseline: the same client against a bare flask-sock echo "
            f"(gunicorn, 1 gevent worker), {plan.visitors} sockets")
        port, worker = self.start_echo()
        tally = Tally(expect_agent=False)
        client = Client(tally, seed=7)
        url = f"ws://127.0.0.1:{port}/echo"
        sem = asyncio.Semaphore(200)

        async def one(i: int) -> Visitor:
            async with sem:
                return Visitor(i, await open_ws(url, i))

        visitors = list(await asyncio.gather(*(one(i) for i in range(plan.visitors))))

        async def echo_reader(v: Visitor) -> None:
            try:
                async for raw in v.ws:
                    tally.acked(json.loads(raw)["client_id"], now())
            except ConnectionClosed:
                pass
            finally:
                v.alive = False

        for v in visitors:
            v.task = asyncio.create_task(echo_reader(v))
        meter = CpuMeter({"client": [self.me], "echo server": [worker]})
        rows = []
        for rate, secs in [(plan.rate, plan.echo_seconds), *[(r, 5.0) for r in plan.echo_ramp]]:
            res = await self.step(client, visitors, rate, secs, meter)
            rows.append(res)
            per_msg = ", ".join(f"{k} {v:.2f}" for k, v in cpu_per_message(res).items())
            say(f"  {rate:>6.0f} msg/s (achieved {res['achieved']:.0f}): send->echo ms p50/p90/p99/max "
                f"{fmt_dist(res['ack'])}; missing {res['missing_ack']}; CPU {fmt_cpu(res['cpu'])}; "
                f"CPU ms per message: {per_msg}")
        self.results["echo"] = rows
        await client.close_all(visitors)
        self.stop_echo()

    def start_echo(self) -> tuple[int, psutil.Process]:
        """A fresh bare flask-sock echo server (gunicorn, one gevent worker)."""
        port = free_port()
        with self.servers_log():
            self.echo = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "12000",
                 "-b", f"127.0.0.1:{port}", "--pythonpath", str(BENCH), "--log-level", "warning",
                 "echo_app:app"],
                start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the echo server did not start") from None
                time.sleep(0.05)
        return port, gunicorn_workers(self.echo.pid)[0]

    def stop_echo(self) -> None:
        if self.echo is not None:
            self.echo.terminate()
            self.echo.wait(10)
            self.echo = None

    async def idle_breakdown(self, n: int) -> None:
        """Where an idle socket's memory goes: StoreChat without deflate, and a
        bare flask-sock echo with and without deflate, each on a fresh process."""
        say(f"  breakdown at {n} sockets, each on a fresh process (one frame each way, then idle):")
        rows = {}
        # StoreChat without permessage-deflate: web B has served nothing yet.
        client = Client(Tally(), deflate=False)
        worker = self.web[1]
        base = worker.memory_info().rss
        conns, failures = await client.open_visitors(self.ws_url(1, "/ws/visitor"), self.site_key, n)
        await self._ping_round(conns)
        await asyncio.sleep(2)
        rows["StoreChat, no deflate"] = (worker.memory_info().rss - base) / max(len(conns), 1) / 1024
        await client.close_all(conns)
        for deflate in (True, False):
            port, worker = self.start_echo()
            await asyncio.sleep(1)
            base = worker.memory_info().rss
            sem = asyncio.Semaphore(100)

            async def one(i: int) -> ClientConnection:
                async with sem:
                    ws = await open_ws(f"ws://127.0.0.1:{port}/echo", i, deflate)
                    await ws.send('{"type":"hello","site_key":"none","after_seq":0}')
                    await ws.recv()
                    return ws

            socks = await asyncio.gather(*(one(i) for i in range(n)))
            await asyncio.sleep(2)
            rows[f"bare flask-sock echo, {'deflate' if deflate else 'no deflate'}"] = \
                (worker.memory_info().rss - base) / n / 1024
            await asyncio.gather(*(w.close() for w in socks), return_exceptions=True)
            self.stop_echo()
        for k, v in rows.items():
            say(f"    {k:<34} {v:6.1f} KiB/socket")
        self.results["idle"]["breakdown"] = {k: round(v, 1) for k, v in rows.items()}

    # 1 and 4: latency and the ramp ---------------------------------------------------

    async def latency(self) -> None:
        plan = self.plan
        say(f"\n== 1. Latency: {plan.visitors} visitors on web A, one agent socket on web B, "
            f"Poisson arrivals at {plan.rate:.0f} msg/s for {plan.latency_seconds:.0f}s")
        tally = Tally()
        client = Client(tally, seed=42)
        agent = AgentClient(self.ws_url(1, "/ws/agent"), self.credential, tally, client.events)
        await agent.start()
        t0 = now()
        mark = self.log_mark()
        visitors, failures = await client.open_visitors(self.ws_url(0, "/ws/visitor"), self.site_key,
                                                        plan.visitors)
        if failures:
            say(f"  could not open every visitor: {dict(failures)}; server errors {self.log_since(mark)}")
        client.start_reading(visitors)
        say(f"  {len(visitors)} visitors connected in {now() - t0:.1f}s")
        # Each visitor's first line starts its conversation; the agent takes
        # each one over as it sees it, so the assistant stays silent and the
        # figures are transport + store + relay (the worker still runs).
        agent.take = True
        t0 = now()
        tally.reset()
        for v in visitors:  # about 300 first lines per second
            client.seq += 1
            cid = f"{v.idx}.{client.seq}"
            tally.sent(cid, now())
            await v.ws.send(json.dumps({"type": "message", "client_id": cid, "text": "hello"}))
            await asyncio.sleep(0.003)
        # Until every live visitor's conversation is taken, or nothing moved for 10 s.
        last_progress, last_state = time.monotonic(), None
        give_up = time.monotonic() + 180
        while time.monotonic() - last_progress < 30 and time.monotonic() < give_up:
            live = [v for v in visitors if v.alive]
            state = (len(agent.taken), len(tally.pending_ack), len(live))
            if all(v.conversation_id in agent.taken for v in live):
                break
            if state != last_state:
                last_progress, last_state = time.monotonic(), state
            await asyncio.sleep(0.05)
        dead = sum(1 for v in visitors if not v.alive)
        if dead:
            say(f"  {dead} visitor sockets were closed by the server during the warm-up (see server errors)")
        say(f"  warm-up: {len(agent.taken)} conversations taken over by the agent in {now() - t0:.1f}s "
            f"(status human: the assistant stays silent)")
        await asyncio.sleep(1.0)  # replies scheduled for the first lines find the conversation taken

        meter = self.meter()
        res = await self.step(client, visitors, plan.rate, plan.latency_seconds, meter)
        self.results["latency"] = res
        self._print_step("  ", res)
        # Every collection since web A started, the connects and warm-up included.
        self.results["gc_latency"] = self.gc_report()
        self._print_gc("  ", f"up to the end of figure 1, {len(visitors)} sockets open", self.results["gc_latency"])

        say(f"\n== 4. Ramp: {len(visitors)} visitors, {plan.ramp_seconds:.0f}s per step, rates {plan.ramp}")
        rows = []
        for rate in plan.ramp:
            res = await self.step(client, visitors, rate, plan.ramp_seconds, meter)
            rows.append(res)
            self._print_step("  ", res)
            if (res["agent"]["p99"] > 1000 or res["missing_agent"] > 0.05 * max(res["sent"], 1)
                    or res["achieved"] < 0.8 * rate):
                say("  saturated: stopping the ramp")
                break
            await asyncio.sleep(1)
        ok = [r for r in rows if max(r["ack"]["p99"], r["agent"]["p99"]) <= 50
              and r["missing_agent"] == 0 and r["achieved"] >= 0.95 * r["rate"]]
        self.results["ramp"] = {"steps": rows, "max_rate_p99_50ms": max((r["rate"] for r in ok), default=None)}
        self.results["gc_ramp"] = self.gc_report()
        self._print_gc("  ", "up to the end of the ramp", self.results["gc_ramp"])
        self.results["agent_disconnects"] = agent.disconnects
        self.results["events"] = client.events[:20]
        if client.events:
            say(f"  events: {client.events[:5]}{' ...' if len(client.events) > 5 else ''}")
        await agent.close()
        await client.close_all(visitors)

    async def settle(self, limit: float = 20.0) -> float:
        """Wait (up to ``limit`` s) until the servers are done with earlier work:
        over one second, web A below 50% of a core and the RQ worker below 10%
        (it may still be answering the warm-up's first lines, which were the
        assistant's until the agent took them). Returns the seconds waited."""
        t0 = now()
        while now() - t0 < limit:
            m = CpuMeter({"web A": [self.web[0]], "rq": [self.rq]})
            m.start()
            await asyncio.sleep(1.0)
            use = m.stop()
            if use["web A"] < 50 and use["rq"] < 10:
                break
        return now() - t0

    async def step(self, client: Client, visitors: list[Visitor], rate: float, seconds: float,
                   meter: CpuMeter | None) -> dict[str, Any]:
        waited = await self.settle()
        if waited > 2:
            say(f"  (waited {waited:.0f}s for web A to finish earlier work)")
        mark = self.log_mark()
        res = await client.run_rate(visitors, rate, seconds, meter)
        res["server_errors"] = self.log_since(mark)
        res["dead_sockets"] = sum(1 for v in visitors if not v.alive)
        return res

    def _print_step(self, indent: str, res: dict[str, Any]) -> None:
        extra = ""
        if res["missing_ack"] or res["missing_agent"] or res["send_failed"]:
            extra += (f"; MISSING ack {res['missing_ack']} agent {res['missing_agent']} "
                      f"send-failed {res['send_failed']}")
        if res["errors"]:
            extra += f"; errors {res['errors']}"
        if res.get("drain_s", 0) > 2:
            extra += f"; backlog drained {res['drain_s']}s after the last send"
        if res.get("server_errors"):
            extra += f"; SERVER ERRORS {res['server_errors']}"
        if res.get("dead_sockets"):
            extra += f"; visitor sockets dead {res['dead_sockets']}"
        if res["assistant_seen"]:
            extra += f"; assistant replies seen by the agent {res['assistant_seen']}"
        say(f"{indent}{res['rate']:>6.0f} msg/s (achieved {res['achieved']:.0f}, n={res['sent']}): "
            f"send->ack p50/p90/p99/max {fmt_dist(res['ack'])} ms | send->agent {fmt_dist(res['agent'])} ms"
            f" | client lag p99 {fmt_ms(res['lag_p99_ms'])} ms{extra}")
        per_msg = ", ".join(f"{k} {v:.2f}" for k, v in cpu_per_message(res).items()
                            if k in ("web A", "web B", "client", "redis", "rq"))
        say(f"{indent}        CPU (% of one core, over sending + draining {res['cpu_window_s']:.0f}s): "
            f"{fmt_cpu(res['cpu'])}; CPU ms per message: {per_msg}")

    # 5. with the assistant -----------------------------------------------------------

    async def with_assistant(self) -> None:
        plan = self.plan
        say(f"\n== 5. With the assistant: {plan.visitors} new visitors (conversations owned by the assistant), "
            f"{plan.rate:.0f} msg/s for {plan.assistant_seconds:.0f}s; the RQ worker answers each line "
            f"(after STORECHAT_ASSISTANT_DELAY, 0.4 s)")
        tally = Tally()
        client = Client(tally, seed=99)
        agent = AgentClient(self.ws_url(1, "/ws/agent"), self.credential, tally, client.events)
        await agent.start()
        visitors, failures = await client.open_visitors(self.ws_url(0, "/ws/visitor"), self.site_key,
                                                        plan.visitors, start_idx=100000)
        client.start_reading(visitors)
        import redis as redis_lib

        r = redis_lib.Redis.from_url(self.redis.url)  # type: ignore[union-attr]
        meter = self.meter()
        res = await self.step(client, visitors, plan.rate, plan.assistant_seconds, meter)
        res["assistant_queue_left"] = r.llen("rq:queue:assistant")
        await asyncio.sleep(3)
        res["assistant_replies"] = len(tally.reply)
        res["reply"] = dist(tally.reply) if tally.reply else None
        self.results["assistant"] = res
        self._print_step("  ", res)
        rep = res["reply"]
        say(f"  assistant replies received by visitors: {res['assistant_replies']} for {res['sent']} lines "
            f"(a burst gets one reply); line->reply ms p50/p99 "
            f"{fmt_ms(rep['p50']) if rep else '-'} / {fmt_ms(rep['p99']) if rep else '-'}; "
            f"jobs still queued at the end of sending: {res['assistant_queue_left']}")
        await agent.close()
        await client.close_all(visitors)
