"""The reference topology on loopback under faults (tools/topology/run.py --quick): three web
hosts and two worker hosts behind HAProxy, PostgreSQL, a Redis primary with a replica and
three Sentinels; rolling restarts, a frozen web host, the Redis primary killed, PostgreSQL
restarted. Nothing lost, nothing duplicated, every phase recovered; then a small capacity
ladder on the same hosts (about 3 minutes)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDS = ("haproxy", "redis-server", "initdb", "pg_ctl")


def _missing() -> list[str]:
    pg = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return [b for b in NEEDS if not shutil.which(b) and not any((d / b).exists() for d in pg)]


@pytest.mark.timeout(900)
def test_faults_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    missing = _missing()
    if missing:
        if os.environ.get("STORECHAT_REQUIRE_TOPOLOGY"):
            pytest.fail(f"missing {', '.join(missing)} (apt-get install haproxy redis-server postgresql)")
        pytest.skip(f"missing {', '.join(missing)}")
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "topology" / "run.py"), "--quick", "--json", str(out),
                           "--sockets", "60", "--products", "200", "--burst", "10", "--seconds", "2"],
                          capture_output=True, text=True, timeout=840, cwd=ROOT)
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report["faults"]
    assert [r["phase"] for r in results] == ["rolling restart, web hosts", "rolling restart, worker hosts",
                                             "web host frozen (SIGSTOP)", "Redis primary killed",
                                             "PostgreSQL restarted"]
    for r in results:
        assert (r["lost"], r["duplicated"], r["gaps"], r["unanswered"], r["not_recovered"]) == (0, 0, 0, 0, 0), r
        assert r["sync_ok"], r
        assert r["stored"] > 0
    # The web hosts' restarts really dropped sockets, and they came back.
    assert results[0]["sockets_dropped"] > 0
    # The capacity table, measured on the same hosts: 1, 2, 3 web hosts and 2, 1 worker hosts.
    assert report["capacity_error"] is None, report["capacity_error"]
    capacity = report["capacity"]
    assert [row["hosts"] for row in capacity["web"]] == [1, 2, 3]
    assert all(row["sockets_held"] == 60 for row in capacity["web"]), capacity
    assert [row["hosts"] for row in capacity["workers"]] == [2, 1]
    assert all(row["replies_per_s"] > 0 and row["products_per_s"] > 0 for row in capacity["workers"]), capacity
    assert done.returncode == 0, done.stdout[-3000:]
