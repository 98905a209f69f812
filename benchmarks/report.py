"""Markdown report: machine, versions, targets met or not, every table."""

# ruff: noqa: RUF001 - the report prints multiplication signs and en dashes on purpose

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .memory import BARE as MEM_BARE
from .memory import MemoryResult
from .micro import (
    BRIDGE,
    BUILDER_ORDER,
    FLASK,
    FLOOR_PROXY,
    LIB,
    LIB_G_OBJECT,
    OPS,
    PLAIN_OBJECT,
    MicroResult,
)
from .perrequest import PerRequestResult
from .semantics import CHECKS, SemanticsResult
from .server import ServerResult, summary
from .stats import middle_half, overhead_us, paired, ratio_interval
from .variants import (
    BARE,
    BARE_LOGIN,
    FLASK_BARE_LOGIN,
    FLOOR_WERKZEUG_ARGS,
    LIB_APP_HOOK,
    LIB_APP_HOOK_ROUTER,
    LIB_BP_BESIDE,
    LIB_BP_HOOK,
    LIB_BRIDGE_FLASK_NAMES,
    LIB_G_ARGS,
    LIB_G_ARGS_BRIDGED,
    LIB_NO_HOOKS,
    LIB_SIGNAL_RECEIVERS,
    LIB_SIGNALS_UNLOADED,
    LOGIN_FASTAPI,
    LOGIN_FLASK,
)

PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "werkzeug",
    "flask",
    "quart",
    "starlette-context",
    "fastapi-globals",
    "contextvars-extras",
    "uvicorn",
    "h11",
    "anyio",
    "matplotlib",
    "flask-login",
    "blinker",
)
Write = Callable[[str], None]
NOISE = "bare FastAPI again (noise floor)"
FLOOR = "floor: pure ASGI, one ContextVar"
LIB_G = "flaskcompat, g write+read"
LIB_ARGS = "flaskcompat, request.args"
LIB_MEM = "flaskcompat, no hooks"


@dataclass
class Results:
    mode: str
    started: dt.datetime
    seconds: float = 0.0
    per_request: PerRequestResult | None = None
    micro: MicroResult | None = None
    server: ServerResult | None = None
    memory: MemoryResult | None = None
    semantics: SemanticsResult | None = None
    images: dict[str, str] = field(default_factory=dict)  # chart name -> path relative to report


@dataclass
class TargetRow:
    target: str
    measured: str
    met: bool | None  # None: could not be measured in this run
    note: str = ""
    #: Shown instead of met/not met when the run cannot resolve the target (noise).
    verdict: str = ""


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": mem or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["fastapi-flaskcompat"] = _lib_version()
    return out


def _lib_version() -> str:
    try:
        version = metadata.version("fastapi-flaskcompat")
    except metadata.PackageNotFoundError:
        version = "source tree"
    rev = _git("rev-parse", "--short", "HEAD")
    if not rev:
        return version
    # Numbers from a modified tree must say so: they belong to no commit.
    dirty = _git("status", "--porcelain", "--", "fastapi_flaskcompat")
    return f"{version} (git {rev}{', with uncommitted changes' if dirty else ''})"


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            check=False,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def noise_us(pr: PerRequestResult) -> float | None:
    """How far from zero the median difference of two identical bare apps may lie
    (the farther end of its 95% interval): what this run can resolve."""
    if NOISE not in pr.timed or BARE not in pr.timed:
        return None
    lo, hi = paired(pr, NOISE, BARE).interval_us
    return max(abs(lo), abs(hi))


def _within(x: float, noise: float | None) -> str:
    return " (difference within the noise floor)" if noise is not None and abs(x) <= noise else ""


def _us(x: float) -> str:
    return f"{x:+.1f} µs"


def _pair_text(pr: PerRequestResult, a: str, b: str) -> str:
    """Median difference per request, its 95% interval, and the ratio."""
    p = paired(pr, a, b)
    lo, hi = p.interval_us
    return f"{_us(p.median_us)} (95% interval {lo:+.1f} to {hi:+.1f}), {p.median_ratio:.3f}×"


def _noise_row(pr: PerRequestResult, a: str, b: str, label: str, noise: float | None) -> TargetRow:
    """``a`` should cost what ``b`` costs: met when the median difference is within the
    noise floor of this run (two identical bare apps), which says what the run resolves."""
    if a not in pr.timed or b not in pr.timed:
        return TargetRow(label, "not run", None)
    diff = paired(pr, a, b).median_us
    if noise is None:
        return TargetRow(label, _pair_text(pr, a, b), None, "No noise floor measured in this run.")
    met = diff <= noise
    note = (
        f"{_us(diff)} per request against a noise floor of {noise:.1f} µs: a difference this run "
        "cannot tell from noise, so it resolves nothing finer than that."
        if met
        else f"{_us(diff)} per request is more than this run's noise floor of {noise:.1f} µs."
    )
    return TargetRow(
        label,
        f"{_pair_text(pr, a, b)}; noise floor {noise:.1f} µs",
        met,
        note,
        f"within the noise ({noise:.1f} µs): not resolved" if met else "",
    )


def targets(r: Results) -> list[TargetRow]:
    rows: list[TargetRow] = []
    pr, mi, me = r.per_request, r.micro, r.memory
    noise = noise_us(pr) if pr else None
    if pr and LIB_NO_HOOKS in pr.timed:
        t = pr.timed[LIB_NO_HOOKS]
        lo, hi = ratio_interval(pr, LIB_NO_HOOKS)
        over = overhead_us(pr, LIB_NO_HOOKS)
        parts = [f"The library adds {_us(over)} per request over bare FastAPI"]
        if FLOOR in pr.timed:
            parts.append(
                f"the floor middleware (one ContextVar set and reset) {_us(overhead_us(pr, FLOOR))}"
            )
        if noise is not None:
            within = ", so the library's overhead is within it" if abs(over) <= noise else ""
            parts.append(
                f"two identical bare apps resolve differences down to {noise:.1f} µs (the "
                f"noise floor){within}"
            )
        note = "; ".join(parts) + "."
        if pr.settings.get("signals_loaded") and LIB_SIGNALS_UNLOADED in pr.timed:
            note += (
                " Signals are loaded in this run (Flask is imported), as in any process where "
                "Flask is; the same app with signals never loaded differs from it by "
                f"{_us(overhead_us(pr, LIB_SIGNALS_UNLOADED))}."
            )
        rows.append(
            TargetRow(
                "middleware without hooks ≤ 1.05× bare FastAPI",
                f"{t.median_ratio:.3f}× (95% interval {lo:.3f}–{hi:.3f}), {over:+.1f} µs/request",
                t.median_ratio <= 1.05,
                note,
            )
        )
    else:
        rows.append(TargetRow("middleware without hooks ≤ 1.05× bare FastAPI", "not run", None))
    label = (
        "endpoint writing g and reading request.args ≤ 1.10× a bare FastAPI endpoint "
        "reading no query"
    )
    if pr and LIB_G_ARGS in pr.timed:
        t = pr.timed[LIB_G_ARGS]
        lo, hi = ratio_interval(pr, LIB_G_ARGS)
        note = (
            "The baseline is the issue's: a bare endpoint that reads no query (FastAPI's own "
            "reading of `q` is not in it)."
        )
        if BARE in pr.timed:
            same = paired(pr, LIB_G_ARGS, BARE)
            note += (
                f" Against the bare endpoint giving the same answer (`q: str`, the other "
                f"rows' baseline): {same.median_ratio:.3f}×, {_us(same.median_us)}."
            )
        verdict = ""
        if FLOOR_WERKZEUG_ARGS in pr.timed:
            floor = pr.timed[FLOOR_WERKZEUG_ARGS]
            floor_lo, floor_hi = ratio_interval(pr, FLOOR_WERKZEUG_ARGS)
            note += (
                f" Its floor, one ContextVar plus Werkzeug's own request built from the scope "
                f"with no headers (less than any library handing out Werkzeug's request can "
                f"do), is {floor.median_ratio:.3f}× (95% interval {floor_lo:.3f}–"
                f"{floor_hi:.3f}) of the same baseline; the library over that floor: "
                f"{_pair_text(pr, LIB_G_ARGS, FLOOR_WERKZEUG_ARGS)}."
            )
            if floor_lo > 1.10:
                verdict = "**not met**: unreachable with Werkzeug's request (floor over 1.10×)"
        if t.median_ratio > 1.10:
            pieces = [
                f"{name} {_us(overhead_us(pr, name))}"
                for name in (LIB_NO_HOOKS, LIB_G, LIB_ARGS)
                if name in pr.timed
            ]
            note += (
                f" Missed: {t.median_ratio:.3f}× is over 1.10×. The same run's rows, each over "
                "bare FastAPI (`q: str`): " + ", ".join(pieces) + "."
            )
        rows.append(
            TargetRow(
                label,
                f"{t.median_ratio:.3f}× (95% interval {lo:.3f}–{hi:.3f}), "
                f"{overhead_us(pr, LIB_G_ARGS):+.1f} µs/request",
                t.median_ratio <= 1.10,
                note,
                verdict,
            )
        )
    else:
        rows.append(TargetRow(label, "not run", None))
    lib_read = mi.median(LIB, "g.x read") if mi else None
    floor_read = mi.median(FLOOR_PROXY, "g.x read") if mi else None
    label = "`g.x` read ≤ 1.3× a minimal `__getattribute__` proxy (one get, one getattr)"
    if lib_read is None or not floor_read:
        rows.append(TargetRow(label, "not run", None))
    else:
        ratio = lib_read / floor_read
        note = ""
        if ratio > 1.3:
            note = (
                f"Missed: {ratio:.2f}× is over 1.3×; the target is {1.3 * floor_read:.0f} ns, "
                f"{lib_read - 1.3 * floor_read:.0f} ns less than measured."
            )
        rows.append(
            TargetRow(
                label,
                f"{lib_read:.0f} ns vs {floor_read:.0f} ns = {ratio:.2f}×",
                ratio <= 1.3,
                note,
            )
        )
    for op, limit, label in (
        ("g.x read", 0.15, "`g.x` read ≤ 0.15× Werkzeug LocalProxy (flask.g)"),
        ("g.x write", 0.3, "`g.x` write ≤ 0.3× Werkzeug LocalProxy (flask.g)"),
        ("request.args.get", 0.5, "`request.args.get` ≤ 0.5× Flask's"),
    ):
        lib = mi.median(LIB, op) if mi else None
        flask = mi.median(FLASK, op) if mi else None
        if lib is None or flask is None or not flask:
            rows.append(TargetRow(label, "not run", None))
            continue
        ratio = lib / flask
        note = _proxy_note(mi, op, lib, flask, limit) if mi and ratio > limit else ""
        rows.append(
            TargetRow(
                label,
                f"{lib:.0f} ns vs {flask:.0f} ns = {ratio:.3f}×",
                ratio <= limit,
                note,
            )
        )
    if pr and LIB_G in pr.timed:
        mine = overhead_us(pr, LIB_G)
        peers = [v.name for v in pr.variants if v.group == "peer"]
        parts, met, losers = [], True, []
        for p in peers:
            theirs = overhead_us(pr, p)
            parts.append(f"{p} {theirs:+.1f} µs")
            if mine >= theirs:
                met = False
                losers.append((p, theirs))
        note = ""
        if losers:
            descr = ", ".join(f"{p} ({t:+.1f} µs{_within(mine - t, noise)})" for p, t in losers)
            note = f"Not ahead of: {descr}. " + " ".join(
                _peer_note(p, r.semantics) for p, _ in losers
            )
        rows.append(
            TargetRow(
                "ahead of every peer on per-request overhead (same write+read of one value)",
                f"flaskcompat {mine:+.1f} µs; " + "; ".join(parts),
                met,
                note,
            )
        )
    else:
        rows.append(TargetRow("ahead of every peer on per-request overhead", "not run", None))
    if me and LIB_MEM in me.per_request and MEM_BARE in me.per_request:
        extra = me.median(LIB_MEM) - me.median(MEM_BARE)
        rows.append(
            TargetRow(
                "memory per in-flight request ≤ 2 KiB above bare FastAPI",
                f"{extra:+.0f} B ({me.median(LIB_MEM):.0f} B vs {me.median(MEM_BARE):.0f} B)",
                extra <= 2048,
                "" if extra <= 2048 else f"Missed by {extra - 2048:.0f} B.",
            )
        )
    else:
        rows.append(TargetRow("memory per in-flight request ≤ 2 KiB above bare", "not run", None))
    if pr:
        rows += _blueprint_targets(pr, noise)
        rows.append(_bridge_target(pr, noise))
    return rows


def _blueprint_targets(pr: PerRequestResult, noise: float | None) -> list[TargetRow]:
    rows = [
        _noise_row(
            pr,
            LIB_BP_HOOK,
            LIB_APP_HOOK_ROUTER,
            "a blueprint's before_request costs what the same hook costs app-wide",
            noise,
        ),
        _noise_row(
            pr,
            LIB_BP_BESIDE,
            LIB_NO_HOOKS,
            "a route of no blueprint pays nothing for a hooked blueprint beside it",
            noise,
        ),
    ]
    label = "signals without receivers cost nothing measurable"
    if not pr.settings.get("signals_loaded"):
        rows.append(TargetRow(label, "not measured: signals were not loaded in this run", None))
    else:
        rows.append(_noise_row(pr, LIB_NO_HOOKS, LIB_SIGNALS_UNLOADED, label, noise))
    return rows


def _bridge_target(pr: PerRequestResult, noise: float | None) -> TargetRow:
    label = "a bridged request ≤ 1 µs over the same request unbridged"
    if LIB_G_ARGS_BRIDGED not in pr.timed or LIB_G_ARGS not in pr.timed:
        return TargetRow(label, "not run", None)
    diff = paired(pr, LIB_G_ARGS_BRIDGED, LIB_G_ARGS).median_us
    measured = _pair_text(pr, LIB_G_ARGS_BRIDGED, LIB_G_ARGS)
    note = ""
    if noise is not None and noise > 1.0:
        note = (
            f"The noise floor of this run is {noise:.1f} µs, more than the 1 µs asked: the "
            f"median difference ({_us(diff)}) is the run's best estimate, not a resolved figure."
        )
    if diff > 1.0:
        note = f"Missed: {_us(diff)} is over 1 µs. " + note
    verdict = ""
    if noise is not None and noise > 1.0:
        verdict = f"{'≤' if diff <= 1.0 else '>'} 1 µs at the median; not resolved (noise floor)"
    return TargetRow(label, measured, diff <= 1.0, note.strip(), verdict)


def _peer_note(peer: str, se: SemanticsResult | None) -> str:
    how = {
        "contextvars-extras registry": "installs no middleware at all (it relies on each "
        "request task's context copy), so it pays only for the write and read",
        "starlette-context (raw ASGI)": "sets one ContextVar to one dict per request, where "
        "the library builds an app and a request context",
    }.get(peer, "does less per request")
    failed = []
    if se is not None and peer in se.rows:
        failed = [check for check, o in se.rows[peer].items() if not o.ok]
    what = (
        f"it fails {len(failed)} rows of the semantics matrix ({'; '.join(failed)})"
        if failed
        else "it passes the same semantics rows"
    )
    return f"{peer} {how}; {what}."


def _proxy_note(mi: MicroResult, op: str, lib: float, flask: float, limit: float) -> str:
    parts = [f"The target is {limit * flask:.0f} ns."]
    floor = mi.median(FLOOR_PROXY, op)
    if floor is not None:
        reach = "reachable" if floor <= limit * flask else "out of reach"
        parts.append(
            f"A minimal Python proxy (one ContextVar.get() plus one getattr/setattr) costs "
            f"{floor:.0f} ns here, so it is {reach} for a proxy design."
        )
    own, plain = mi.median(LIB_G_OBJECT, op), mi.median(PLAIN_OBJECT, op)
    if op.startswith("g.x") and own is not None and plain is not None:
        parts.append(
            f"The library's g object alone, without the proxy, costs {own:.0f} ns against "
            f"{plain:.0f} ns for a plain object."
        )
        hooks = [h for h in mi.g_class_hooks if (h == "__delattr__") == op.endswith("write")]
        if op.endswith("write"):
            hooks += [h for h in mi.g_class_hooks if h == "__setattr__"]
        if hooks:
            names = " and ".join(f"`{h}`" for h in hooks)
            parts.append(
                f"Its class defines {names} in Python, which puts every attribute "
                f"{'set' if op.endswith('write') else 'get'} on CPython's slow slot path; "
                "moving that behaviour elsewhere (e.g. into the proxy's error branch) would "
                "recover most of the difference."
            )
    return " ".join(parts)


def _mark(t: TargetRow) -> str:
    return t.verdict or {True: "met", False: "**not met**", None: "not measured"}[t.met]


def render(r: Results) -> str:
    out: list[str] = []
    w = out.append
    w("# Benchmarks: what request-local state costs\n")
    w(
        f"Generated by `python -m benchmarks --{r.mode} --write` in {r.seconds:.0f} s on "
        f"{r.started.strftime('%Y-%m-%d %H:%M UTC')}. Do not edit by hand: rerun it.\n"
    )
    w(
        "Run it yourself from a checkout: `pip install -e '.[bench]'` (the peers, uvicorn and "
        "matplotlib), then `python -m benchmarks` (quick mode, under 30 s on an idle machine, "
        "prints this report) or `python -m benchmarks --full --write` (some twelve minutes, "
        "rewrites this page and its charts). `--only per-request,micro,server,memory,"
        "semantics` picks sections. Only 127.0.0.1 is ever contacted.\n"
    )
    w("## Machine and versions\n")
    w("| | |\n|---|---|")
    for k, v in machine().items():
        w(f"| {k} | {v} |")
    for k, v in versions().items():
        w(f"| {k} | {v} |")
    w("")
    w("## Targets\n")
    w("| target | measured | result |\n|---|---|---|")
    rows = targets(r)
    for t in rows:
        w(f"| {t.target} | {t.measured} | {_mark(t)} |")
    w("")
    for t in rows:
        if t.note:
            w(f"- **{t.target}**: {t.note}")
    w("")
    w("## Method\n")
    w(
        "Everything runs in one process on asyncio. Each variant is an app driven through its "
        "ASGI callable (Flask: its WSGI callable, called directly, no server, no threads) with "
        "a real HTTP scope; every request runs in its own task, as a server runs it, in waves "
        "of concurrent requests. Every response is checked (status and JSON body) after the "
        "timed slice: a fast wrong answer fails the run. Each round times one slice of every "
        "variant (one wave) in a freshly shuffled order, after an untimed wave and a "
        "collection of the young generation (a full `gc.collect()` every few rounds); ratios "
        "and differences are taken within a round against the variant's baseline, and the "
        "report gives their median over many rounds with its 95% interval (order "
        "statistics). Many rounds of short slices: machine noise comes in bursts, which "
        "spoil few of a thousand slices of a few milliseconds; with 50 rounds of 400 "
        "requests, two identical apps differed by 8 µs at the median. Micro numbers are "
        "`timeit` loops inside a live "
        "context, with the empty loop's cost removed, also shuffled per round.\n"
    )
    w(
        "Wall-clock rounds on a shared machine swing widely; `python -m benchmarks.instructions` "
        "(needs valgrind) gives the target rows' per-request cost in CPU instructions, which "
        "do not: a steadier view of the same ratios, not a replacement (cache misses are not "
        "in it). With `--sim` it adds, per request, the L1 cache misses and mispredicted "
        "branches cachegrind simulates: at some ten to twenty cycles each, they are most of "
        "why a wall-clock ratio exceeds the instruction ratio.\n"
    )
    if r.per_request:
        _per_request(r, w)
    if r.micro:
        _micro(r, w)
    if r.per_request:
        _blueprints_signals(r.per_request, w)
    if r.per_request or r.micro:
        _bridge(r, w)
    if r.server:
        _server(r.server, w)
    if r.memory:
        _memory(r.memory, w)
    if r.semantics:
        _semantics(r.semantics, w)
    return "\n".join(out).rstrip() + "\n"


def _per_request(r: Results, write: Write) -> None:
    pr = r.per_request
    assert pr is not None
    s = pr.settings
    write("## Per-request overhead (in-process)\n")
    write(
        f"{s['rounds']} rounds × {s['slice_size']} requests per variant, waves of "
        f"{s['concurrency']} concurrent requests, warm-up {s['warmup']}. Endpoint: "
        '`GET /item?q=N` → `{"q": "N"}` (the JSON-body rows: `POST` of 1 KiB JSON).\n'
    )
    noise = noise_us(pr)
    if noise is not None:
        p = paired(pr, NOISE, BARE)
        lo, hi = p.interval_us
        rlo, rhi = p.ratio_interval
        write(
            f"**Noise floor observed:** two identical bare FastAPI apps differ by a median "
            f"{_us(p.median_us)} per request (95% interval {lo:+.1f} to {hi:+.1f}), a ratio "
            f"of {p.median_ratio:.3f}× ({rlo:.3f}–{rhi:.3f}). Differences within "
            f"±{noise:.1f} µs are not findings.\n"
        )
    if "per_request" in r.images:
        write(f"![per-request overhead]({r.images['per_request']})\n")
    write(
        "| variant | µs/request (median) | middle half of rounds | added vs baseline | "
        "ratio (median of rounds) | baseline |"
    )
    write("|---|---:|---:|---:|---:|---|")
    for v in pr.variants:
        t = pr.timed[v.name]
        added = "—" if v.name == v.baseline else f"{overhead_us(pr, v.name):+.1f} µs"
        q1, q3 = middle_half(t.per_round_us)
        write(
            f"| {v.name} | {t.median_us:.1f} | {q1:.1f}–{q3:.1f} | {added} | "
            f"{t.median_ratio:.3f}× | {v.baseline} |"
        )
    write("")
    signals = (
        "The signals module was loaded during this run (Flask is imported), so every "
        "flaskcompat row pays the checks for signal receivers, as an app does wherever Flask "
        "is imported; the *signals never loaded* row is an app of a bare install."
        if pr.settings.get("signals_loaded")
        else "The signals module was not loaded during this run: no row pays for signals."
    )
    write(
        "Hooks: *1 hook* is one `before_request`; *3 hooks* are `before_request` + "
        "`after_request` + `teardown_request`, all no-ops, so the rows price the dispatch; "
        "the *only* rows price one `after_request` or one `teardown_request` alone. "
        "*threadpool* runs sync hooks via the threadpool; *nonblocking* marks them to run "
        "inline on the loop. The blueprint rows put the same async `before_request` on a "
        "`fastapi_flaskcompat.Blueprint` (requests go to its route; its baseline is the hook "
        "on the app with the route on a plain included `APIRouter`, as FastAPI matches an "
        "included router's route at a cost of its own), or serve a route of no "
        "blueprint in an app whose blueprint has that hook. The receivers row connects a "
        "no-op receiver to `request_started` and `request_finished` for its app only while "
        "its own slices run. Peers each write and read one value in the endpoint; "
        "contextvars-extras installs no middleware. Flask and Quart rows are whole other "
        "frameworks doing the same (`g` write + `request.args`), for scale. The login rows "
        'send a session cookie of a logged-in user and answer `{"id": current_user.id}`. '
        f"{signals}\n"
    )
    for name, why in pr.skipped.items():
        write(f"- *{name}*: {why}")
    if pr.skipped:
        write("")


def _micro(r: Results, write: Write) -> None:
    mi = r.micro
    assert mi is not None
    s = mi.settings
    write("## Proxy access (ns per operation)\n")
    write(
        f"`timeit`, {s['number']:,} operations × {s['rounds']} rounds, inside each "
        "implementation's own live request context; medians, min–max in brackets. "
        "Peers without a `request` object only have the `g`-like columns. Three reference "
        "rows: the *minimal Python proxy* is the least any `__getattribute__`/`__setattr__` "
        "proxy costs on this machine; *flaskcompat's g object, no proxy* and *plain object, "
        "no proxy* time the attribute access alone (a local variable, so a few ns cheaper "
        "than a global lookup).\n"
    )
    if "micro" in r.images:
        write(f"![proxy access]({r.images['micro']})\n")
    impls = [i for i in BUILDER_ORDER if i in mi.samples]
    write("| implementation | " + " | ".join(f"`{op}`" for op in OPS) + " |")
    write("|---|" + "---:|" * len(OPS))
    for impl in impls:
        cells = []
        for op in OPS:
            vals = mi.samples[impl].get(op)
            cells.append(
                f"{statistics.median(vals):.0f} ({min(vals):.0f}–{max(vals):.0f})" if vals else "—"
            )
        write(f"| {impl} | " + " | ".join(cells) + " |")
    ratios = []
    for op in OPS:
        lib, flask = mi.median(LIB, op), mi.median(FLASK, op)
        ratios.append(f"**{lib / flask:.3f}×**" if lib is not None and flask else "—")
    write("| *flaskcompat ÷ Flask* | " + " | ".join(ratios) + " |")
    write("")
    for name, why in mi.skipped.items():
        write(f"- *{name}*: {why}")
    if mi.skipped:
        write("")


def _server(sr: ServerResult, write: Write) -> None:
    write("## Through a real server (uvicorn on 127.0.0.1)\n")
    if sr.skipped:
        write(f"Not run: {sr.skipped}\n")
        return
    s = sr.settings
    write(
        "Each app in its own uvicorn process (asyncio loop, uvicorn's default HTTP parser, "
        "one worker, no access log), all started together and loaded one at a time by a "
        f"keep-alive load generator in this process: {s['connections']} connections, each run "
        f"bounded to {s['max_requests']:,} requests or {s['max_seconds']} s. "
        f"{s['rounds']} rounds, servers in shuffled order per round; every response checked. "
        "On 2 cores the client takes one, so absolute numbers are the pair's; the ratios and "
        "the second bare server (the noise control) are the finding.\n"
    )
    write("| server | requests/s (median) | p50 ms | p99 ms | requests checked |")
    write("|---|---:|---:|---:|---:|")
    for name, runs in sr.runs.items():
        m = summary(runs)
        write(
            f"| {name} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} | "
            f"{int(m['requests']):,} |"
        )
    if sr.ratios:
        write("")
        write("Ratios to bare FastAPI, median of per-round ratios (min–max):\n")
        write("| server | requests/s | p50 latency | p99 latency |")
        write("|---|---:|---:|---:|")
        for name, per_metric in sr.ratios.items():
            cells = [
                f"{statistics.median(per_metric[k]):.3f}× "
                f"({min(per_metric[k]):.3f}–{max(per_metric[k]):.3f})"
                for k in ("rps", "p50", "p99")
            ]
            write(f"| {name} | " + " | ".join(cells) + " |")
    write("")


def _memory(me: MemoryResult, write: Write) -> None:
    s = me.settings
    write("## Memory per in-flight request\n")
    write(
        f"{s['in_flight']:,} concurrent requests parked inside the endpoint (awaiting one "
        "event), `tracemalloc` traced from before the first request until all are in flight, "
        f"after `gc.collect()`; {s['rounds']} rounds, median. Includes the harness's own "
        "per-request scope and task, identical for every row.\n"
    )
    write("| app | bytes per in-flight request | above bare FastAPI |")
    write("|---|---:|---:|")
    base = me.median(MEM_BARE) if MEM_BARE in me.per_request else None
    for name in me.per_request:
        v = me.median(name)
        extra = f"{v - base:+.0f} B" if base is not None and name != MEM_BARE else "—"
        write(f"| {name} | {v:,.0f} | {extra} |")
    write("")
    for name, why in me.skipped.items():
        write(f"- *{name}*: {why}")
    if me.skipped:
        write("")


def _semantics(se: SemanticsResult, write: Write) -> None:
    write("## Semantics matrix (produced by running each case)\n")
    write(
        "Each cell is one request against a fresh app; the value written or read is shown "
        "where it is not the expected one. *Request start* is each peer's own way to set "
        "state for every request (listed on the right): peers without hooks use an app-level "
        "dependency, which FastAPI does not run for unmatched routes. Isolation: "
        f"{se.isolation_n:,} concurrent requests each write their own value, wait until all "
        "have written, then read it back.\n"
    )
    checks = list(CHECKS)
    write("| peer | " + " | ".join(checks) + " | request-start mechanism |")
    write("|---|" + "---|" * (len(checks) + 1))
    for name, row in se.rows.items():
        cells = []
        for c in checks:
            o = row[c]
            cells.append("yes" if o.ok else f"**no** (saw `{o.observed}`)")
        write(f"| {name} | " + " | ".join(cells) + f" | {se.mechanisms[name]} |")
    write("")
    for name, why in se.skipped.items():
        write(f"- *{name}*: {why}")
    if se.skipped:
        write("")


def _comparisons(
    pr: PerRequestResult, rows: list[tuple[str, str, str]], noise: float | None, write: Write
) -> None:
    """One line per (a, b, expectation): a against b round by round."""
    write(
        "| comparison | difference per request: median (95% interval) | "
        "ratio: median (95% interval) | expected |"
    )
    write("|---|---:|---:|---|")
    for a, b, expected in rows:
        if a not in pr.timed or b not in pr.timed:
            write(f"| {a} vs {b} | not run | — | {expected} |")
            continue
        p = paired(pr, a, b)
        lo, hi = p.interval_us
        rlo, rhi = p.ratio_interval
        write(
            f"| {a} **vs** {b} | {_us(p.median_us)} ({lo:+.1f} to {hi:+.1f}) | "
            f"{p.median_ratio:.3f}× ({rlo:.3f}–{rhi:.3f}) | {expected} |"
        )
    write("")
    if noise is not None:
        write(
            f"For scale, the noise floor of this run: ±{noise:.1f} µs per request (the 95% "
            "interval of the median difference of two identical bare FastAPI apps).\n"
        )


def _blueprints_signals(pr: PerRequestResult, write: Write) -> None:
    write("## Blueprints and signals\n")
    write(
        "Each pair was timed in the same rounds as the per-request table above; the "
        "difference is taken round by round, then its median.\n"
    )
    _comparisons(
        pr,
        [
            (LIB_APP_HOOK, LIB_NO_HOOKS, "what one async before_request costs"),
            (
                LIB_APP_HOOK_ROUTER,
                LIB_APP_HOOK,
                "FastAPI's own: an included router's route is matched later",
            ),
            (LIB_BP_HOOK, LIB_APP_HOOK_ROUTER, "≈ 0: the same hook, on a blueprint"),
            (LIB_BP_BESIDE, LIB_NO_HOOKS, "≈ 0: no blueprint hook runs"),
            (LIB_NO_HOOKS, LIB_SIGNALS_UNLOADED, "≈ 0: signals loaded, no receiver"),
            (LIB_SIGNAL_RECEIVERS, LIB_NO_HOOKS, "what two receivers cost"),
        ],
        noise_us(pr),
        write,
    )


def _bridge(r: Results, write: Write) -> None:
    write("## Flask bridge\n")
    write(
        "`FlaskCompat(app, bridge_flask=True)`: Flask's own `flask.g`/`flask.request` resolve "
        "to this library's contexts, for code nobody may edit (Flask extensions).\n"
    )
    pr, mi = r.per_request, r.micro
    if pr:
        write("### Per request\n")
        _comparisons(
            pr,
            [
                (LIB_G_ARGS_BRIDGED, LIB_G_ARGS, "≤ +1 µs: the same endpoint, bridge on"),
                (
                    LIB_BRIDGE_FLASK_NAMES,
                    LIB_G_ARGS,
                    "the endpoint written with `flask.g`/`flask.request` (Werkzeug's proxies)",
                ),
            ],
            noise_us(pr),
            write,
        )
        _login(pr, write)
    if mi:
        _bridge_micro(mi, write)


def _login(pr: PerRequestResult, write: Write) -> None:
    write("### Flask-Login `current_user`\n")
    if LOGIN_FASTAPI not in pr.timed or LOGIN_FLASK not in pr.timed:
        reasons = [f"{n}: {pr.skipped[n]}" for n in (LOGIN_FASTAPI, LOGIN_FLASK) if n in pr.skipped]
        write(f"Not run. {'; '.join(reasons)}\n")
        return
    write(
        "The same unmodified Flask-Login set-up (a `user_loader`, default session protection) "
        "on FastAPI + the bridge and on a real Flask app, each request carrying the session "
        "cookie of a logged-in user (one cookie, made by Flask: the library reads Flask's "
        "format); the endpoint answers `current_user.id`. Each row against its own "
        "framework's bare app giving the same answer to the same request.\n"
    )
    write("| framework | µs/request (median) | its bare baseline | added by Flask-Login | ratio |")
    write("|---|---:|---:|---:|---:|")
    for name, base in ((LOGIN_FASTAPI, BARE_LOGIN), (LOGIN_FLASK, FLASK_BARE_LOGIN)):
        p = paired(pr, name, base)
        lo, hi = p.interval_us
        write(
            f"| {name} | {pr.timed[name].median_us:.1f} | {pr.timed[base].median_us:.1f} | "
            f"{_us(p.median_us)} ({lo:+.1f} to {hi:+.1f}) | {p.median_ratio:.3f}× |"
        )
    write("")
    cross = paired(pr, LOGIN_FASTAPI, LOGIN_FLASK)
    rlo, rhi = cross.ratio_interval
    added_fastapi = paired(pr, LOGIN_FASTAPI, BARE_LOGIN).median_us
    added_flask = paired(pr, LOGIN_FLASK, FLASK_BARE_LOGIN).median_us
    write(
        f"FastAPI + bridge ÷ Flask, whole request: {cross.median_ratio:.3f}× (95% interval "
        f"{rlo:.3f}–{rhi:.3f}). What Flask-Login adds: {_us(added_fastapi)} on FastAPI + the "
        f"bridge, {_us(added_flask)} on Flask"
        + (f" ({added_fastapi / added_flask:.2f}× Flask's).\n" if added_flask > 0 else ".\n")
    )
    sync_hook = "flaskcompat, 1 sync hook (threadpool)"
    if sync_hook in pr.timed and LIB_APP_HOOK in pr.timed:
        hop = paired(pr, sync_hook, LIB_APP_HOOK).median_us
        write(
            "Flask-Login's `init_app` registers one sync `after_request` hook "
            "(`_update_remember_cookie`); this library runs sync hooks in the threadpool "
            f"(SPEC: Hooks), and in this run one sync hook cost {_us(hop)} more than the same "
            "hook written `async def` (the 1 sync hook row against the 1 async hook row).\n"
        )


def _bridge_micro(mi: MicroResult, write: Write) -> None:
    write("### Proxy access through the bridge (ns per operation)\n")
    if BRIDGE not in mi.samples:
        write(f"Not run: {mi.skipped.get('bridge', 'no sample')}\n")
        return
    write(
        "From the proxy table above: the same statements with Flask's names inside a request "
        "of a bridged `FlaskCompat`, with this library's names, and in Flask's own request "
        "context of a real Flask app.\n"
    )
    write(
        "| operation | flaskcompat's names | `flask.*` through the bridge | Flask's own "
        "| bridge ÷ flaskcompat | bridge ÷ Flask |"
    )
    write("|---|---:|---:|---:|---:|---:|")
    for op in OPS:
        lib, bridged, flask = mi.median(LIB, op), mi.median(BRIDGE, op), mi.median(FLASK, op)
        if lib is None or bridged is None or flask is None:
            continue
        write(
            f"| `{op}` | {lib:.0f} | {bridged:.0f} | {flask:.0f} | "
            f"{bridged / lib:.2f}× | {bridged / flask:.2f}× |"
            if lib and flask
            else f"| `{op}` | {lib:.0f} | {bridged:.0f} | {flask:.0f} | — | — |"
        )
    write("")
