"""Running queued RQ jobs inside a test, against the test's own services.

``run_queued_jobs(svc)`` starts a real RQ worker in burst mode on the test's
Redis, with the job entry points of :mod:`core.jobs` using ``svc`` (the test's
database and settings) instead of building services from the environment.
A job that fails stays failed in RQ's registry, as it would in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rq.registry import FailedJobRegistry

from core import jobs
from core.services import Services
from core.worker import MeasuredWorker


@contextmanager
def jobs_use(svc: Services) -> Iterator[None]:
    original = jobs.worker_services
    jobs.worker_services = lambda: svc  # type: ignore[assignment]
    try:
        yield
    finally:
        jobs.worker_services = original


def run_queued_jobs(svc: Services, queues: tuple[str, ...] = jobs.QUEUES) -> list[str]:
    """Run every queued job to the end; returns the ids of jobs that failed."""
    connection = svc.redis
    queue_objs = [jobs.queue(name, connection) for name in queues]
    with jobs_use(svc):
        # The production worker class: RQ's own waits up to 60 s at the end of a burst for its
        # command listener (see MeasuredWorker.PUBSUB_WAIT), which cost CI a minute per unlucky test.
        MeasuredWorker(queue_objs, connection=connection, serializer=jobs.JSONSerializer).work(
            burst=True, logging_level="WARNING"
        )
    return [job_id for q in queue_objs for job_id in FailedJobRegistry(queue=q).get_job_ids()]
