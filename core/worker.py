"""The RQ worker: catalog sync, assistant replies, and later webhooks.

A ``SimpleWorker`` runs jobs in its own process instead of forking one per
job: enqueue-to-start is about 1 ms instead of 8 ms (../shared/MEASURED.md),
which a shopper waiting for an answer feels. Jobs are short and isolated by
the database, so the fork buys nothing here; run more worker processes to
scale. It runs in the process's main thread because job timeouts use SIGALRM.
"""
from __future__ import annotations

import logging
import threading

import redis as redis_lib
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from core.jobs import ASSISTANT, QUEUES, queue, worker_services


def run(redis_url: str, queues: tuple[str, ...] = QUEUES, *, burst: bool = False) -> bool:
    connection = redis_lib.Redis.from_url(redis_url)
    stop = threading.Event()
    if not burst and ASSISTANT in queues:
        from core.assistant import sweeper

        sweeper.start(worker_services(), connection, stop)
    worker = SimpleWorker(
        [queue(name, connection) for name in queues],
        connection=connection,
        serializer=JSONSerializer,
    )
    logging.getLogger("rq.worker").setLevel(logging.INFO)
    try:
        return worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
    finally:
        stop.set()
