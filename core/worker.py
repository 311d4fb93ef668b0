"""The RQ worker: assistant replies, catalog syncs, webhooks and purges.

A ``SimpleWorker`` runs jobs in its own process instead of forking one per
job: enqueue-to-start is about 1 ms instead of 8 ms (bench/README.md, "Baselines"),
which a shopper waiting for an answer feels. Jobs are short and isolated by
the database, so the fork buys nothing here; run more worker processes to
scale. It runs in the process's main thread because job timeouts use SIGALRM.

A worker runs one job at a time, so shoppers' replies get worker processes
of their own (``--queue assistant``; see :func:`core.jobs.worker_layout`):
on a worker that also syncs, a reply would wait for a slow store's sync.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis as redis_lib
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from core import log_setup, redis_client
from core.jobs import ASSISTANT, QUEUES, queue, worker_services

log = logging.getLogger(__name__)


def queue_names(values: Iterable[str]) -> tuple[str, ...]:
    """The queues named in ``values`` (each may list several, comma-separated), shopper-facing
    first; all of them when none is named. An unknown name raises ValueError."""
    named = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(named - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue {', '.join(map(repr, unknown))}: the queues are {', '.join(QUEUES)}")
    return tuple(name for name in QUEUES if name in named) or QUEUES


def _expected_stop(record: logging.LogRecord) -> bool:
    """RQ warns "cold shut down" when a second SIGTERM stops a worker still in a job:
    ``storechat serve`` does that on purpose when it stops (core/supervisor.py), which
    records the job as failed; the warning would only be noise in its few lines."""
    return "cold shut down" not in record.getMessage()


class MeasuredWorker(SimpleWorker):
    """RQ's SimpleWorker, each job timed and its failures counted by kind (its function's
    name: ``assistant_reply``, ``sync_shop``...), and its log lines tagged with its id."""

    #: Seconds RQ's command listener (a pub/sub thread) waits per read. RQ's own 60 s made a
    #: stopping worker wait up to a minute: its teardown joins that thread, and a read begun
    #: before the subscription was confirmed waits out the whole timeout (redis-py 8).
    PUBSUB_WAIT = 1.0

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # rq declares pubsub_thread as None (its own subscribe() assigns the thread too).
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=self.PUBSUB_WAIT, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        from core import metrics

        kind = (job.func_name or "unknown").rpartition(".")[2]
        started = time.perf_counter()
        with log_setup.bind(job_id=job.id):
            ok = bool(super().perform_job(job, queue, execution))
        metrics.JOB_SECONDS.labels(kind).observe(time.perf_counter() - started)
        if not ok:
            metrics.JOB_FAILURES.labels(kind).inc()
        return ok


def _warm() -> None:
    """The vocabularies of recently active shops, built beside the first jobs (see
    :func:`core.assistant.builtin.vocabulary.warm_recent`)."""
    from core.assistant.builtin.vocabulary import warm_recent

    try:
        started = time.perf_counter()
        shops = warm_recent(worker_services().db)
        # A vocabulary of 100,000 products is millions of objects that live as long as the process:
        # every full collection walked them all (a 90 ms pause on some shopper's reply). Collected
        # once here, then frozen out of the collector's passes (they are freed by their reference
        # counts when replaced: a vocabulary holds no cycles).
        gc.collect()
        gc.freeze()
        log.debug("warmed %d shops' vocabularies in %.1f s", len(shops), time.perf_counter() - started)
    except Exception:  # the first question of each shop builds its own instead
        log.exception("could not warm the vocabularies")


def run(redis_url: str, queues: tuple[str, ...] = QUEUES, *, burst: bool = False) -> bool:
    connection = redis_client.worker_client(redis_url)
    stop = threading.Event()
    if not burst and ASSISTANT in queues:
        from core.assistant import sweeper

        sweeper.start(worker_services(), redis_client.client(redis_url), stop)
        threading.Thread(target=_warm, name="vocabulary-warm", daemon=True).start()
    logging.getLogger("rq.worker").setLevel(logging.INFO)
    logging.getLogger("rq.worker").addFilter(_expected_stop)
    delay = 0.5
    try:
        while True:
            worker = MeasuredWorker(
                [queue(name, connection) for name in queues], connection=connection, serializer=JSONSerializer
            )
            try:
                done = worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
            except redis_lib.ConnectionError:
                if burst:
                    raise
                done = False
            # RQ's work() also returns when it lost Redis ("unhandled exception,
            # quitting"); only a requested stop (SIGTERM, SIGINT) or a burst ends us.
            # An idle worker's SIGTERM sets only the shutdown date; a busy one's sets both.
            asked = (
                getattr(worker, "_stop_requested", False)
                or getattr(worker, "_shutdown_requested_date", None) is not None
            )
            if burst or asked:
                return done
            log.warning("worker stopped without being asked (Redis gone?); restarting in %.1fs", delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    finally:
        stop.set()
