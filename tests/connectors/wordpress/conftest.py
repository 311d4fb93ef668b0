"""A real WordPress 6.1 for the live tests, from tools/wordpress/wp-up.sh.

One site per test session, in its own WP_BASE under pytest's temporary
directory, with the StoreChat plugin from this checkout installed and
activated; stopped and purged at the end. When wp-up cannot run (no root for
apt, no MariaDB, not Debian) the live tests are skipped, unless
STORECHAT_REQUIRE_WORDPRESS=1, which turns that into a failure (CI sets it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wordpress_site import TOOLS, WordPressSite, free_port, unavailable, wp_up


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPressSite]:
    if not (TOOLS / "wp-up.sh").is_file():
        unavailable(f"{TOOLS}/wp-up.sh is missing")
    base = tmp_path_factory.mktemp("wp-up")
    env = {**os.environ, "WP_BASE": str(base)}
    port = free_port()
    try:
        try:
            values = wp_up(port, env)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            unavailable(f"a real WordPress could not be brought up: {exc}")
        yield WordPressSite(
            url=values["WP_URL"], port=port, docroot=Path(values["WP_DOCROOT"]),
            site_dir=base / "sites" / str(port), admin_user=values["WP_ADMIN_USER"],
            admin_pass=values["WP_ADMIN_PASS"], app_password=values["WP_APP_PASSWORD"], env=env,
        )
    finally:
        subprocess.run(["bash", str(TOOLS / "wp-down.sh"), "all", "--purge"], env=env,
                       capture_output=True, timeout=120)
        # wp-down drops the database user only from a MariaDB it started; on a shared
        # one, drop it here when root can log in over the local socket (best effort).
        if shutil.which("mariadb"):
            subprocess.run(["mariadb", "-uroot", "-e",
                            f"DROP USER IF EXISTS 'wp_{port}'@'127.0.0.1', 'wp_{port}'@'localhost'"],
                           capture_output=True, timeout=30, check=False)
