"""A second writer on a SQLite file, for the benches: another process (a worker's
batch, the sweeper) that takes the database's write lock ``rate`` times a
second and holds it ``hold`` seconds each time, writing a row of its own table.

    .venv/bin/python bench/contender.py /path/to/bench.db --rate 10 --hold 0.02

Runs until killed (SIGTERM/SIGINT); prints how often it held the lock when it stops.
Used by bench/store.py and bench/realtime.py (``--contend``).
"""
from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def run(path: str, rate: float, hold: float) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_contender (at REAL)")
    stopped = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    held = 0
    interval = 1 / rate
    next_at = time.monotonic()
    while not stopped:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_contender VALUES (?)", (time.time(),))
        time.sleep(hold)
        conn.execute("COMMIT")
        held += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    conn.close()
    print(f"contender: held the write lock {held} times, {hold * 1000:.0f} ms each", flush=True)


def start(path: str | Path, rate: float, hold: float) -> subprocess.Popen[str]:
    """This script in a process of its own, writing to ``path``."""
    return subprocess.Popen([sys.executable, __file__, str(path), "--rate", str(rate), "--hold", str(hold)],
                            stdout=subprocess.PIPE, text=True)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out.strip()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--rate", type=float, default=10.0, help="times a second (default 10)")
    parser.add_argument("--hold", type=float, default=0.02, help="seconds held each time (default 0.02)")
    args = parser.parse_args()
    run(args.path, args.rate, args.hold)
