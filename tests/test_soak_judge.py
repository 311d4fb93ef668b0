"""bench/soak.py's verdict on a process's second-half samples: a steady climb is growth
without bound, noise and a plateau are not. (The soak itself runs for minutes: bench/README.md.)"""
from __future__ import annotations

import random

from bench.soak import Limits, judge, slope

LIMITS = Limits()


def series(start: float, per_hour: float, noise: float, *, seconds: int = 900, every: int = 10,
           seed: int = 1) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(float(t), start + per_hour * t / 3600 + rng.uniform(-noise, noise)) for t in range(0, seconds, every)]


def test_slope_is_the_least_squares_line() -> None:
    assert abs(slope([(0, 1), (1, 3), (2, 5), (3, 7)]) - 2.0) < 1e-9
    assert slope([(0, 1), (1, 1)]) == 0.0  # too few points to say


def test_a_steady_leak_is_caught() -> None:
    rss = series(120, per_hour=40, noise=0.3)
    fds = [(t, round(40 + 30 * t / 900)) for t, _ in rss]  # one descriptor every 30 s
    findings = judge(rss, fds, LIMITS)
    assert any(f.startswith("RSS") for f in findings) and any(f.startswith("descriptors") for f in findings)


def test_noise_and_a_flat_line_are_not_growth() -> None:
    rss = series(120, per_hour=0, noise=1.5)
    rng = random.Random(2)
    fds = [(t, 40 + rng.randint(-6, 6)) for t, _ in rss]  # sockets coming and going
    assert judge(rss, fds, LIMITS) == []


def test_a_slow_drift_below_the_limits_passes_and_a_short_run_needs_a_real_rise() -> None:
    assert judge(series(120, per_hour=5, noise=0.2), [(t, 40) for t in range(0, 900, 10)], LIMITS) == []
    # 150 s (a 5-minute run's second half): 20 MB/h is only 0.8 MB, under 2 % of 120 MB
    short = series(120, per_hour=20, noise=0.1, seconds=150)
    assert judge(short, [(t, 40) for t, _ in short], LIMITS) == []
