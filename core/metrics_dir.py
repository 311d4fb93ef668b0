"""The folder where a machine's StoreChat processes keep their metrics.

prometheus-client's multiprocess mode: each process writes its figures into
memory-mapped files named after its pid in ``PROMETHEUS_MULTIPROC_DIR``, and
a scrape adds them up. The variable must be set before prometheus_client is
first imported in a process, so the commands that start processes call
:func:`use` first thing (``storechat serve``, ``web``, ``worker``).

- ``storechat serve`` empties ``<instance>/metrics`` as it starts (figures of a
  previous run would otherwise add to this one's) and hands the folder to its
  web and worker processes, so one ``/metrics`` shows them all.
- A lone ``storechat web`` or ``worker`` (no ``serve`` above it) uses the
  variable if set, else the same ``<instance>/metrics``, without emptying it
  (siblings may be writing there); live gauges of processes no longer
  running are dropped (:func:`reap_dead`).
- Processes that end are marked dead (gunicorn's ``child_exit``, the
  supervisor for its children): their live gauges (open sockets) stop counting,
  their counters stay in the sums, as counters must.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
FOLDER = "metrics"
_PID = re.compile(r"_(\d+)\.db$")


#: The commands whose processes record metrics.
RECORDING = ("serve", "demo", "web", "worker")


def folder(instance_path: Path) -> Path:
    return Path(os.environ.get(ENV) or Path(instance_path) / FOLDER)


def point_early() -> None:
    """Set the variable (nothing on disk yet) before anything imports prometheus_client:
    the ``storechat`` group does it for the commands that record, before their options
    are parsed. The instance folder is the settings' default (core/settings.py)."""
    instance = os.environ.get("STORECHAT_INSTANCE_PATH", "").strip() or str(Path.cwd() / "instance")
    os.environ.setdefault(ENV, str(Path(instance) / FOLDER))


def use(instance_path: Path, *, clean: bool = False) -> Path:
    """Point this process (and the processes it starts) at the metrics folder; ``clean``
    empties it first (the supervisor, as it starts)."""
    path = folder(instance_path)
    path.mkdir(parents=True, exist_ok=True)
    if clean:  # only prometheus-client's own files: the variable may name a folder shared with more
        own = f"_{os.getpid()}.db"  # this process may have recorded already: its files stay
        for f in path.glob("*.db"):
            if not f.name.endswith(own):
                f.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    if not clean:
        reap_dead(path)
    return path


def mark_dead(pid: int) -> None:
    """A process of this folder ended: its live gauges stop counting."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def reap_dead(path: Path) -> None:
    """Drop the live gauges of processes that no longer run (a crash, a kill -9)."""
    pids = {int(m.group(1)) for f in path.glob("gauge_live*.db") if (m := _PID.search(f.name))}
    for pid in pids:
        if not _alive(pid):
            for f in path.glob(f"gauge_live*_{pid}.db"):
                f.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
