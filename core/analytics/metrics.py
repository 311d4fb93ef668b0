"""A shop's figures for a range of days, read from the rolled-up rows only.

:func:`report` merges the ``analytics_days`` rows of the range (at most
:data:`MAX_DAYS`) into an :class:`AnalyticsReport`: the dashboard draws it,
``/admin/api/analytics`` returns it, and its JSON schema is
``/admin/api/analytics/schema.json`` (from the same model).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics import gaps, histogram
from core.db import AnalyticsDay

MAX_DAYS = 366
TOP_INTENTS = 10
TOP_GAPS = 20
#: The counts every day row has, summed over the range.
COUNTS = (
    "conversations",
    "resolved_ai",
    "handoffs",
    "shopper_messages",
    "assistant_messages",
    "agent_replies",
    "loads",
    "opens",
    "triggers",
    "add_to_cart",
    "answers",
    "refused",
    "orders",
)


class Day(BaseModel):
    day: date
    conversations: int
    resolved_ai: int
    handoffs: int
    opens: int
    add_to_cart: int
    orders: int
    #: Attributed revenue in the shop's currency, two decimals.
    revenue: str


class Times(BaseModel):
    """Seconds; each percentile is the upper bound of its histogram bucket (core/analytics/histogram.py)."""

    count: int
    p50: float | None
    p90: float | None


class Csat(BaseModel):
    count: int
    average: float | None = Field(description="mean score, 1 (bad) to 5 (great)")
    scores: dict[str, int]


class Intent(BaseModel):
    intent: str
    count: int


class Gap(BaseModel):
    question: str = Field(description="the wording asked most often")
    count: int
    wordings: list[str] = Field(description="other wordings grouped with it")
    conversations: list[int] = Field(description="ids of conversations that asked it (the inbox: /admin/inbox/#c<id>)")


class Totals(BaseModel):
    conversations: int
    resolved_ai: int
    resolved_share: float | None = Field(description="resolved by the assistant without a person / conversations")
    handoffs: int
    handoff_share: float | None
    shopper_messages: int
    assistant_messages: int
    agent_replies: int
    loads: int
    opens: int
    triggers: int
    add_to_cart: int
    answers: int
    refused: int
    orders: int
    revenue: str = Field(description="attributed revenue in the shop's currency")
    other_currencies: dict[str, str] = Field(description="attributed revenue in any other currency")


class AnalyticsReport(BaseModel):
    shop_id: int
    first: date
    last: date
    currency: str
    #: When the newest row of the range was rolled up (None: no row yet).
    computed_at: str | None
    totals: Totals
    first_response: dict[str, Times] = Field(description="keys: assistant, people")
    resolution: dict[str, Times] = Field(description="keys: assistant, people")
    csat: Csat
    intents: list[Intent]
    gaps: list[Gap]
    days: list[Day]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _times(hist: dict[str, int]) -> Times:
    return Times(count=sum(hist.values()), p50=histogram.percentile(hist, 0.5), p90=histogram.percentile(hist, 0.9))


def check_range(first: date, last: date) -> None:
    if last < first:
        raise ValueError("the range ends before it begins")
    if last >= date.max:  # the report walks to the day after the last
        raise ValueError(f"from and to are days before {date.max.isoformat()}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"a range may be at most {MAX_DAYS} days")


def report(session: Session, shop_id: int, first: date, last: date, currency: str) -> AnalyticsReport:
    check_range(first, last)
    rows = {
        r.day: r
        for r in session.execute(
            select(AnalyticsDay.day, AnalyticsDay.data, AnalyticsDay.gaps, AnalyticsDay.computed_at).where(
                AnalyticsDay.shop_id == shop_id, AnalyticsDay.day >= first, AnalyticsDay.day <= last
            )
        )
    }
    sums: Counter[str] = Counter()
    hists: dict[str, dict[str, int]] = {k: {} for k in ("fr_ai", "fr_human", "res_ai", "res_human")}
    csat: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    revenue: dict[str, Decimal] = {}
    gap_keys: dict[str, list[Any]] = {}
    days = []
    day = first
    while day <= last:
        row = rows.get(day)
        data = row.data if row is not None else {}
        for name in COUNTS:
            sums[name] += int(data.get(name, 0))
        for name, hist in hists.items():
            histogram.merge(hist, data.get(name) or {})
        csat.update({k: int(v) for k, v in (data.get("csat") or {}).items()})
        intents.update({k: int(v) for k, v in (data.get("intents") or {}).items()})
        for cur, amount in (data.get("revenue") or {}).items():
            revenue[cur] = revenue.get(cur, Decimal("0")) + Decimal(str(amount))
        for k, entry in ((row.gaps if row is not None else None) or {}).items():
            found = gap_keys.get(k)
            if found is None:
                gap_keys[k] = [k, entry.get("text", k), int(entry.get("n", 0)), list(entry.get("c", []))]
            else:
                found[2] += int(entry.get("n", 0))
                found[3].extend(entry.get("c", []))
        days.append(
            Day(
                day=day,
                conversations=int(data.get("conversations", 0)),
                resolved_ai=int(data.get("resolved_ai", 0)),
                handoffs=int(data.get("handoffs", 0)),
                opens=int(data.get("opens", 0)),
                add_to_cart=int(data.get("add_to_cart", 0)),
                orders=int(data.get("orders", 0)),
                revenue=f"{Decimal(str((data.get('revenue') or {}).get(currency, '0'))):.2f}",
            )
        )
        day += timedelta(days=1)
    rated = sum(csat.values())
    newest = max((r.computed_at for r in rows.values()), default=None)
    return AnalyticsReport(
        shop_id=shop_id,
        first=first,
        last=last,
        currency=currency,
        computed_at=newest.isoformat() if newest else None,
        totals=Totals(
            **{name: sums[name] for name in COUNTS},
            resolved_share=_share(sums["resolved_ai"], sums["conversations"]),
            handoff_share=_share(sums["handoffs"], sums["conversations"]),
            revenue=f"{revenue.get(currency, Decimal('0')):.2f}",
            other_currencies={c: f"{v:.2f}" for c, v in revenue.items() if c != currency},
        ),
        first_response={"assistant": _times(hists["fr_ai"]), "people": _times(hists["fr_human"])},
        resolution={"assistant": _times(hists["res_ai"]), "people": _times(hists["res_human"])},
        csat=Csat(
            count=rated,
            average=round(sum(int(k) * n for k, n in csat.items()) / rated, 2) if rated else None,
            scores={str(s): csat.get(str(s), 0) for s in range(1, 6)},
        ),
        intents=[
            Intent(intent=k, count=n) for k, n in sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_INTENTS]
        ],
        gaps=[
            Gap(question=g.text, count=g.count, wordings=g.variants, conversations=g.conversations)
            for g in gaps.group([tuple(v) for v in gap_keys.values()], TOP_GAPS)
        ],
        days=days,
    )


def schema() -> dict[str, Any]:
    out = AnalyticsReport.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = "/admin/api/analytics/schema.json"
    return out
