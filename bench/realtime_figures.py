"""bench/realtime.py's figures: percentiles, formatting, and CPU and processes measured."""
from __future__ import annotations

import math
import resource
import time
from typing import Any

import psutil


now = time.perf_counter  # CLOCK_MONOTONIC: one clock for the whole client process


def say(*parts: Any) -> None:
    print(*parts, flush=True)


# -- statistics ------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def dist(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max in milliseconds."""
    s = sorted(values)
    return {"n": len(s), "p50": percentile(s, 50) * 1e3, "p90": percentile(s, 90) * 1e3,
            "p99": percentile(s, 99) * 1e3, "max": (s[-1] * 1e3) if s else math.nan}


def fmt_ms(x: float) -> str:
    if x != x:  # nan
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_dist(d: dict[str, float]) -> str:
    return " / ".join(fmt_ms(d[k]) for k in ("p50", "p90", "p99", "max"))


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)),
           "  " + "  ".join("-" * w for w in widths)]
    out += ["  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in cells[1:]]
    return "\n".join(out)


# -- processes -------------------------------------------------------------------


def gunicorn_workers(arbiter_pid: int, expected: int = 1, timeout: float = 15) -> list[psutil.Process]:
    """The worker processes of a gunicorn arbiter (spawned just after it is ready)."""
    arbiter = psutil.Process(arbiter_pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = arbiter.children()
        if len(kids) >= expected:
            return kids
        time.sleep(0.05)
    raise RuntimeError(f"gunicorn {arbiter_pid} has no workers")


class CpuMeter:
    """CPU used by named groups of processes over a window, in % of one core."""

    def __init__(self, groups: dict[str, list[psutil.Process]]) -> None:
        self.groups = groups
        self._t0 = 0.0
        self._c0: dict[str, float] = {}

    def _cpu(self, procs: list[psutil.Process]) -> float:
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)

    def start(self) -> None:
        self._t0 = now()
        self._c0 = {k: self._cpu(v) for k, v in self.groups.items()}
        self._busy0 = self._busy()

    def stop(self) -> dict[str, float]:
        """Per group, plus ``other``: everything else the machine ran meanwhile
        (other people's processes share these cores too)."""
        wall = max(now() - self._t0, 1e-9)
        out = {k: 100 * (self._cpu(v) - self._c0[k]) / wall for k, v in self.groups.items()}
        out["other"] = max(0.0, 100 * (self._busy() - self._busy0) / wall - sum(out.values()))
        return out


def cpu_per_message(res: dict[str, Any]) -> dict[str, float]:
    """CPU milliseconds each process spent per message sent in a step: unlike
    latency, this hardly depends on what else the machine runs."""
    if not res.get("sent"):
        return {}
    return {k: v / 100 * res["cpu_window_s"] * 1000 / res["sent"] for k, v in res["cpu"].items() if k != "other"}


def fmt_cpu(cpu: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f}%" for k, v in cpu.items())


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
