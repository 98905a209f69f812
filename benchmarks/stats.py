"""Derived numbers shared by the report and the charts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .perrequest import PerRequestResult


def overhead_us(result: PerRequestResult, name: str) -> float:
    """Median over rounds of (variant minus its baseline) in the same round, in µs per request."""
    variant = next(v for v in result.variants if v.name == name)
    return paired(result, name, variant.baseline).median_us


def ratio_range(result: PerRequestResult, name: str) -> tuple[float, float]:
    ratios = result.timed[name].ratios
    return min(ratios), max(ratios)


@dataclass(frozen=True)
class Paired:
    """``a`` against ``b``, round by round (both timed in every round)."""

    diffs_us: list[float]
    ratios: list[float]

    @property
    def median_us(self) -> float:
        return statistics.median(self.diffs_us)

    @property
    def iqr_us(self) -> tuple[float, float]:
        """The middle half of the per-round differences (25th to 75th percentile)."""
        if len(self.diffs_us) < 2:
            return self.diffs_us[0], self.diffs_us[0]
        q = statistics.quantiles(self.diffs_us, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def ratio_range(self) -> tuple[float, float]:
        return min(self.ratios), max(self.ratios)


def paired(result: PerRequestResult, a: str, b: str) -> Paired:
    mine, base = result.timed[a].per_round_us, result.timed[b].per_round_us
    return Paired(
        [x - y for x, y in zip(mine, base, strict=True)],
        [x / y for x, y in zip(mine, base, strict=True)],
    )
