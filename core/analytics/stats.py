"""Confidence intervals and a verdict for A/B results, with the standard library's
``statistics.NormalDist`` (no dependency: a Wilson interval and a two-proportion
z-test are a few lines on top of it)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
_Z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)


@dataclass(frozen=True)
class Rate:
    hits: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.hits / self.trials if self.trials else None

    def interval(self) -> tuple[float, float] | None:
        """Wilson score interval at :data:`CONFIDENCE` (good at small counts and near 0 or 1)."""
        n = self.trials
        if not n:
            return None
        p = self.hits / n
        centre = (p + _Z * _Z / (2 * n)) / (1 + _Z * _Z / n)
        half = _Z * math.sqrt(p * (1 - p) / n + _Z * _Z / (4 * n * n)) / (1 + _Z * _Z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Comparison:
    difference: float
    low: float
    high: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def compare(control: Rate, other: Rate) -> Comparison | None:
    """``other - control`` with a Wald interval and a pooled two-sided z-test; None without data."""
    if not control.trials or not other.trials:
        return None
    p1, p2 = control.hits / control.trials, other.hits / other.trials
    diff = p2 - p1
    se = math.sqrt(p1 * (1 - p1) / control.trials + p2 * (1 - p2) / other.trials)
    pooled = (control.hits + other.hits) / (control.trials + other.trials)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / control.trials + 1 / other.trials))
    p_value = 1.0 if se0 == 0 else 2 * (1 - NormalDist().cdf(abs(diff) / se0))
    return Comparison(diff, diff - _Z * se, diff + _Z * se, p_value)


def percent(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def verdict(metric: str, control_key: str, control: Rate, key: str, other: Rate, *, minimum: int = 100) -> str:
    """A sentence a merchant can act on, about ``metric`` of variant ``key`` against the control."""
    if control.trials < minimum or other.trials < minimum:
        return (
            f"Too early to tell: each variant needs at least {minimum} views "
            f"({control_key}: {control.trials}, {key}: {other.trials})."
        )
    found = compare(control, other)
    assert found is not None
    points = f"{found.difference * 100:+.1f} points (95% CI {found.low * 100:+.1f} to {found.high * 100:+.1f})"
    if not found.significant:
        return (
            f"No clear difference yet in {metric}: {key} {percent(other.value)} vs {control_key} "
            f"{percent(control.value)}, {points}. Keep it running or call it a tie."
        )
    better = found.difference > 0
    return (
        f"{key} is {'better' if better else 'worse'} than {control_key} at {metric}: "
        f"{percent(other.value)} vs {percent(control.value)}, {points}; "
        f"{'likely a real improvement' if better else 'likely a real drop'} (p = {found.p_value:.3f})."
    )
