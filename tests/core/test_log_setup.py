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
    verbose = _cli("--verbose", "migrate", instance=tmp_path / "verbose", STORECHAT_LOG_FORMAT="text")
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO alembic.runtime.migration: Running upgrade" in verbose.stderr


def test_a_bad_level_is_a_clear_error(tmp_path: Path) -> None:
    bad = _cli("migrate", instance=tmp_path, STORECHAT_LOG_LEVEL="loud")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("Error: STORECHAT_LOG_LEVEL='loud' is not a log level; "
                                  "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    assert not (tmp_path / "storechat.db").exists()


# -- format, ids and redaction ---------------------------------------------------------

FORMATTED = """
import logging
from core import log_setup
log_setup.configure()
log = logging.getLogger("core.demo")
with log_setup.bind(request_id="req-1"):
    log.info("stored for %s", "shop 3", extra={{"route": "/x", "password": "p4ss", "text": "hello there"}})
    with log_setup.bind(socket_id="sock-9"):
        log.warning("bad token=abc123 and Authorization: Bearer xyz789")
log.info("outside")
try:
    raise ValueError("api_key=K3Y in a traceback")
except ValueError:
    log.exception("failed")
log.debug("debug text", extra={{"text": "shown at debug"}})
"""


def _run_formatted(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FORMATTED.format()], env=_env(**env),
                          capture_output=True, text=True, timeout=60, check=True)


def test_json_lines_carry_the_ids_and_hide_secrets_and_shopper_text() -> None:
    import json

    done = _run_formatted(STORECHAT_LOG_FORMAT="json", STORECHAT_LOG_LEVEL="DEBUG")
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    stored, bad, outside, failed, debug = (lines[i] for i in range(5))
    assert {"time", "level", "logger", "event"} <= stored.keys()
    assert (stored["event"], stored["request_id"], stored["route"]) == ("stored for shop 3", "req-1", "/x")
    assert stored["password"] == "[redacted]" and stored["text"] == "[redacted]"
    assert (bad["request_id"], bad["socket_id"], bad["level"]) == ("req-1", "sock-9", "WARNING")
    assert "request_id" not in outside and "socket_id" not in outside
    assert "ValueError" in failed["exc"]
    assert debug["text"] == "shown at debug"  # what a shopper wrote shows at DEBUG only
    for secret in ("p4ss", "hello there", "abc123", "xyz789", "K3Y"):
        assert secret not in done.stderr


def test_text_lines_read_as_before_with_ids_appended() -> None:
    done = _run_formatted(STORECHAT_LOG_FORMAT="text")
    first = done.stderr.splitlines()[0]
    assert first.endswith("INFO core.demo: stored for shop 3 request_id=req-1 route=/x password=[redacted] "
                          "text=[redacted]")
    assert "outside" in done.stderr and "p4ss" not in done.stderr and "abc123" not in done.stderr


def test_by_default_json_off_a_terminal_and_a_bad_format_is_a_clear_error(tmp_path: Path) -> None:
    import json

    done = _run_formatted()  # stderr is a pipe here
    assert json.loads(done.stderr.splitlines()[0])["event"] == "stored for shop 3"
    bad = _cli("migrate", instance=tmp_path, STORECHAT_LOG_FORMAT="xml")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "Error: STORECHAT_LOG_FORMAT='xml' is not a log format; use json or text"
