"""The production web server: gunicorn with the gevent worker.

Why gevent: every WebSocket holds its handler for its whole life, plus a
reader from simple-websocket. Under gunicorn's threaded worker that is two
OS threads per socket and a hard cap of workers x threads connections; with
gevent they are greenlets, so one process holds thousands of idle sockets in
far less memory and answers with lower tail latency (figures
and how they were measured: docs/operations.md and bench/README.md).

The app is created in each worker after gevent has patched the standard
library, never in the arbiter.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from core import log_setup, metrics_dir


class OneLogFormat(Logger):
    """gunicorn's messages through StoreChat's handler (core/log_setup.py): in JSON mode every
    line of the process is one object, gunicorn's too. Its level stays its own (``loglevel``)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if log_setup.log_format() == "json":
            for handler in list(self.error_log.handlers):
                self.error_log.removeHandler(handler)
            self.error_log.propagate = True


class WebServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25.1 opens a control socket for `gunicornc`, by default at
            # ~/.gunicorn/gunicorn.ctl (or $XDG_RUNTIME_DIR/gunicorn.ctl): one path
            # for every instance on the host, outside the instance folder.
            # StoreChat's supervisor manages its processes: none is opened.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from core.app import create_app

        return create_app()


def run(host: str, port: int, *, workers: int, connections: int, ready_file: Path | None) -> None:
    def when_ready(server: Any) -> None:
        if ready_file is not None:
            addresses = [list(listener.sock.getsockname()[:2]) for listener in server.LISTENERS]
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"addresses": addresses, "pid": os.getpid()}))
            tmp.replace(ready_file)

    def child_exit(server: Any, worker: Any) -> None:
        # Its open-socket gauge stops counting; its counters stay in the sums (core/metrics_dir.py).
        metrics_dir.mark_dead(worker.pid)

    def post_worker_init(worker: Any) -> None:
        from core import lifecycle
        from core.gc_schedule import GcSchedule
        from core.settings import load_settings

        def on_term(sig: int, frame: Any) -> None:
            lifecycle.start_draining()
            worker.handle_exit(sig, frame)

        signal.signal(signal.SIGTERM, on_term)
        # The app is loaded: garbage collection in small pieces, never a full pass mid-burst
        # (core/gc_schedule.py).
        # Its open sockets and visitor requests in progress are what a web process grows
        # by: they never force a full pass.
        settings = load_settings()
        svc = worker.wsgi.extensions["storechat"]
        report = Path(settings.instance_path) / f"gc-{os.getpid()}.json" if settings.gc_report else None
        GcSchedule(
            full_interval=settings.gc_full_interval,
            max_pause=settings.gc_max_pause,
            report=report,
            live_sockets=svc.connections.live,
        ).start()

    WebServer(
        {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": "gevent",
            "worker_connections": connections,
            # Sockets live long; the timeout only guards a worker that stopped
            # answering the arbiter's heartbeat.
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            # gunicorn keeps its own handlers: its start-up lines only with an explicit level (core/log_setup.py).
            "loglevel": log_setup.library_level(),
            "when_ready": when_ready,
            "post_worker_init": post_worker_init,
            "child_exit": child_exit,
            "logger_class": OneLogFormat,
            "proc_name": "storechat-web",
        }
    ).run()
