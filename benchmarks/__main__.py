"""One command: ``python -m benchmarks [--quick|--full] [--write] [--only SECTION,...]``."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import memory, micro, perrequest, semantics, server
from .report import Results, render

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("per-request", "micro", "server", "memory", "semantics")


@dataclass(frozen=True)
class Profile:
    name: str
    rounds: int
    slice_size: int
    warmup: int
    concurrency: int
    micro_rounds: int
    micro_number: int
    server_rounds: int
    server_connections: int
    server_requests: int
    server_seconds: float
    memory_rounds: int
    memory_in_flight: int
    isolation: int
    servers: tuple[str, ...] | None = None  # None: all of server.SERVERS


PROFILES = {
    # Checks that everything answers correctly; its timings mean little.
    "tiny": Profile(
        "tiny", 1, 20, 5, 8, 1, 200, 1, 4, 100, 1.0, 1, 200, 100, ("flaskcompat, no hooks",)
    ),
    "quick": Profile("quick", 60, 32, 30, 32, 3, 20_000, 2, 16, 2_000, 0.5, 1, 500, 1_000),
    # Many rounds of short slices (one wave of each variant; 20,000 operations of each
    # statement): a burst of machine noise spoils few of them, and medians drop them
    # (9 rounds of 200,000 gave 1.11x and 1.38x for the same g.x-read ratio in two
    # runs; 90 of 20,000 gave 1.12x and 1.15x).
    "full": Profile("full", 1000, 32, 100, 32, 90, 20_000, 12, 32, 30_000, 1.5, 2, 10_000, 1_000),
}


async def run_all(profile: Profile, sections: tuple[str, ...] = SECTIONS) -> Results:
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    r = Results(mode=profile.name, started=started)

    def say(what: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {what}", file=sys.stderr, flush=True)

    if "per-request" in sections:
        say("per-request variants")
        r.per_request = await perrequest.run(
            rounds=profile.rounds,
            slice_size=profile.slice_size,
            warmup=profile.warmup,
            concurrency=profile.concurrency,
        )
    if "micro" in sections:
        say("proxy micro-benchmarks")
        r.micro = await micro.run(rounds=profile.micro_rounds, number=profile.micro_number)
    if "server" in sections:
        say("uvicorn on 127.0.0.1")
        r.server = await server.run(
            rounds=profile.server_rounds,
            connections=profile.server_connections,
            max_requests=profile.server_requests,
            max_seconds=profile.server_seconds,
            only=profile.servers,
        )
    if "memory" in sections:
        say("memory per in-flight request")
        r.memory = await memory.run(rounds=profile.memory_rounds, n=profile.memory_in_flight)
    if "semantics" in sections:
        say("semantics matrix")
        r.semantics = await semantics.run(isolation_n=profile.isolation)
    r.seconds = time.perf_counter() - t0
    say("done")
    return r


def write_report(r: Results, out: Path) -> None:
    from .charts import micro_chart, per_request_chart

    img = out.parent / "img"
    img.mkdir(parents=True, exist_ok=True)
    if r.per_request:
        per_request_chart(r.per_request, img / "benchmarks-per-request.png")
        r.images["per_request"] = "img/benchmarks-per-request.png"
    if r.micro:
        micro_chart(r.micro, img / "benchmarks-micro.png")
        r.images["micro"] = "img/benchmarks-micro.png"
    out.write_text(render(r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick")
    mode.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.add_argument(
        "--write",
        nargs="?",
        const=str(REPO / "docs" / "benchmarks.md"),
        metavar="PATH",
        help="write the report (default docs/benchmarks.md) and its charts (img/ beside it)",
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.write:
        try:
            import matplotlib  # noqa: F401  # the charts: fail before minutes of measuring
        except ImportError:
            parser.error("--write draws charts with matplotlib: pip install -e '.[bench]'")
    results = asyncio.run(run_all(PROFILES[args.mode or "quick"], sections))
    if args.write:
        write_report(results, Path(args.write))
        print(f"wrote {args.write}", file=sys.stderr)
    else:
        print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
