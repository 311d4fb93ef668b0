"""`storechat web` keeps to its instance: it leaves nothing in the home
directory (gunicorn's control socket would be ~/.gunicorn/gunicorn.ctl, or
$XDG_RUNTIME_DIR/gunicorn.ctl, one path shared by every instance on the host)."""
from __future__ import annotations

import time

import requests

from core.testing.cluster import Cluster


def test_the_web_server_creates_nothing_in_the_home_directory(tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    for xdg in ({}, {"XDG_RUNTIME_DIR": str(runtime)}):
        cluster = Cluster(tmp_path / "instance", {"STORECHAT_REDIS_URL": redis_url, "HOME": str(home), **xdg},
                          web=1, worker=False)
        if not xdg:
            cluster.env.pop("XDG_RUNTIME_DIR", None)
        cluster.start()
        try:
            assert requests.get(cluster.url(0) + "/healthz", timeout=10).status_code == 200
            time.sleep(0.5)  # gunicorn opens its control socket once its workers are spawned
        finally:
            cluster.stop()
        assert list(home.iterdir()) == [] and list(runtime.iterdir()) == [], xdg
