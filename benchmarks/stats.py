"""Derived numbers shared by the report and the charts."""

from __future__ import annotations

import statistics

from .perrequest import PerRequestResult


def overhead_us(result: PerRequestResult, name: str) -> float:
    """Median over rounds of (variant minus its baseline) in the same round, in µs per request."""
    variant = next(v for v in result.variants if v.name == name)
    mine = result.timed[name].per_round_us
    base = result.timed[variant.baseline].per_round_us
    return statistics.median(a - b for a, b in zip(mine, base, strict=True))


def ratio_range(result: PerRequestResult, name: str) -> tuple[float, float]:
    ratios = result.timed[name].ratios
    return min(ratios), max(ratios)
