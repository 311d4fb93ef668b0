"""RQ queues and job entry points. Jobs are thin: they take ids and call a service.

Jobs are serialized as JSON, never pickle. A failure raises, so RQ records it.

Two queues, served by different worker processes (:func:`worker_layout`):
``assistant`` holds shoppers' replies only, ``default`` the background work
(catalog syncs, webhooks, purges), so a reply never waits behind a sync.
Background jobs carry a per-shop limit (RQ's ``RateLimit``): a shop's job
beyond its limit waits in Redis, outside the queue, until the shop's running
job ends, instead of taking another worker; then the longest waiting (to the second) is queued.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

import redis as redis_lib
from rq import Queue, RateLimit, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from core.services import Services
from core.settings import load_settings

ASSISTANT = "assistant"
DEFAULT = "default"
#: Every queue; a worker told to work all of them takes shopper-facing work first.
QUEUES = (ASSISTANT, DEFAULT)
#: A shop's catalog-wide jobs (syncs, the purge) run one at a time: two would only
#: race each other over the same rows, and a slow store's would take every worker.
SYNCS_PER_SHOP = 1
#: A shop's webhooks run one at a time too (in arrival order): a burst from one
#: store (a bulk edit) leaves the other workers to other shops.
WEBHOOKS_PER_SHOP = 1
#: Seconds between the tries of a failed webhook job.
WEBHOOK_RETRY_INTERVALS = [10, 60, 300, 900, 3600]
#: Seconds between the tries of a notification that could not be sent.
NOTIFY_RETRY_INTERVALS = [30, 120, 600, 1800]


def queue(name: str, connection: redis_lib.Redis) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def worker_layout(assistant_workers: int = 1, sync_workers: int = 1) -> list[tuple[str, ...]]:
    """The queues of each worker process `storechat serve` starts: shoppers' replies
    get workers of their own, the background work (syncs, webhooks) the others."""
    replies: tuple[str, ...] = (ASSISTANT,)
    background: tuple[str, ...] = (DEFAULT,)
    return [replies] * assistant_workers + [background] * sync_workers


def sync_limit(shop_id: int) -> RateLimit:
    return RateLimit(f"storechat:shop:{shop_id}:sync", SYNCS_PER_SHOP)


def webhook_limit(shop_id: int | None) -> RateLimit:
    # Deliveries for a shop StoreChat does not have share one slot (they do next to nothing).
    return RateLimit(f"storechat:shop:{shop_id if shop_id is not None else 'none'}:webhooks", WEBHOOKS_PER_SHOP)


def enqueue_assistant_reply(connection: redis_lib.Redis, conversation_id: int, seq: int) -> Job:
    return queue(ASSISTANT, connection).enqueue(
        assistant_reply, conversation_id, seq, job_timeout=60, result_ttl=60, failure_ttl=86400
    )


def enqueue_sync(connection: redis_lib.Redis, run_id: int, shop_id: int) -> Job:
    """Run sync run ``run_id`` of shop ``shop_id``; after the shop's running sync, if it has one."""
    return queue(DEFAULT, connection).enqueue(
        sync_shop,
        run_id,
        job_timeout=3600,
        result_ttl=3600,
        failure_ttl=7 * 86400,
        rate_limit=sync_limit(shop_id),
    )


def enqueue_webhook(connection: redis_lib.Redis, delivery_pk: int, event: dict[str, Any], shop_id: int | None) -> Job:
    """Process a recorded webhook delivery of shop ``shop_id`` (None: a shop StoreChat does
    not have); the event (its payload) travels in the job's args."""
    # The payload can name a shopper: keep it in Redis no longer than needed.
    # A failure (the platform's API down, a deadlock) is tried again over about an hour and a
    # half; the platform itself was answered 200 and will not send it again.
    return queue(DEFAULT, connection).enqueue(
        # The description (RQ logs it at INFO) names the job, not its payload.
        process_webhook,
        delivery_pk,
        event,
        description=f"process_webhook({delivery_pk})",
        job_timeout=300,
        result_ttl=0,
        failure_ttl=7 * 86400,
        retry=Retry(max=5, interval=WEBHOOK_RETRY_INTERVALS),
        rate_limit=webhook_limit(shop_id),
    )


def schedule_purge(connection: redis_lib.Redis, shop_id: int, uninstall_event_id: int, delay: timedelta) -> Job:
    return queue(DEFAULT, connection).enqueue_in(
        delay,
        purge_uninstalled_shop,
        shop_id,
        uninstall_event_id,
        job_timeout=3600,
        result_ttl=86400,
        rate_limit=sync_limit(shop_id),
    )


# Notifications ride on the assistant queue: short jobs a person is waiting on,
# which must not wait behind an hour-long sync on the default queue.


def enqueue_team_alert(connection: redis_lib.Redis, conversation_id: int, kind: str, email: str | None = None) -> Job:
    return queue(ASSISTANT, connection).enqueue(
        notify_team,
        conversation_id,
        kind,
        email,
        description=f"notify_team({conversation_id}, {kind!r})",
        job_timeout=60,
        result_ttl=0,
        failure_ttl=7 * 86400,
    )


def enqueue_shopper_email(connection: redis_lib.Redis, conversation_id: int, delay: timedelta) -> Job:
    return queue(ASSISTANT, connection).enqueue_in(
        delay, notify_shopper, conversation_id, job_timeout=60, result_ttl=0, failure_ttl=7 * 86400
    )


def enqueue_deliveries(connection: redis_lib.Redis, delivery_ids: list[int]) -> None:
    from core.notify.deliveries import TRIES

    for delivery_id in delivery_ids:
        queue(ASSISTANT, connection).enqueue(
            deliver_notification,
            delivery_id,
            job_timeout=60,
            result_ttl=0,
            failure_ttl=7 * 86400,
            retry=Retry(max=TRIES - 1, interval=NOTIFY_RETRY_INTERVALS),
        )


def enqueue_account_email(connection: redis_lib.Redis, user_id: int, purpose: str, base_url: str) -> Job:
    """An invitation or a password reset (``purpose``: welcome | reset), tried again for a while."""
    return queue(ASSISTANT, connection).enqueue(
        account_email,
        user_id,
        purpose,
        base_url,
        job_timeout=60,
        result_ttl=0,
        failure_ttl=86400,
        retry=Retry(max=3, interval=[30, 120, 600]),
    )


def enqueue_rollup(connection: redis_lib.Redis, shop_id: int, days: int) -> Job:
    """Roll up the shop's last ``days`` days of analytics (core/analytics/rollup.py)."""
    return queue(DEFAULT, connection).enqueue(
        rollup_analytics, shop_id, days, job_timeout=1800, result_ttl=600, failure_ttl=86400
    )


@cache
def worker_services() -> Services:
    """The services of a worker process, built from its environment once."""
    return Services(load_settings())


# -- job entry points ----------------------------------------------------------


def assistant_reply(conversation_id: int, seq: int) -> None:
    from core.assistant.service import answer

    answer(worker_services(), conversation_id, seq)


def sync_shop(run_id: int) -> None:
    from core.assistant.builtin.vocabulary import warm
    from core.catalog.sync import run_sync

    db = worker_services().db
    run = run_sync(db, run_id)
    # The assistant's vocabulary of the new catalog, built now rather than on the next shopper's question.
    warm(db, run.shop_id)


def process_webhook(delivery_pk: int, event: dict[str, Any]) -> None:
    from core.webhooks.processing import process_delivery

    svc = worker_services()
    process_delivery(
        svc.db,
        delivery_pk,
        event,
        redis=svc.redis,
        schedule_purge=lambda shop_id, event_id, delay: schedule_purge(svc.redis, shop_id, event_id, delay),
    )


def purge_uninstalled_shop(shop_id: int, uninstall_event_id: int) -> None:
    from core.privacy import purge_uninstalled

    purge_uninstalled(worker_services().db, shop_id, uninstall_event_id)


def notify_team(conversation_id: int, kind: str, email: str | None = None) -> None:
    from core.notify.deliveries import plan_team_alert

    svc = worker_services()
    enqueue_deliveries(svc.redis, plan_team_alert(svc, conversation_id, kind, email))


def notify_shopper(conversation_id: int) -> None:
    from core.notify.deliveries import plan_shopper_reply

    svc = worker_services()
    enqueue_deliveries(svc.redis, plan_shopper_reply(svc, conversation_id))


def deliver_notification(delivery_id: int) -> None:
    from core.notify.deliveries import deliver

    deliver(worker_services(), delivery_id)


def account_email(user_id: int, purpose: str, base_url: str) -> None:
    from core.accounts.mailing import send_account_email

    send_account_email(worker_services(), user_id, purpose, base_url)


def rollup_analytics(shop_id: int, days: int) -> None:
    from core.analytics.rollup import roll_up_recent

    roll_up_recent(worker_services().db, shop_id, days)
