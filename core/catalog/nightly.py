"""The nightly incremental sync of shops connected to a WordPress site.

The plugin tells StoreChat about each edit within seconds; this catches what
a notification missed (StoreChat down for longer than the plugin retries, an
edit made with the plugin off). Once per UTC day, from :data:`HOUR` o'clock,
the first worker loop to get there (a Redis ``SET NX`` per day) queues an
incremental sync of every active shop whose WordPress connection is on
(a ``wordpress`` shop, or a WooCommerce one connected through the plugin).
It runs in the sweeper's loop (core/assistant/sweeper.py) beside each worker.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis as redis_lib
from sqlalchemy import select

from core import wordpress_sites
from core.db import Shop
from core.services import Services

log = logging.getLogger(__name__)
#: UTC hour from which the day's run may start.
HOUR = 3
KEY = "storechat:nightly-sync"


def due_shops(svc: Services) -> list[int]:
    with svc.db.session() as session:
        shops = session.scalars(select(Shop).where(Shop.platform.in_(("wordpress", "woocommerce")), Shop.active))
        return [s.id for s in shops if wordpress_sites.connection_state(s) == "connected"]


def run_nightly(svc: Services, redis: redis_lib.Redis, now: datetime | None = None) -> int:
    """Queue today's incremental syncs if they are due and nobody queued them; how many were queued."""
    now = now or datetime.now(UTC)
    if now.hour < HOUR or not redis.set(f"{KEY}:{now.date().isoformat()}", "1", nx=True, ex=2 * 86400):
        return 0
    queued = 0
    for shop_id in due_shops(svc):
        if wordpress_sites.queue_sync(svc.db, redis, shop_id, full=False) is not None:
            queued += 1
    # A day with nothing to sync says nothing above DEBUG (`storechat demo` prints a few lines only).
    log.log(logging.INFO if queued else logging.DEBUG, "nightly sync: %d WordPress shop(s) queued", queued)
    return queued
