"""PNG charts for the report (matplotlib, headless)."""

# ruff: noqa: RUF001 - the labels print multiplication signs on purpose

from __future__ import annotations

from pathlib import Path

from .micro import MicroResult
from .perrequest import PerRequestResult
from .stats import overhead_us

# The targets, as a fraction of Flask's time for the same operation.
TARGETS = {"g.x read": 0.15, "g.x write": 0.3, "request.args.get": 0.5}
COLORS = {
    "flaskcompat": "#1f6fb4",
    "floor": "#7f7f7f",
    "bare": "#bdbdbd",
    "peer": "#e6842a",
    "framework": "#8e5ea2",
}


def per_request_chart(result: PerRequestResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    order = {"bare": 0, "floor": 1, "flaskcompat": 2, "peer": 3, "framework": 4}
    rows = [v for v in result.variants if v.name != v.baseline]
    rows.sort(key=lambda v: (order[v.group], result.timed[v.name].median_ratio))
    ratios = [result.timed[v.name].median_ratio for v in rows]
    fig, ax = plt.subplots(figsize=(11, 0.36 * len(rows) + 1.8))
    y = list(range(len(rows)))
    # Bars start at 1.0 (= the baseline), so left of it is faster and right slower.
    ax.barh(y, [r - 1 for r in ratios], left=1, color=[COLORS[v.group] for v in rows])
    ax.set_yticks(y, [f"{v.name}  [vs {_short(v.baseline)}]" for v in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.05, color="#2ca02c", linewidth=1, linestyle="--")
    ax.text(1.05, -0.9, " 1.05× target", color="#2ca02c", fontsize=8, va="bottom")
    for i, v in enumerate(rows):
        added = overhead_us(result, v.name)
        ax.text(
            max(ratios[i], 1.0) * 1.02,
            i,
            f"{ratios[i]:.2f}×  ({added:+.1f} µs)",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(min([*ratios, 1.0]) * 0.9, max([*ratios, 1.1]) * 2.2)
    ticks = [
        t
        for t in (0.5, 0.75, 1.0, 1.25, 1.5, 2, 3, 5, 8, 13)
        if min(ratios) * 0.9 <= t <= max(ratios) * 2
    ]
    ax.set_xticks(ticks, [f"{t:g}×" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("time per request ÷ its baseline (median of per-round ratios, log scale)")
    ax.set_title("Per-request cost on FastAPI, in-process (lower is better)", loc="left")
    handles = [Rectangle((0, 0), 1, 1, color=COLORS[g]) for g in order if g != "bare"]
    ax.legend(
        handles,
        ["floor (minimal)", "flaskcompat", "peers", "other frameworks"],
        loc="lower right",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _short(baseline: str) -> str:
    return baseline.replace("bare FastAPI ", "bare ").replace("(await request.json())", "json")


def micro_chart(result: MicroResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .micro import BUILDER_ORDER, FLASK, OPS

    impls = [i for i in BUILDER_ORDER if i in result.samples]
    palette = [
        "#1f6fb4",
        "#6baed6",
        "#bcbd22",
        "#8e5ea2",
        "#e6842a",
        "#d62728",
        "#17becf",
        "#7f7f7f",
        "#bdbdbd",
        # The two no-proxy reference rows: pale, so they read as references.
        "#9ecae1",
        "#e0e0e0",
    ]
    ops = [op for op in OPS if any(result.median(i, op) is not None for i in impls)]
    counts = [sum(result.median(i, op) is not None for i in impls) for op in ops]
    fig, axes = plt.subplots(
        len(ops),
        1,
        figsize=(9, 1.2 + 0.27 * sum(counts) + 0.55 * len(ops)),
        gridspec_kw={"height_ratios": counts},
    )
    for ax, op in zip(axes, ops, strict=True):
        present = [(i, result.median(i, op)) for i in impls if result.median(i, op) is not None]
        labels = [i for i, _ in present]
        values = [float(v or 0.0) for _, v in present]
        colors = [palette[impls.index(i) % len(palette)] for i in labels]
        ax.barh(range(len(values)), values, color=colors, height=0.7)
        ax.set_yticks(range(len(values)), labels, fontsize=8)
        ax.invert_yaxis()
        for k, v in enumerate(values):
            ax.text(v, k, f" {v:.0f} ns", va="center", fontsize=8)
        flask = result.median(FLASK, op)
        title = op
        if op in TARGETS and flask:
            limit = TARGETS[op] * flask
            ax.axvline(limit, color="#2ca02c", linestyle="--", linewidth=1)
            title = f"{op}    (dashed line: target {TARGETS[op]:g}× Flask = {limit:.0f} ns)"
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlim(0, max(values) * 1.18)
        ax.tick_params(axis="x", labelsize=8)
    axes[-1].set_xlabel("ns per operation inside a live context (median; loop overhead removed)")
    fig.suptitle("Proxy access cost (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
