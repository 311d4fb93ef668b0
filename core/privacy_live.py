"""A shopper's traces in Redis: the keys named after them and the RQ jobs that carry them.

The database is the source of truth (:mod:`core.privacy`), but Redis holds, for
a while, keys named after a shopper and jobs whose arguments name their
conversations, notifications, email or webhook payloads. Erasing a shopper
erases these too. :class:`Traces` is what the database knew about them,
gathered before their rows are deleted (afterwards nothing links a
conversation id to them any more).

Keys (docs/architecture.md lists every Redis key):

- ``sc:rl:visitor:<visitor>``: their message-rate bucket;
- ``sc:fails:orders:<shop>:email:<digest>`` / ``…:customer:<id>``: their failed
  order lookups, and ``…:client:<tag>`` of the addresses they wrote from (the
  opaque tag kept in their messages);
- ``sc:presence:conversation:<id>`` and their entries (``<id>:<connection>``)
  in ``sc:presence:visitors:<shop>``;
- ``sc:swept:<conversation>:<seq>`` and ``sc:typing:<writer>:<conversation>``.

Keys named only by an address (``sc:rl:ip:…``, ``sc:slots:ip:…``,
``sc:rl:events:…``) cannot be tied to a shopper (no address is stored) and
expire within minutes.

Jobs: every ``rq:job:*`` whose arguments name their conversations or
notification deliveries, or (a webhook's payload of this shop) their email or
customer id in this shop, in any state but running: queued, scheduled,
deferred, failed, finished (with its result). A queued job would only fail on
the rows now gone and keep its arguments in the failed registry for days. The
job running the erasure (a platform's redact webhook) is running: left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import redis as redis_lib
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

#: Job states a job is left alone in: running (a worker holds it).
RUNNING = frozenset({JobStatus.STARTED})
#: Job functions (core/jobs.py) -> which argument names what.
BY_CONVERSATION = ("core.jobs.assistant_reply", "core.jobs.notify_team", "core.jobs.notify_shopper")
BY_DELIVERY = ("core.jobs.deliver_notification",)
WEBHOOK = "core.jobs.process_webhook"


@dataclass
class Traces:
    """What names a shopper of one shop, as the database knew it."""

    shop_id: int
    visitor_ids: set[str] = field(default_factory=set)
    conversation_ids: set[int] = field(default_factory=set)
    #: Their notification_deliveries rows (a job delivers one by id).
    delivery_ids: set[int] = field(default_factory=set)
    #: Lower-cased: the one asked for and any their visitors gave.
    emails: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    #: The opaque tags of the addresses they wrote from (messages' payloads).
    client_tags: set[str] = field(default_factory=set)
    #: Webhook deliveries of the shop (by primary key), to tell a payload's shop.
    shop_deliveries: set[int] = field(default_factory=set)


def _email_digest(email: str) -> str:
    # As core/assistant/tools/orders.py Guesses.keys names an email (Redis never gets one).
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _order_keys(t: Traces) -> list[str]:
    who = [f"email:{_email_digest(e)}" for e in t.emails] + [f"customer:{c}" for c in t.customer_ids]
    who += [f"client:{tag}" for tag in t.client_tags]
    return [f"sc:fails:orders:{t.shop_id}:{w}" for w in who]


def _scan(redis: redis_lib.Redis, pattern: str) -> Iterator[str]:
    for key in redis.scan_iter(match=pattern, count=1000):
        yield key.decode() if isinstance(key, bytes) else key


def keys(redis: redis_lib.Redis, t: Traces) -> tuple[list[str], list[tuple[str, str]]]:
    """The shopper's keys that exist, and their members of shared sets ``(key, member)``."""
    exact = [f"sc:rl:visitor:{v}" for v in sorted(t.visitor_ids)] + _order_keys(t)
    exact += [f"sc:presence:conversation:{c}" for c in sorted(t.conversation_ids)]
    exact += [f"sc:typing:v:{c}" for c in sorted(t.conversation_ids)]
    found = [k for k, there in zip(exact, _exist(redis, exact), strict=True) if there]
    for c in sorted(t.conversation_ids):
        found += _scan(redis, f"sc:swept:{c}:*")
        found += [k for k in _scan(redis, f"sc:typing:a*:{c}") if k.rsplit(":", 1)[-1] == str(c)]
    members: list[tuple[str, str]] = []
    shared = f"sc:presence:visitors:{t.shop_id}"
    if t.conversation_ids:
        for raw in cast(list[bytes], redis.zrange(shared, 0, -1)):
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            if member.split(":", 1)[0] in {str(c) for c in t.conversation_ids}:
                members.append((shared, member))
    return sorted(set(found)), members


def _exist(redis: redis_lib.Redis, names: list[str]) -> list[bool]:
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.exists(name)
    return [bool(n) for n in pipe.execute()] if names else []


def jobs(redis: redis_lib.Redis, t: Traces) -> list[Job]:
    """The jobs (not running) whose arguments name the shopper."""
    found = []
    for job in _every_job(redis):
        try:
            status = job.get_status(refresh=False)
        except (NoSuchJobError, redis_lib.RedisError):
            continue
        if status in RUNNING:
            continue
        if _names(job, t):
            found.append(job)
    return found


def _every_job(redis: redis_lib.Redis) -> Iterator[Job]:
    ids = {k[len("rq:job:") :] for k in _scan(redis, "rq:job:*") if k.count(":") == 2}
    for job_id in sorted(ids):
        try:
            yield Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
        except (NoSuchJobError, ValueError, TypeError, LookupError):
            continue  # gone meanwhile, or not one of ours (another serializer)
        except Exception:  # noqa: BLE001 - a job we cannot read carries nothing we can match
            continue


def _names(job: Job, t: Traces) -> bool:
    try:
        func, args = job.func_name, list(job.args or ())
    except Exception:  # noqa: BLE001 - an unreadable payload: not ours
        return False
    if func in BY_CONVERSATION and args:
        # notify_team's email is the one left in that conversation: the conversation says whose
        # (an email alone could be the same shopper's at another shop).
        return _int(args[0]) in t.conversation_ids
    if func in BY_DELIVERY and args:
        return _int(args[0]) in t.delivery_ids
    if func == WEBHOOK and len(args) > 1:
        return _int(args[0]) in t.shop_deliveries and _mentions(args[1], t)
    return False


def _mentions(value: Any, t: Traces) -> bool:
    """Whether a webhook payload names the shopper: their email anywhere, or their customer id
    under a customer's key (Shopify's ``customer.id``, WooCommerce's ``customer_id``): not any
    number that happens to be equal (an order total, a product id)."""
    for path, scalar in _scalars(value, ()):
        if isinstance(scalar, str) and scalar.strip().lower() in t.emails:
            return True
        if (
            not isinstance(scalar, bool)
            and isinstance(scalar, (str, int))
            and str(scalar) in t.customer_ids
            and any("customer" in str(step).lower() for step in path)
        ):
            return True
    return False


def _scalars(value: Any, path: tuple[Any, ...]) -> Iterable[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _scalars(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _scalars(item, path)
    else:
        yield path, value


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Found:
    keys: list[str]
    members: list[tuple[str, str]]
    jobs: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"keys": self.keys, "set_members": [list(m) for m in self.members], "jobs": self.jobs}


def find(redis: redis_lib.Redis, t: Traces) -> Found:
    """What Redis holds about the shopper (for an export): key names, set members, jobs."""
    names, members = keys(redis, t)
    return Found(names, members, [_job_dict(job) for job in jobs(redis, t)])


def _job_dict(job: Job) -> dict[str, Any]:
    status = job.get_status(refresh=False)
    return {
        "id": job.id,
        "function": job.func_name,
        "status": getattr(status, "value", status),
        "args": list(job.args or ()),
    }


def erase(redis: redis_lib.Redis, t: Traces) -> tuple[int, int]:
    """Delete the shopper's keys, set members and jobs; returns (keys and members, jobs)."""
    names, members = keys(redis, t)
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.delete(name)
    for shared, member in members:
        pipe.zrem(shared, member)
    pipe.execute()
    found = jobs(redis, t)
    for job in found:
        job.delete(remove_from_queue=True)
    return len(names) + len(members), len(found)
