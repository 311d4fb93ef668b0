"""`storechat serve --role web|worker` for the hosts of a larger deployment, and every
process refusing a database schema older than its code (docs/deploy.md)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from core.cli import main
from core.db import Database
from core.db.migrate import SchemaTooOld, head_revision, require_current, upgrade
from core.settings import Settings
from core.testing.cluster import free_port


def _env(instance: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env["STORECHAT_INSTANCE_PATH"] = str(instance)
    env["STORECHAT_SECRET_KEY"] = "roles-secret-" + "x" * 40
    if redis_url:
        env["STORECHAT_REDIS_URL"] = redis_url
    return env


def _database(instance: Path) -> Database:
    instance.mkdir(parents=True, exist_ok=True)
    return Database(Settings(instance_path=instance, secret_key="x" * 40))


def _at_revision(instance: Path, revision: str) -> None:
    db = _database(instance)
    try:
        upgrade(db.engine, revision)
    finally:
        db.dispose()


def test_require_current_names_the_fix(tmp_path: Path) -> None:
    db = _database(tmp_path / "i")
    try:
        with pytest.raises(SchemaTooOld, match=r"none \(empty database\).*run `storechat migrate`"):
            require_current(db.engine)
        upgrade(db.engine)
        assert require_current(db.engine) == head_revision()
        # A revision this code does not know was made by a newer release (a rolling deploy
        # migrates first): the old code keeps running against it.
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'"))
        assert require_current(db.engine) == "9999_from_a_newer_release"
    finally:
        db.dispose()


def test_an_older_schema_is_refused(tmp_path: Path) -> None:
    _at_revision(tmp_path / "i", "0001")
    db = _database(tmp_path / "i")
    try:
        with pytest.raises(SchemaTooOld, match=f"revision 0001, older than this StoreChat \\({head_revision()}\\)"):
            require_current(db.engine)
    finally:
        db.dispose()


@pytest.mark.parametrize("args", [["worker", "--burst"], ["web", "--host", "127.0.0.1", "--port", "1"],
                                  ["serve", "--role", "worker"], ["serve", "--role", "web"]])
def test_processes_refuse_an_older_schema(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch,
                                          args: list[str]) -> None:
    instance = tmp_path / "i"
    _at_revision(instance, "0001")
    env = _env(instance, redis_url)
    for name in [n for n in os.environ if n.startswith("STORECHAT_")]:
        monkeypatch.delenv(name)
    result = CliRunner(env=env).invoke(main, args, prog_name="storechat")
    assert result.exit_code == 1, result.output
    assert "older than this StoreChat" in result.output and "storechat migrate" in result.output
    db = _database(instance)
    try:  # nothing was migrated behind the operator's back
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    finally:
        db.dispose()


@pytest.mark.parametrize("role", ["web", "worker"])
def test_a_role_needs_a_shared_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    for name in [n for n in os.environ if n.startswith("STORECHAT_")]:
        monkeypatch.delenv(name)
    result = CliRunner(env=_env(tmp_path / "i", None)).invoke(main, ["serve", "--role", role],
                                                               prog_name="storechat")
    assert result.exit_code == 1
    assert f"a {role} host shares Redis" in result.output and "STORECHAT_REDIS_URL" in result.output


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "core.cli", "serve", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


def test_web_and_worker_hosts_split_the_work(tmp_path: Path, redis_url: str, redis) -> None:  # type: ignore[no-untyped-def]
    """A web host serves and queues; a worker host (another process group, same Redis and
    database) runs the queued sync; neither migrates."""
    instance = tmp_path / "i"
    env = _env(instance, redis_url)
    subprocess.run([sys.executable, "-m", "core.cli", "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    web = _serve(env, "--role", "web", "--web-workers", "1", "--port", str(port))
    worker = _serve(env, "--role", "worker", "--assistant-workers", "0", "--sync-workers", "1")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or (a loaded machine) listening but not answering yet
            assert time.monotonic() < deadline and web.poll() is None, "the web host did not start"
            time.sleep(0.2)
        csv = tmp_path / "catalog.csv"
        csv.write_text("Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,"
                       "Variant SKU,Variant Price,Variant Inventory Qty,Image Src\n"
                       "mug,Blue Mug,<p>A mug.</p>,Acme,Mug,,true,Title,Default Title,MUG-1,9.00,5,\n")
        created = subprocess.run([sys.executable, "-m", "core.cli", "shop", "create", "Roles Shop", "--csv", str(csv)],
                                 env=env, capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stdout + created.stderr
        # The worker host ran it: the command found a worker listening and only waited.
        assert "no worker is running" not in created.stdout
        assert "sync finished: 1 products" in created.stdout
    finally:
        web_out, worker_out = _stop(web), _stop(worker)
    assert "(web host): 1 web process, 0 workers" in web_out, web_out
    assert "(worker host): 0 web processes, 1 worker" in worker_out, worker_out
    assert "working the queues" in worker_out
