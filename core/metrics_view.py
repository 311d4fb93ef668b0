"""``GET /metrics``: every process's figures in Prometheus' text format, behind a token.

Without ``STORECHAT_METRICS_TOKEN`` the route answers 404, as if it did not
exist. With it, a scrape must send ``Authorization: Bearer <token>``
(Prometheus: ``authorization: {credentials_file: ...}``); the token is
compared in constant time, and a wrong or missing one gets 401.

Besides the counters the processes record (:mod:`core.metrics`), a scrape
reads two figures live: the depth of each RQ queue (Redis) and the progress
of the syncs running now (the database). Both are the whole deployment's, so
every web host reports the same values (aggregate them with ``max``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from core import metrics
from core.services import Services, services

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def authorized(expected: str | None, header: str | None) -> bool:
    """Whether an ``Authorization`` header carries the token (constant-time comparison)."""
    if not expected or not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@bp.get("/metrics")
def scrape() -> Response:
    svc = services()
    expected = svc.settings.metrics_token
    if not expected:
        abort(404)
    if not authorized(expected, request.headers.get("Authorization")):
        return Response(
            "a metrics token is required\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(exposition(svc), mimetype=CONTENT_TYPE_LATEST)


def exposition(svc: Services) -> bytes:
    """The text of a scrape: every process's files (or this process's own figures when
    it runs without a multiprocess folder, as in tests), plus the live readings."""
    if metrics.MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001 - the process's own metrics
            registry.register(collector)
    registry.register(LiveReadings(svc))
    return generate_latest(registry)


class LiveReadings(Collector):
    """Queue depths and running syncs, read at scrape time; an unreachable source is skipped
    (and said in ``storechat_scrape_errors``) rather than failing the whole scrape."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Any]:
        errors = GaugeMetricFamily(
            "storechat_scrape_errors", "Live readings that failed in this scrape", labels=["source"]
        )
        try:
            yield from self._queues()
        except Exception:  # noqa: BLE001 - Redis away: the rest of the scrape still counts
            log.warning("metrics: could not read the queue depths", exc_info=True)
            errors.add_metric(["redis"], 1)
        try:
            yield from self._syncs()
        except Exception:  # noqa: BLE001
            log.warning("metrics: could not read the running syncs", exc_info=True)
            errors.add_metric(["database"], 1)
        yield errors

    def _queues(self) -> list[GaugeMetricFamily]:
        from rq.registry import ScheduledJobRegistry

        from core.jobs import QUEUES, queue

        depth = GaugeMetricFamily("storechat_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
        scheduled = GaugeMetricFamily(
            "storechat_queue_scheduled", "Jobs scheduled for later (retries, delays)", labels=["queue"]
        )
        failed = GaugeMetricFamily("storechat_queue_failed", "Jobs in each queue's failed registry", labels=["queue"])
        for name in QUEUES:
            q = queue(name, self.svc.redis)
            depth.add_metric([name], q.count)
            scheduled.add_metric([name], ScheduledJobRegistry(queue=q).count)
            failed.add_metric([name], q.failed_job_registry.count)
        return [depth, scheduled, failed]

    def _syncs(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from core.db import SyncRun

        runs = GaugeMetricFamily(
            "storechat_sync_runs", "Sync runs by status (queued and running now)", labels=["status"]
        )
        progress = GaugeMetricFamily(
            "storechat_sync_progress_records",
            "Records stored so far by each running sync, by shop and kind",
            labels=["shop", "kind"],
        )
        with self.svc.db.session() as session:
            counts = dict(
                session.execute(
                    select(SyncRun.status, func.count())
                    .where(SyncRun.status.in_(("queued", "running")))
                    .group_by(SyncRun.status)
                ).all()
            )
            for status in ("queued", "running"):
                runs.add_metric([status], counts.get(status, 0))
            for shop_id, products, documents in session.execute(
                select(SyncRun.shop_id, SyncRun.products_seen, SyncRun.documents_seen).where(
                    SyncRun.status == "running"
                )
            ):
                progress.add_metric([str(shop_id), "products"], products)
                progress.add_metric([str(shop_id), "documents"], documents)
        yield runs
        yield progress
