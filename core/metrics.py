"""What StoreChat counts, in Prometheus' terms (prometheus-client).

Every process (each gunicorn worker, each RQ worker) records into the
multiprocess folder (``PROMETHEUS_MULTIPROC_DIR``, set up by
:mod:`core.metrics_dir` before this module is first imported); ``/metrics``
(:mod:`core.metrics_view`) adds up every process's files at scrape time.

The metrics are module-level objects so that a record is one call on the path
it measures (a counter increment is a lock and a write into a memory-mapped
file, about a microsecond): the message path does nothing else. Labels are
small closed sets (a route's rule, never its raw path; a job's function name;
a platform's name), so the number of series stays bounded.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from core.metrics_dir import ENV

#: Whether this process records into the multiprocess folder: prometheus_client decided it when
#: it was first imported (just now), from the variable as it was then.
MULTIPROCESS = bool(os.environ.get(ENV))
if MULTIPROCESS:  # a command may record before it gets to metrics_dir.use() (`demo` syncs first)
    os.makedirs(os.environ[ENV], exist_ok=True)

#: HTTP requests by the URL rule that served them (``/api/v1/visitor/messages``,
#: ``/webhooks/<platform>``; ``unmatched`` for a 404 without a rule) and status.
HTTP_REQUESTS = Counter(
    "storechat_http_requests", "HTTP requests answered, by route rule, method and status", ["route", "method", "status"]
)
#: Open WebSockets by kind (``visitor``, ``agent``), summed over the live processes.
OPEN_SOCKETS = Gauge("storechat_open_sockets", "Open chat sockets, by kind", ["kind"], multiprocess_mode="livesum")
#: Messages stored (new rows only: a retried client_id is not counted), by author.
MESSAGES_STORED = Counter("storechat_messages_stored", "Chat messages stored, by author", ["author"])
#: Seconds from the assistant job's start to its reply stored (engine, tools, guard, store).
ASSISTANT_REPLY_SECONDS = Histogram(
    "storechat_assistant_reply_seconds",
    "Time to build and store an assistant reply, by engine",
    ["engine"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
GUARD_TRIPS = Counter("storechat_assistant_guard_trips", "Replies replaced by the grounding guard")
#: Conversations moved to waiting for a person (the assistant's or the shopper's request).
HANDOFFS = Counter("storechat_handoffs", "Conversations handed to the team")
#: Platform webhook deliveries by the answer given: queued, duplicate, pong, or an error code.
WEBHOOK_DELIVERIES = Counter(
    "storechat_webhook_deliveries", "Platform webhook deliveries, by platform and outcome", ["platform", "outcome"]
)
JOB_SECONDS = Histogram(
    "storechat_job_seconds",
    "RQ job run time, by job kind",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
JOB_FAILURES = Counter("storechat_job_failures", "RQ jobs that failed (each try), by job kind", ["job"])
#: Catalog records a sync stored (batches of a running sync count as they commit).
SYNC_RECORDS = Counter("storechat_sync_records", "Catalog records stored by syncs, by kind", ["kind"])


def record_request(route: str, method: str, status: int) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()


def socket_opened(kind: str) -> None:
    OPEN_SOCKETS.labels(kind).inc()


def socket_closed(kind: str) -> None:
    OPEN_SOCKETS.labels(kind).dec()


_STORED_BY: dict[str, Any] = {}


def message_stored(author: str) -> None:
    # The labelled child is looked up once per author: the message path pays the increment only.
    child = _STORED_BY.get(author)
    if child is None:
        child = _STORED_BY[author] = MESSAGES_STORED.labels(author)
    child.inc()


def webhook_delivery(platform: str, outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(platform, outcome).inc()
