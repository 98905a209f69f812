"""Per-request cost in CPU instructions (callgrind): the report's wall-clock ratios, steady.

``python -m benchmarks.instructions`` (needs ``valgrind``; a few minutes). Wall-clock rounds
on a shared 2-core machine swing 0.8-2.6x; an instruction count does not. Each variant of
``benchmarks.variants`` runs in a fresh interpreter under callgrind, once for ``SHORT`` and
once for ``LONG`` sequential requests (each in its own task, as servers run them): the
difference over ``LONG - SHORT`` is the per-request count, start-up and warm-up cancel out.
Memory layout moves a count by a few thousand instructions (allocator pools, dict slots),
so every count is the mean over three layouts (a different number of small objects kept
alive before the app is built). Instructions are not time: cache misses and the GC's
memory traffic are not in them, which is why the wall-clock report stays the reference.

``--sim`` runs cachegrind instead, with its cache and branch-predictor simulation, and
adds per request the L1 instruction and data cache misses and the mispredicted branches
(mostly the interpreter's indirect dispatch): each costs some ten to twenty cycles, so a
few hundred of them weigh as much as the added instructions themselves, and they are
most of why a wall-clock ratio exceeds the instruction ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from . import variants
from .harness import serve

#: (variant, baseline): the rows of the report's targets this measures.
PAIRS = (
    (variants.LIB_NO_HOOKS, variants.BARE),
    (variants.LIB_G_ARGS, variants.BARE_NO_QUERY),
    (variants.FLOOR_WERKZEUG_ARGS, variants.BARE_NO_QUERY),
    (variants.LIB_G_ARGS_BRIDGED, variants.LIB_G_ARGS),
)
SHORT, LONG = 200, 1200
LAYOUTS = (0, 37, 211)


async def _drive(name: str, n: int) -> None:
    (variant,) = [v for v in variants.VARIANTS if v.name == name]
    target = variant.build()
    assert target.asgi is not None
    reqs = variant.requests(n)
    for req in variant.requests(300):  # warm-up: caches, specialised bytecode
        await serve(target.asgi, req)
    for req in reqs:
        resp = await serve(target.asgi, req)
        problem = variant.check(req, resp)
        if problem is not None:
            raise AssertionError(f"{name}: {problem}")


#: cachegrind's summary lines (--sim) and the counter each gives: the first number.
_SIM_LINES = {"I1  misses": "I1 misses", "D1  misses": "D1 misses", "Mispredicts": "mispredicts"}
COUNTERS = ("instructions", *_SIM_LINES.values())


def _count(name: str, n: int, layout: int, sim: bool = False) -> dict[str, int]:
    """What valgrind counted for one fresh run of ``n`` requests: instructions, and
    with ``sim`` cache misses and mispredicted branches."""
    tool = (
        [
            "--tool=cachegrind",
            "--cache-sim=yes",
            "--branch-sim=yes",
            "--cachegrind-out-file=/dev/null",
        ]
        if sim
        else ["--tool=callgrind", "--callgrind-out-file=/dev/null"]
    )
    done = subprocess.run(
        [
            "valgrind",
            *tool,
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            name,
            str(n),
            str(layout),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    patterns = {"instructions": r"(?:Collected :|I\s+refs:)\s+([\d,]+)"}
    if sim:
        patterns |= {key: rf"{line}:\s+([\d,]+)" for line, key in _SIM_LINES.items()}
    found = {key: re.search(pattern, done.stderr) for key, pattern in patterns.items()}
    if done.returncode != 0 or not all(found.values()):
        raise RuntimeError(f"{name}: valgrind run failed:\n{done.stderr[-2000:]}")
    return {key: int(m.group(1).replace(",", "")) for key, m in found.items() if m is not None}


def per_request(name: str, jobs: int, sim: bool = False) -> dict[str, float]:
    """Each counter per request: the mean over the layouts of (LONG - SHORT) / requests."""
    runs = [(n, layout) for layout in LAYOUTS for n in (SHORT, LONG)]
    with ThreadPoolExecutor(jobs) as pool:
        counts = dict(zip(runs, pool.map(lambda r: _count(name, *r, sim), runs), strict=True))
    return {
        key: statistics.mean(
            (counts[LONG, layout][key] - counts[SHORT, layout][key]) / (LONG - SHORT)
            for layout in LAYOUTS
        )
        for key in counts[SHORT, LAYOUTS[0]]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--pair", type=int, action="append", help="measure only these rows of PAIRS (0-based)"
    )
    parser.add_argument(
        "--sim", action="store_true", help="cachegrind: add cache misses and mispredicted branches"
    )
    args = parser.parse_args()
    if args.child:
        name, n, layout = args.child
        kept = [bytearray(64) for _ in range(int(layout))]  # noqa: F841  # the layout
        asyncio.run(_drive(name, int(n)))
        return
    if shutil.which("valgrind") is None:
        sys.exit("benchmarks.instructions needs valgrind (apt-get install valgrind)")
    pairs = [PAIRS[i] for i in args.pair] if args.pair else list(PAIRS)
    names = sorted({n for pair in pairs for n in pair})
    counts = {name: per_request(name, args.jobs, args.sim) for name in names}
    extra = COUNTERS[1:] if args.sim else ()
    print(
        "| variant | instructions/request | vs | ratio | added |"
        + "".join(f" {key} added |" for key in extra)
    )
    print("|---|---:|---|---:|---:|" + "---:|" * len(extra))
    for name, baseline in pairs:
        ours, base = counts[name], counts[baseline]
        row = (
            f"| {name} | {ours['instructions'] / 1000:.1f}k | {baseline}"
            f" | {ours['instructions'] / base['instructions']:.3f}x"
            f" | {(ours['instructions'] - base['instructions']) / 1000:+.1f}k |"
        )
        print(row + "".join(f" {ours[key] - base[key]:+.0f} |" for key in extra))


if __name__ == "__main__":
    main()
