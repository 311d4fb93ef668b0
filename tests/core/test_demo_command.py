"""``storechat demo`` as a newcomer runs it: a few lines saying what started,
where, and the address to open; no library chatter; Ctrl-C stops it quietly."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.storefront import owned_by, reap
from tests.test_end_to_end import READY, Running

EXPECTED = [
    r"StoreChat \S+ started: \d+ web process(es)?, \d+ workers?, an embedded Redis, "
    r"database sqlite:///\S+/storechat\.db",
    r"importing the catalog of the demo store \u201cStoreChat Demo Apparel\u201d \.\.\.",
    r"imported 20 products and 3 pages",
    r"",
    r"StoreChat demo store is ready: (?P<base>http://127\.0\.0\.1:\d+)/demo/",
    r"  the team's inbox: (?P=base)/admin/welcome/\S+",
    r"    \(a one-time link: choose a password for owner@demo\.storechat\.invalid, then watch the chats live\)",
    r"  start page: (?P=base)/   health: (?P=base)/healthz, (?P=base)/readyz",
    r"\(Ctrl-C stops it\)",
    r"StoreChat stopped",
]


def test_demo_prints_a_few_clear_lines_and_stops_quietly_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env["STORECHAT_INSTANCE_PATH"] = str(tmp_path / "instance")
    # A session of its own: Ctrl-C is a SIGINT to every process of the terminal's group.
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    lines: list[str] = []
    base = None
    deadline = time.monotonic() + 90
    while base is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if m := READY.search(line):
            base = m.group(1)
    owned = owned_by(Running(proc, base or "", env), tmp_path / "instance")
    try:
        assert base, "storechat demo did not become ready:\n" + "\n".join(lines)
        with urllib.request.urlopen(f"{base}/", timeout=10) as start:
            assert b"/demo/" in start.read()
        line = proc.stdout.readline()  # the inbox link follows the ready line
        lines.append(line.rstrip("\n"))
        link = re.search(r"(http://\S+/admin/welcome/\S+)", line)
        assert link, line
        with urllib.request.urlopen(link.group(1), timeout=10) as welcome:
            assert b"owner@demo.storechat.invalid" in welcome.read()
        time.sleep(1)  # late lines (workers starting) would show here
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        rest = proc.stdout.read()  # through the same buffer readline() used
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        left = reap(owned)
    lines += rest.splitlines()
    printed = "\n".join(lines)
    assert proc.returncode == 0, printed
    assert len(lines) == len(EXPECTED), printed
    pattern = re.compile("\n".join(EXPECTED))
    assert pattern.fullmatch(printed), printed
    assert not left, f"storechat demo left processes behind: {left}"
