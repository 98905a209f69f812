"""``python -m benchmarks.stress [--long] [--only SECTION,...] [--servers KIND,...] [--json PATH]``

Quick mode (the default, what CI runs through tests/reliability) checks every
section on small counts; ``--long`` runs the figures docs/reliability.md
reports (20,000 requests over 200 keep-alive connections per server,
100,000 requests for memory). Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from . import badinput, faults, isolation, memory
from .servers import KINDS

SECTIONS = ("isolation", "faults", "shutdown", "badinput", "memory")


@dataclass(frozen=True)
class Profile:
    name: str
    iso_requests: int
    iso_connections: int
    shutdown_servers: tuple[str, ...]
    badinput_servers: tuple[str, ...]
    mem_requests: int
    mem_sample_every: int
    rss_requests: int
    rss_sample_every: int
    mem_warmup: int


PROFILES = {
    "quick": Profile(
        "quick",
        iso_requests=144,  # 24 per route
        iso_connections=24,
        shutdown_servers=KINDS,  # all at once: as fast as one
        badinput_servers=("uvicorn", "hypercorn-trio"),
        mem_requests=800,
        mem_sample_every=100,
        rss_requests=600,
        rss_sample_every=200,
        mem_warmup=400,
    ),
    "long": Profile(
        "long",
        iso_requests=20_000,
        iso_connections=200,
        shutdown_servers=KINDS,
        badinput_servers=("uvicorn", "hypercorn-asyncio", "hypercorn-trio"),
        mem_requests=100_000,
        mem_sample_every=10_000,
        rss_requests=100_000,
        rss_sample_every=10_000,
        mem_warmup=2_000,
    ),
}


@dataclass
class Report:
    profile: str
    isolation: list[isolation.IsolationResult] = dataclasses.field(default_factory=list)
    faults: list[faults.FaultResult] = dataclasses.field(default_factory=list)
    shutdown: list[faults.ShutdownRow] = dataclasses.field(default_factory=list)
    badinput: list[badinput.BadInputResult] = dataclasses.field(default_factory=list)
    memory: list[memory.MemoryResult] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        # Shutdown with a graceful timeout is issue 11's defect 5: reported here,
        # asserted in tests/reliability/test_defects.py.
        return (
            all(r.ok for r in self.isolation)
            and all(r.ok for r in self.faults)
            and all(r.ok for r in self.shutdown if r.graceful is None)
            and all(r.ok for r in self.badinput)
            and all(r.errors == 0 for r in self.memory)
        )


def say(what: str) -> None:
    print(what, file=sys.stderr, flush=True)


async def run(
    profile: Profile,
    sections: tuple[str, ...] = SECTIONS,
    servers: tuple[str, ...] = KINDS,
    workdir: Path | None = None,
) -> Report:
    report = Report(profile.name)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
        work = workdir or Path(tmp)
        if "isolation" in sections:
            for kind in servers:
                say(f"isolation: {kind}")
                report.isolation.append(
                    await isolation.run(
                        kind,
                        work,
                        requests=profile.iso_requests,
                        connections=profile.iso_connections,
                    )
                )
        if "faults" in sections:
            say("faults: references (flask.Flask under Werkzeug, bare FastAPI)")
            refs = await faults.references(work)
            say(f"faults: {', '.join(servers)} (at once)")
            report.faults.extend((await faults.run_all(servers, work, refs)).values())
        if "shutdown" in sections:
            kinds = tuple(k for k in profile.shutdown_servers if k in servers)
            say(f"shutdown: {', '.join(kinds)}, without and with a graceful timeout (at once)")
            report.shutdown.extend((await faults.shutdown_all(kinds, work)).values())
        if "badinput" in sections:
            say("bad input: flask.Flask under Werkzeug")
            flask_answers = await badinput.flask_answers()
            for kind in (k for k in profile.badinput_servers if k in servers):
                say(f"bad input: {kind}")
                report.badinput.append(await badinput.run(kind, flask_answers))
        if "memory" in sections:
            say("memory: in process, tracemalloc")
            report.memory.append(
                await memory.in_process(
                    profile.mem_requests,
                    sample_every=profile.mem_sample_every,
                    warmup=profile.mem_warmup,
                )
            )
            say("memory: uvicorn RSS")
            report.memory.append(
                await memory.server_rss(
                    profile.rss_requests,
                    sample_every=profile.rss_sample_every,
                    warmup=profile.mem_warmup,
                )
            )
    report.seconds = time.perf_counter() - t0
    return report


def _mark(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def render(report: Report) -> str:
    out: list[str] = [f"# stress ({report.profile} mode, {report.seconds:.0f} s)", ""]
    if report.isolation:
        out += [
            "## Isolation under load",
            "",
            "| server | requests | connections | req/s | mismatches | 5xx | other failures"
            " | teardown missing / repeated | background missing | processes | |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report.isolation:
            out.append(
                f"| {r.server} | {r.requests} | {r.connections} | {r.requests / r.seconds:.0f}"
                f" | {r.mismatches} | {r.server_errors} | {r.failures}"
                f" | {r.teardown_missing} / {r.teardown_repeated} | {r.background_missing}"
                f" | {r.processes} | {_mark(r.ok)} |"
            )
        for r in report.isolation:
            out += [f"- {r.server}: {e}" for e in (*r.mismatch_examples, *r.examples)]
        out.append("")
    if report.faults:
        out += ["## Fault matrix", ""]
        first = report.faults[0]
        head = "| stage | our route | expected (reference) |"
        out += [head + "".join(f" {f.server} |" for f in report.faults)]
        out.append("|---|---|---|" + "---|" * len(report.faults))
        for i, row in enumerate(first.rows):
            c = row.case
            cells = "".join(
                f" {f.rows[i].got}, td {f.rows[i].teardowns}{'' if f.rows[i].ok else ' FAIL'} |"
                for f in report.faults
            )
            ref = "flask.Flask" if c.reference == "flask" else "bare FastAPI"
            if c.stage in faults.DEPARTURES:
                ref = "departure: " + faults.DEPARTURES[c.stage][1]
            out.append(f"| {c.stage} | `{c.path}` | {row.expected} ({ref}) |{cells}")
        out += ["", "| disconnect |" + "".join(f" {f.server} |" for f in report.faults)]
        out.append("|---|" + "---|" * len(report.faults))
        for i, d in enumerate(first.disconnects):
            cells = "".join(
                f" teardowns {f.disconnects[i].teardowns}{'' if f.disconnects[i].ok else ' FAIL'} |"
                for f in report.faults
            )
            out.append(f"| {d.case} |{cells}")
        for f in report.faults:
            for row in f.rows:
                if not row.ok:
                    out.append(f"- {f.server} {row.case.stage} {row.case.path}: {row}")
            for d in f.disconnects:
                if not d.ok:
                    out.append(f"- {f.server} {d}")
        out.append("")
    if report.shutdown:
        out += [
            "## SIGTERM with 5 sync requests (2.5 s) in flight",
            "",
            "| server | graceful timeout | answered 200 | teardowns | after the view ended"
            " | exit after (s) | |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in report.shutdown:
            grace = "none (wait)" if s.graceful is None else f"{s.graceful:g} s"
            mark = _mark(s.ok) + ("" if s.ok or s.graceful is None else " (defect 5)")
            out.append(
                f"| {s.server} | {grace} | {s.answered_200}/{s.in_flight} | {s.teardowns}"
                f" | {s.teardowns_after_view} | {s.exit_seconds:.1f} | {mark} |"
            )
        out.append("")
    if report.badinput:
        out += ["## Bad input", ""]
        names = [r.case.name for r in report.badinput[0].rows if r.route == "/legacy"]
        out += ["| input | flask.Flask |" + "".join(f" {b.server} |" for b in report.badinput)]
        out.append("|---|---|" + "---|" * len(report.badinput))
        for name in names:
            flask = next(r.flask for r in report.badinput[0].rows if r.case.name == name)
            cells = ""
            for b in report.badinput:
                rows = [r for r in b.rows if r.case.name == name]
                got = "/".join(sorted({r.ours for r in rows}))
                cells += f" {got}{'' if all(r.ok for r in rows) else ' FAIL'} |"
            server = " (server's call)" if rows[0].case.server else ""
            if rows[0].case.departure is not None:
                server = f" (SPEC: {rows[0].case.departure}, see decisions)"
            out.append(f"| {name}{server} | {flask} |{cells}")
        out.append("")
    if report.memory:
        out += [
            "## Memory",
            "",
            "| where | requests | first → last sample | slope per 10k requests | errors |",
            "|---|---|---|---|---|",
        ]
        for m in report.memory:
            a, b = m.first_last
            out.append(
                f"| {m.where} | {m.requests} | {a / 1e6:.2f} → {b / 1e6:.2f} MB"
                f" | {m.slope_per_10k / 1024:+.1f} KiB | {m.errors} |"
            )
        out.append("")
    out.append(f"Overall: {_mark(report.ok)}")
    return "\n".join(out)


def _jsonable(obj: t.Any) -> t.Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        data = {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if hasattr(obj, "ok"):
            data["ok"] = obj.ok
        return data
    if isinstance(obj, list | tuple):
        return [_jsonable(x) for x in obj]
    if callable(obj):
        return getattr(obj, "__name__", repr(obj))
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stress", description=__doc__)
    parser.add_argument("--long", action="store_true", help="the long mode (tens of minutes)")
    parser.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--servers", help=f"comma-separated servers of {','.join(KINDS)}")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    sections = tuple(args.only.split(",")) if args.only else SECTIONS
    servers = tuple(args.servers.split(",")) if args.servers else KINDS
    for name, allowed in ((sections, SECTIONS), (servers, KINDS)):
        unknown = set(name) - set(allowed)
        if unknown:
            parser.error(f"unknown: {', '.join(sorted(unknown))}")
    profile = PROFILES["long" if args.long else "quick"]
    # SIGTERM unwinds like Ctrl-C, so every server started is stopped on the way out.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        report = asyncio.run(run(profile, sections, servers))
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(_jsonable(report), indent=1, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
