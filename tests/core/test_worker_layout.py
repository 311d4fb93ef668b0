"""Shoppers' replies never wait behind catalog syncs, and one shop's syncs take
one worker at a time; with real RQ worker processes on the test's Redis.

A sync job is made slow the way a slow store makes it slow: the shop is a
WordPress site on loopback (``tests/fakes/slow_wordpress.py``) that holds
every answer until the test opens its gate.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from core import jobs
from core.catalog.sync import create_run
from core.chat import messages
from core.db import Database, Message, SyncRun
from core.settings import Settings
from core.shops import create_shop
from core.supervisor import Supervisor
from tests.conftest import SHOPIFY_DATA
from tests.fakes.slow_wordpress import CALL_LOOPBACK, SlowWordPress


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def run_of(db: Database, run_id: int) -> SyncRun:
    with db.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        return run


def status(db: Database, run_id: int) -> str:
    return run_of(db, run_id).status


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowWordPress]:
    for name, value in CALL_LOOPBACK.items():
        monkeypatch.setenv(name, value)  # the worker processes inherit it
    with SlowWordPress(pages=1, per_page=5) as slow:
        slow.gate.clear()  # every answer waits until the test opens it
        yield slow


def shopper_line(db: Database, shop_id: int, text: str) -> tuple[int, int]:
    conversation = messages.start_conversation(db, shop_id, uuid.uuid4().hex)
    line = messages.append_message(db, conversation.id, author="visitor", text=text)
    return conversation.id, line.message.seq


def answered(db: Database, conversation_id: int) -> bool:
    with db.session() as session:
        return session.scalar(select(Message.id).where(
            Message.conversation_id == conversation_id, Message.author == "assistant").limit(1)) is not None


def test_serve_answers_a_shopper_while_a_slow_sync_holds_its_sync_worker(
    settings: Settings, db: Database, redis, site: SlowWordPress  # type: ignore[no-untyped-def]
) -> None:
    slow = create_shop(db, "Slow store", "wordpress", {"site_url": site.url})
    other = create_shop(db, "Other store", "csv", {"csv_path": str(SHOPIFY_DATA / "apparel.csv")})
    sync = create_run(db, slow.id)
    jobs.enqueue_sync(redis, sync.id, slow.id)

    sup = Supervisor(settings, "127.0.0.1", 0, web_workers=1)  # the workers `storechat serve` starts
    sup.start()
    try:
        site.wait_for_requests(1)  # the sync job is in a worker, waiting on the store
        conversation_id, seq = shopper_line(db, other.id, "hello")
        jobs.enqueue_assistant_reply(redis, conversation_id, seq)
        wait_for("the assistant's reply", lambda: answered(db, conversation_id), timeout=20)
        assert status(db, sync.id) == "running"  # the reply did not wait for the sync

        site.gate.set()
        wait_for("the sync to finish", lambda: status(db, sync.id) in ("finished", "failed"))
        assert status(db, sync.id) == "finished"
    finally:
        sup.stop()


def test_stopping_serve_mid_sync_stops_the_job_and_frees_its_shops_slot(
    settings: Settings, db: Database, redis, site: SlowWordPress  # type: ignore[no-untyped-def]
) -> None:
    slow = create_shop(db, "Slow store", "wordpress", {"site_url": site.url})
    job = jobs.enqueue_sync(redis, create_run(db, slow.id).id, slow.id)
    sup = Supervisor(settings, "127.0.0.1", 0, web_workers=1)
    sup.start()
    try:
        site.wait_for_requests(1)  # the sync waits on the store, which does not answer
    finally:
        sup.stop()
    assert job.get_status(refresh=True) == "failed"  # stopped, and recorded as such by RQ
    # Its shop's next sync is queued at once, not held for the stopped one's slot.
    again = jobs.enqueue_sync(redis, create_run(db, slow.id).id, slow.id)
    assert again.get_status() == "queued"


@contextmanager
def workers(settings: Settings, count: int, queues: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``storechat worker --queue <queues>`` processes on the test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    env.update({
        "STORECHAT_INSTANCE_PATH": str(settings.instance_path),
        "STORECHAT_DATABASE_URL": settings.sqlalchemy_url,
        "STORECHAT_REDIS_URL": settings.redis_url or "",
        "STORECHAT_SECRET_KEY": settings.secret_key or "",
        "STORECHAT_LOG_LEVEL": "WARNING",
        **CALL_LOOPBACK,
    })
    procs = [subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--queue", queues], env=env)
             for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_one_shop_runs_one_sync_at_a_time_and_loses_none(
    settings: Settings, db: Database, redis, site: SlowWordPress  # type: ignore[no-untyped-def]
) -> None:
    slow = create_shop(db, "Slow store", "wordpress", {"site_url": site.url})
    other = create_shop(db, "Other store", "csv", {"csv_path": str(SHOPIFY_DATA / "apparel.csv")})
    first, second = create_run(db, slow.id), create_run(db, slow.id)
    others = create_run(db, other.id)
    for run in (first, second, others):
        jobs.enqueue_sync(redis, run.id, run.shop_id)

    with workers(settings, 2, jobs.DEFAULT):
        site.wait_for_requests(1)
        # The slow shop's second sync does not take the second worker: the other shop's does.
        wait_for("the other shop's sync", lambda: status(db, others.id) == "finished")
        assert status(db, second.id) == "queued"
        assert (site.requests, site.most_in_flight) == (1, 1)

        site.gate.set()
        wait_for("both syncs of the slow shop", lambda: {status(db, first.id), status(db, second.id)} == {"finished"})
    one, two = run_of(db, first.id), run_of(db, second.id)
    assert one.finished_at is not None and two.started_at is not None
    assert two.started_at >= one.finished_at
    assert site.most_in_flight == 1


def test_a_shops_webhooks_run_one_at_a_time_and_none_is_lost(settings: Settings, db: Database, redis) -> None:  # type: ignore[no-untyped-def]
    from rq.rate_limit import RateLimitRegistry

    from core.services import Services
    from core.testing.jobs import jobs_use
    from core.worker import MeasuredWorker

    event = {"topic": "orders/create", "delivery_id": "d", "payload": {}, "shop_ref": None}
    busy = [jobs.enqueue_webhook(redis, pk, event, 7) for pk in (101, 102, 103)]
    other = jobs.enqueue_webhook(redis, 104, event, 8)
    default = jobs.queue(jobs.DEFAULT, redis)
    assert default.job_ids == [busy[0].id, other.id]  # shop 7's others wait outside the queue, for its slot
    waiting = RateLimitRegistry(busy[0].rate_limit_key, redis)
    assert set(waiting.get_rate_limited_job_ids()) == {busy[1].id, busy[2].id}

    svc = Services(settings)
    worker = MeasuredWorker([default], connection=redis, serializer=jobs.JSONSerializer)
    try:
        with jobs_use(svc):
            worker.work(burst=True, logging_level="WARNING")
    finally:
        svc.close()
    worker.refresh()
    assert (worker.successful_job_count, worker.failed_job_count) == (4, 0)  # each one ran, once
    assert default.count == 0 and waiting.get_rate_limited_job_count() == 0


def test_a_purge_waits_for_its_shops_sync(redis) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    sync = jobs.enqueue_sync(redis, 1, 7)
    purge = jobs.schedule_purge(redis, 7, 9, timedelta(hours=1))
    assert purge.rate_limit_key == sync.rate_limit_key
    assert jobs.enqueue_sync(redis, 2, 8).rate_limit_key != sync.rate_limit_key


def test_serve_gives_replies_and_background_work_workers_of_their_own() -> None:
    assert jobs.worker_layout() == [(jobs.ASSISTANT,), (jobs.DEFAULT,)]
    assert jobs.worker_layout(2, 3) == [(jobs.ASSISTANT,)] * 2 + [(jobs.DEFAULT,)] * 3


def test_worker_queues_are_named_comma_separated_or_repeated_and_checked(redis_url: str) -> None:
    from click.testing import CliRunner

    from core.cli import main
    from core.worker import queue_names

    assert queue_names([]) == jobs.QUEUES
    assert queue_names(["default"]) == (jobs.DEFAULT,)
    assert queue_names(["default,assistant"]) == queue_names(["default", "assistant"]) == jobs.QUEUES
    result = CliRunner(env={"STORECHAT_REDIS_URL": redis_url}).invoke(
        main, ["worker", "--queue", "assistant,sync", "--burst"], prog_name="storechat")
    assert result.exit_code == 2
    assert "unknown queue 'sync': the queues are assistant, default" in result.output
