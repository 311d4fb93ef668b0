"""A real WordPress 6.1 for tests, from tools/wordpress/wp-up.sh (see
tests/connectors/wordpress/conftest.py for the session fixture)."""
from __future__ import annotations

import os
import shlex
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("STORECHAT_WP_TOOLS", REPO / "tools" / "wordpress"))
PLUGIN = REPO / "theme_snippets" / "wordpress" / "storechat"
#: A cold run installs Debian packages.
UP_TIMEOUT = 900


@dataclass(frozen=True)
class WordPressSite:
    url: str
    port: int
    docroot: Path
    site_dir: Path
    admin_user: str
    admin_pass: str
    app_password: str
    env: dict[str, str]

    def up(self) -> None:
        """Run wp-up again: copies the plugin anew and activates it (idempotent)."""
        wp_up(self.port, self.env)

    def sql(self, query: str) -> list[list[str]]:
        out = subprocess.run(
            ["mariadb", f"--defaults-file={self.site_dir / 'db.cnf'}", "-N", "-B", "-e", query],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout
        return [line.split("\t") for line in out.splitlines()]


def unavailable(reason: str) -> None:
    if os.environ.get("STORECHAT_REQUIRE_WORDPRESS") == "1":
        pytest.fail(f"STORECHAT_REQUIRE_WORDPRESS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wp_up(port: int, env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run(
        ["bash", str(TOOLS / "wp-up.sh"), str(port), str(PLUGIN)],
        capture_output=True, text=True, env=env, timeout=UP_TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wp-up.sh exited {result.returncode}: {result.stderr[-2000:]}")
    values = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = shlex.split(value)[0] if value else ""
    return values
