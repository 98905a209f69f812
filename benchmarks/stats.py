"""Derived numbers shared by the report and the charts."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .perrequest import PerRequestResult


def overhead_us(result: PerRequestResult, name: str) -> float:
    """Median over rounds of (variant minus its baseline) in the same round, in µs per request."""
    variant = next(v for v in result.variants if v.name == name)
    return paired(result, name, variant.baseline).median_us


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """A 95% confidence interval of the median, from order statistics alone (no
    assumption on how rounds are distributed: machine noise is skewed)."""
    ordered = sorted(values)
    n = len(ordered)
    k = max(0, math.floor((n - 1.96 * math.sqrt(n)) / 2))
    return ordered[k], ordered[n - 1 - k]


def middle_half(values: Sequence[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (the one value twice, for a single round)."""
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def ratio_interval(result: PerRequestResult, name: str) -> tuple[float, float]:
    """The 95% interval of a variant's median ratio to its baseline."""
    return median_interval(result.timed[name].ratios)


@dataclass(frozen=True)
class Paired:
    """``a`` against ``b``, round by round (both timed in every round)."""

    diffs_us: list[float]
    ratios: list[float]

    @property
    def median_us(self) -> float:
        return statistics.median(self.diffs_us)

    @property
    def interval_us(self) -> tuple[float, float]:
        """The 95% interval of the median difference: what the run resolves."""
        return median_interval(self.diffs_us)

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def ratio_interval(self) -> tuple[float, float]:
        return median_interval(self.ratios)


def paired(result: PerRequestResult, a: str, b: str) -> Paired:
    mine, base = result.timed[a].per_round_us, result.timed[b].per_round_us
    return Paired(
        [x - y for x, y in zip(mine, base, strict=True)],
        [x / y for x, y in zip(mine, base, strict=True)],
    )
