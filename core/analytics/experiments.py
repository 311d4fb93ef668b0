"""A/B tests of a shop's widget texts: the greeting, the launcher's text, or one
proactive trigger's message, in two to four variants with weights.

The widget's config carries the running experiments (``ab``, only when there
are some); the widget picks each visitor's variant once (first-party storage)
and reports its choices in its events and ``hello`` (``core/chat/frames.py``
``AbChoices``), so views, chats, resolutions, add-to-carts and attributed
orders are split by variant in the daily roll-up (``rollup.py``). At most one
experiment runs per text.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics import stats
from core.db import AnalyticsDay, Experiment, Shop
from core.db.models import utcnow
from core.errors import StoreChatError

MAX_VARIANTS = 4
#: The longest text per target (what the widget's config keeps of each).
MAX_VALUE = {"greeting": 1000, "launcher_text": 40, "trigger": 200}
KEYS = "ABCD"


class ExperimentError(StoreChatError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, code="bad_experiment")
        self.field = field


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    weight: int = Field(ge=1, le=100)
    value: str = Field(min_length=1, max_length=1000)

    @field_validator("value")
    @classmethod
    def _stripped(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("a variant's text may not be empty")
        return v


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    target: Literal["greeting", "launcher_text", "trigger"]
    trigger: int | None = Field(default=None, ge=0, le=99)
    variants: list[VariantIn] = Field(min_length=2, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentIn:
        if (self.target == "trigger") != (self.trigger is not None):
            raise ValueError("trigger: give the trigger's number exactly when the target is a trigger")
        keys = [v.key for v in self.variants]
        if len(set(keys)) != len(keys):
            raise ValueError("variants: each needs its own key")
        limit = MAX_VALUE[self.target]
        for v in self.variants:
            if len(v.value) > limit:
                raise ValueError(f"variants: a {self.target.replace('_', ' ')} text may be at most {limit} characters")
        return self


def trigger_count(settings: Any) -> int:
    """How many proactive triggers the shop has (a list of them, or the single object of old)."""
    value = (settings or {}).get("triggers")
    if isinstance(value, list):
        return len(value)
    return 1 if isinstance(value, dict) and value else 0


def parse_form(form: Any) -> ExperimentIn:
    """The admin form: name, target (``trigger:<n>`` for a trigger), and per variant
    ``value_<i>`` and ``weight_<i>`` (i = 0..3; empty texts are left out)."""
    target = str(form.get("target", ""))
    trigger = None
    if match := re.fullmatch(r"trigger:(\d{1,2})", target):
        target, trigger = "trigger", int(match.group(1))
    variants = []
    for i in range(MAX_VARIANTS):
        value = str(form.get(f"value_{i}", "")).strip()
        if not value:
            continue
        weight = str(form.get(f"weight_{i}", "")).strip() or "50"
        if not re.fullmatch(r"[0-9]{1,3}", weight):  # not isdigit(): int() cannot read "²"
            raise ExperimentError("variants", f"variant {KEYS[i]}: the weight is a whole number from 1 to 100")
        variants.append({"key": KEYS[i], "weight": int(weight), "value": value[:1001]})
    try:
        return ExperimentIn.model_validate(
            {
                "name": str(form.get("name", "")).strip()[:121],
                "target": target,
                "trigger": trigger,
                "variants": variants,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "variants"
        raise ExperimentError(field, error["msg"].removeprefix("Value error, ")) from None


def create(session: Session, shop: Shop, spec: ExperimentIn) -> Experiment:
    if spec.target == "trigger" and spec.trigger is not None and spec.trigger >= trigger_count(shop.settings):
        raise ExperimentError("target", f"the shop has no trigger number {spec.trigger + 1}")
    experiment = Experiment(
        shop_id=shop.id,
        name=spec.name,
        target=spec.target,
        trigger=spec.trigger,
        variants=[v.model_dump() for v in spec.variants],
        status="draft",
    )
    session.add(experiment)
    session.flush()
    return experiment


def _same_text(a: Experiment, b: Experiment) -> bool:
    return a.target == b.target and (a.target != "trigger" or a.trigger == b.trigger)


def start(session: Session, experiment: Experiment) -> None:
    if experiment.status != "draft":
        raise ExperimentError("status", "only a draft experiment can start (a stopped one stays stopped)")
    running = session.scalars(
        select(Experiment).where(Experiment.shop_id == experiment.shop_id, Experiment.status == "running")
    )
    if any(_same_text(other, experiment) for other in running):
        raise ExperimentError("target", "another experiment on this text is running: stop it first")
    experiment.status, experiment.started_at = "running", utcnow()


def stop(experiment: Experiment) -> None:
    if experiment.status != "running":
        raise ExperimentError("status", "only a running experiment can stop")
    experiment.status, experiment.stopped_at = "stopped", utcnow()


def widget_ab(session: Session, shop_id: int) -> list[dict[str, Any]]:
    """The config's ``ab``: the shop's running experiments ([] when none: the key is left out)."""
    found = []
    for e in session.scalars(
        select(Experiment).where(Experiment.shop_id == shop_id, Experiment.status == "running").order_by(Experiment.id)
    ):
        entry: dict[str, Any] = {
            "id": str(e.id),
            "target": e.target,
            "variants": [{"key": v["key"], "weight": v["weight"], "value": v["value"]} for v in e.variants],
        }
        if e.target == "trigger":
            entry["trigger"] = e.trigger
        found.append(entry)
    return found


# -- results -------------------------------------------------------------------

#: Per variant, what the roll-up counts (``rollup.py``, ``analytics_days.ab[id][key]``).
COUNTS = ("views", "opens", "conversations", "resolved", "add_to_cart", "orders")


def totals(session: Session, experiment: Experiment) -> dict[str, dict[str, Any]]:
    """Each variant's counts and revenue, summed over the days the experiment ran."""
    first = (experiment.started_at or experiment.created_at).date()
    last = (experiment.stopped_at or utcnow()).date()
    out: dict[str, dict[str, Any]] = {
        v["key"]: {**{c: 0 for c in COUNTS}, "revenue": Decimal("0")} for v in experiment.variants
    }
    rows = session.scalars(
        select(AnalyticsDay.ab).where(
            AnalyticsDay.shop_id == experiment.shop_id, AnalyticsDay.day >= first, AnalyticsDay.day <= last
        )
    )
    for split in rows:
        for key, counts in ((split or {}).get(str(experiment.id)) or {}).items():
            if key not in out:
                continue  # a key this experiment never had (a forged report)
            for c in COUNTS:
                out[key][c] += int(counts.get(c, 0))
            out[key]["revenue"] += Decimal(str(counts.get("revenue", "0")))
    return out


def results(session: Session, experiment: Experiment, currency: str) -> dict[str, Any]:
    """Per variant: the counts, rates with 95% intervals, and a verdict against the first
    variant (the control) on chats opened per view, the goal of every target here."""
    counts = totals(session, experiment)
    keys = [v["key"] for v in experiment.variants]
    control = keys[0]
    rows = []
    for key in keys:
        c = counts[key]
        rates = {
            "open_rate": stats.Rate(c["opens"], c["views"]),
            "resolved_rate": stats.Rate(c["resolved"], c["conversations"]),
            "add_to_cart_rate": stats.Rate(c["add_to_cart"], c["views"]),
            "order_rate": stats.Rate(c["orders"], c["views"]),
        }
        rows.append(
            {
                "key": key,
                **{k: c[k] for k in COUNTS},
                "revenue": f"{c['revenue']:.2f}",
                "currency": currency,
                "rates": {name: {"value": r.value, "interval": r.interval()} for name, r in rates.items()},
                "verdict": None
                if key == control
                else stats.verdict(
                    "chats opened per view",
                    control,
                    stats.Rate(counts[control]["opens"], counts[control]["views"]),
                    key,
                    rates["open_rate"],
                ),
            }
        )
    return {
        "id": experiment.id,
        "name": experiment.name,
        "status": experiment.status,
        "control": control,
        "variants": rows,
    }
