"""A shop's day, rolled up: one ``analytics_days`` row per shop and UTC day
(``data``: counts, histograms, intents, ratings; ``gaps``; ``ab``).

Two clocks. What a conversation became (resolved by the assistant, handed to
a person, its response and resolution times, its lines) counts on the day it
began; it can still change for a while, so each run recomputes the last
:data:`RECENT_DAYS` days. Everything else (widget loads and opens, triggers,
add to cart, ratings, answers by intent, content gaps, orders) counts on the
day it happened.

Definitions (docs/architecture.md, "Analytics"):

- **resolved by the assistant**: the assistant answered at least once
  (an answer, not a refusal or "I don't know") and no person took part
  (no handoff, no agent line).
- **handoff share**: conversations with a handoff / conversations.
- **first response, assistant**: first assistant line - first shopper line;
  **people**: first agent line - the first handoff (or, when an agent took it
  without one, the first shopper line).
- **resolution time**: last assistant line - first shopper line for resolved
  ones; last agent line - first shopper line when a person answered.
- **attributed orders**: ``order_created`` events marked ``attributed``
  (core/analytics/attribution.py), each order once, revenue per currency.

The A/B split (``ab[experiment id][variant]``): views and opens and
add to cart from the widget's events' own ``ab``; conversations, resolutions
and orders through the conversation's visitor (``visitors.context["ab"]``,
from ``hello``).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics import gaps, histogram
from core.db import AnalyticsDay, Conversation, Database, Event, Message, Shop, Visitor
from core.db.models import utcnow

log = logging.getLogger(__name__)

#: Days each scheduled run recomputes (today included): a conversation's outcome settles within them.
RECENT_DAYS = 3
#: Seconds between scheduled runs (core/assistant/sweeper.py starts them).
EVERY = 600
#: Different gap wordings kept per day (the most asked).
MAX_GAP_KEYS = 50
#: Conversations kept per wording and day (a report keeps up to gaps.MAX_CONVERSATIONS a group).
CONVERSATIONS_PER_GAP = 5
CHUNK = 500

DAY_KINDS = (
    "widget_load",
    "widget_open",
    "trigger_fired",
    "add_to_cart",
    "csat",
    "assistant_reply",
    "guard_trip",
    "content_gap",
    "order_created",
)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _ab_bucket(ab: dict[str, Any], experiment: str, variant: str) -> dict[str, Any]:
    return ab.setdefault(experiment, {}).setdefault(
        variant,
        {"views": 0, "opens": 0, "conversations": 0, "resolved": 0, "add_to_cart": 0, "orders": 0, "revenue": "0"},
    )


def _choices(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def compute_day(session: Session, shop_id: int, day: date) -> dict[str, Any]:
    """The figures of one shop's day (see the module's definitions)."""
    start, end = _bounds(day)
    ab: dict[str, Any] = {}
    data: dict[str, Any] = {
        "conversations": 0,
        "resolved_ai": 0,
        "handoffs": 0,
        "shopper_messages": 0,
        "assistant_messages": 0,
        "agent_replies": 0,
        "fr_ai": {},
        "fr_human": {},
        "res_ai": {},
        "res_human": {},
    }

    # -- the conversations that began today ---------------------------------
    conversations = session.execute(
        select(Conversation.id, Conversation.visitor_id).where(
            Conversation.shop_id == shop_id, Conversation.created_at >= start, Conversation.created_at < end
        )
    ).all()
    ids = [c for c, _ in conversations]
    visitor_of = dict(conversations)
    lines: dict[int, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    handed: dict[int, datetime] = {}
    answered: set[int] = set()
    for chunk in _chunks(ids):
        for cid, author, at in session.execute(
            select(Message.conversation_id, Message.author, Message.created_at).where(
                Message.conversation_id.in_(chunk)
            )
        ):
            lines[cid][author].append(at)
        for cid, kind, payload, at in session.execute(
            select(Event.conversation_id, Event.kind, Event.data, Event.created_at).where(
                Event.conversation_id.in_(chunk), Event.kind.in_(("handoff", "assistant_reply"))
            )
        ):
            if kind == "handoff":
                handed[cid] = min(handed.get(cid, at), at)
            elif (payload or {}).get("answered", True) and (payload or {}).get("grounded", True):
                answered.add(cid)
    ab_of_visitor = _visitor_choices(session, set(visitor_of.values()))
    for cid in ids:
        by = lines.get(cid, {})
        shopper, bot, agent = (
            sorted(by.get("visitor", [])),
            sorted(by.get("assistant", [])),
            sorted(by.get("agent", [])),
        )
        data["conversations"] += 1
        data["shopper_messages"] += len(shopper)
        data["assistant_messages"] += len(bot)
        data["agent_replies"] += len(agent)
        resolved = cid in answered and cid not in handed and not agent
        data["resolved_ai"] += resolved
        data["handoffs"] += cid in handed
        if shopper and bot:
            _add(data["fr_ai"], (bot[0] - shopper[0]).total_seconds())
            if resolved:
                _add(data["res_ai"], (bot[-1] - shopper[0]).total_seconds())
        if agent:
            asked = handed.get(cid) or (shopper[0] if shopper else None)
            if asked is not None:
                _add(data["fr_human"], (agent[0] - asked).total_seconds())
            if shopper:
                _add(data["res_human"], (agent[-1] - shopper[0]).total_seconds())
        for experiment, variant in ab_of_visitor.get(visitor_of[cid], {}).items():
            bucket = _ab_bucket(ab, experiment, variant)
            bucket["conversations"] += 1
            bucket["resolved"] += resolved

    # -- what happened today --------------------------------------------------
    counts: Counter[str] = Counter()
    triggers: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    engines: Counter[str] = Counter()
    csat: Counter[str] = Counter()
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    gap_keys: dict[str, dict[str, Any]] = {}
    orders_seen: set[str] = set()
    attributed_orders: list[tuple[int, Decimal]] = []
    rows = session.execute(
        select(Event.kind, Event.conversation_id, Event.data)
        .where(Event.shop_id == shop_id, Event.kind.in_(DAY_KINDS), Event.created_at >= start, Event.created_at < end)
        .order_by(Event.id)
    )
    for kind, cid, payload in rows:
        payload = payload or {}
        if kind in ("widget_load", "widget_open", "add_to_cart"):
            counts[kind] += 1
            field = {"widget_load": "views", "widget_open": "opens", "add_to_cart": "add_to_cart"}[kind]
            for experiment, variant in _choices(payload.get("ab")).items():
                _ab_bucket(ab, experiment, variant)[field] += 1
        elif kind == "trigger_fired":
            counts[kind] += 1
            triggers[str(payload.get("trigger"))] += 1
        elif kind == "csat":
            score = payload.get("score")
            if isinstance(score, int) and 1 <= score <= 5:
                csat[str(score)] += 1
        elif kind == "assistant_reply":
            counts["answers"] += 1
            intents[str(payload.get("intent") or "unknown")] += 1
            engines[str(payload.get("engine") or "unknown")] += 1
        elif kind == "guard_trip":
            counts["refused"] += 1
        elif kind == "content_gap":
            text = str(payload.get("text") or "").strip()
            k = gaps.key(text)
            if not k or cid is None:
                continue
            entry = gap_keys.setdefault(k, {"text": text[:200], "n": 0, "c": []})
            entry["n"] += 1
            if cid not in entry["c"] and len(entry["c"]) < CONVERSATIONS_PER_GAP:
                entry["c"].append(cid)
        elif kind == "order_created" and payload.get("attributed") and cid is not None:
            order = str(payload.get("order_id") or "")
            if order in orders_seen:
                continue  # the same order reported twice (two topics, a replay)
            orders_seen.add(order)
            try:
                amount = Decimal(str(payload.get("total_price") or "0"))
            except ArithmeticError:
                amount = Decimal("0")
            counts["orders"] += 1
            revenue[str(payload.get("currency") or "")] += amount
            attributed_orders.append((cid, amount))
    _orders_by_variant(session, attributed_orders, ab)
    data.update(
        {
            "loads": counts["widget_load"],
            "opens": counts["widget_open"],
            "triggers": counts["trigger_fired"],
            "add_to_cart": counts["add_to_cart"],
            "answers": counts["answers"],
            "refused": counts["refused"],
            "orders": counts["orders"],
            "revenue": {c: f"{v:.2f}" for c, v in revenue.items()},
            "trigger_counts": dict(triggers),
            "intents": dict(intents),
            "engines": dict(engines),
            "csat": dict(csat),
            "gaps": dict(sorted(gap_keys.items(), key=lambda kv: -kv[1]["n"])[:MAX_GAP_KEYS]),
            "ab": ab,
        }
    )
    return data


def _add(hist: dict[str, int], seconds: float) -> None:
    histogram.merge(hist, histogram.of([seconds]))


def _visitor_choices(session: Session, visitor_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for chunk in _chunks(list(visitor_ids)):
        for vid, context in session.execute(select(Visitor.id, Visitor.context).where(Visitor.id.in_(chunk))):
            choices = _choices((context or {}).get("ab"))
            if choices:
                found[vid] = choices
    return found


def _orders_by_variant(session: Session, orders: list[tuple[int, Decimal]], ab: dict[str, Any]) -> None:
    if not orders:
        return
    visitor_of: dict[int, str] = {}
    for chunk in _chunks(sorted({cid for cid, _ in orders})):
        visitor_of.update(
            session.execute(select(Conversation.id, Conversation.visitor_id).where(Conversation.id.in_(chunk))).all()
        )
    choices = _visitor_choices(session, set(visitor_of.values()))
    for cid, amount in orders:
        for experiment, variant in choices.get(visitor_of.get(cid, ""), {}).items():
            bucket = _ab_bucket(ab, experiment, variant)
            bucket["orders"] += 1
            bucket["revenue"] = f"{Decimal(bucket['revenue']) + amount:.2f}"


def store_day(session: Session, shop_id: int, day: date) -> AnalyticsDay:
    data = compute_day(session, shop_id, day)
    found_gaps, split = data.pop("gaps"), data.pop("ab")
    row = session.scalar(
        select(AnalyticsDay).where(AnalyticsDay.shop_id == shop_id, AnalyticsDay.day == day).with_for_update()
    )
    if row is None:
        row = AnalyticsDay(shop_id=shop_id, day=day, data=data, gaps=found_gaps, ab=split)
        session.add(row)
    else:
        row.data, row.gaps, row.ab, row.computed_at = data, found_gaps, split, utcnow()
    session.flush()
    return row


def days_back(count: int, today: date | None = None) -> list[date]:
    today = today or utcnow().date()
    return [today - timedelta(days=n) for n in range(count - 1, -1, -1)]


def roll_up(db: Database, shop_id: int, days: Iterable[date]) -> int:
    """Recompute the shop's rows for ``days``, one transaction per day; returns how many."""
    done = 0
    for day in days:
        with db.session() as session:
            store_day(session, shop_id, day)
        done += 1
    return done


def roll_up_recent(db: Database, shop_id: int, count: int = RECENT_DAYS) -> int:
    return roll_up(db, shop_id, days_back(count))


def active_shops(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Shop.id).where(Shop.active.is_(True)).order_by(Shop.id)))
