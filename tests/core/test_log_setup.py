"""StoreChat's own log lines from INFO, libraries' only from WARNING, unless a
level is asked for (STORECHAT_LOG_LEVEL, --log-level, --verbose). Each case
runs in a fresh Python process, as the CLI does (pytest owns this process's logging)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOGS = """
import logging
from core import log_setup
log_setup.configure({args})
logging.getLogger("core.demo").info("storechat info")
logging.getLogger("connectors.csv").info("connector info")
logging.getLogger("alembic.runtime.plugins").info("library info")
logging.getLogger("alembic.runtime.plugins").warning("library warning")
logging.getLogger("core.demo").debug("storechat debug")
print(log_setup.library_level())
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update(extra)
    return env


def _run_logs(args: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LOGS.format(args=args)], env=_env(**env),
                          capture_output=True, text=True, timeout=60, check=True)


def test_by_default_storechat_speaks_and_libraries_only_warn() -> None:
    done = _run_logs()
    assert "storechat info" in done.stderr and "connector info" in done.stderr
    assert "library warning" in done.stderr
    assert "library info" not in done.stderr and "debug" not in done.stderr
    assert done.stdout.strip() == "warning"  # gunicorn's own level


@pytest.mark.parametrize(("args", "env"), [("", {"STORECHAT_LOG_LEVEL": "info"}), ("verbose=True", {}),
                                           ("'INFO'", {})])
def test_an_explicit_level_turns_the_libraries_on(args: str, env: dict[str, str]) -> None:
    done = _run_logs(args, **env)
    assert "library info" in done.stderr and "storechat info" in done.stderr
    assert done.stdout.strip() == "info"


def test_debug_applies_to_everything() -> None:
    done = _run_logs(STORECHAT_LOG_LEVEL="DEBUG")
    assert "storechat debug" in done.stderr and "library info" in done.stderr


def _cli(*args: str, instance: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.cli", *args],
                          env=_env(STORECHAT_INSTANCE_PATH=str(instance), **env),
                          capture_output=True, text=True, timeout=120)


def test_migrate_prints_no_library_chatter(tmp_path: Path) -> None:
    quiet = _cli("migrate", instance=tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("database at revision ")
    verbose = _cli("--verbose", "migrate", instance=tmp_path / "verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO alembic.runtime.migration: Running upgrade" in verbose.stderr


def test_a_bad_level_is_a_clear_error(tmp_path: Path) -> None:
    bad = _cli("migrate", instance=tmp_path, STORECHAT_LOG_LEVEL="loud")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("Error: STORECHAT_LOG_LEVEL='loud' is not a log level; "
                                  "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    assert not (tmp_path / "storechat.db").exists()
