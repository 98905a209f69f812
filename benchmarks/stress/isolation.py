"""Isolation under load: many keep-alive connections, every layer's echo checked.

Each request gets a unique id; the app (``apps.isolation_app``) echoes it from
before_request (sync and async), sync/async/yield dependencies, the endpoint
(async and sync), a body read by a sync helper, a ``copy_current_request_context``
thread, a streamed body (async and sync generators), after_request (sync and
async) and, through the journal, the background task and teardown. One wrong
echo is one user's state served to another.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .apps import EARLY
from .journal import Journal
from .servers import WORKERS, serve

TARGET = "benchmarks.stress.apps:isolation_app"

_HEAD = ("before_sync", "before_async", "dep_sync", "dep_async", "dep_yield", "endpoint")
# route template -> (method, body kind, layers the JSON head must echo, streamed?)
ROUTES: tuple[tuple[str, str, str | None, tuple[str, ...], bool], ...] = (
    ("GET", "/iso/async/{rid}", None, (*_HEAD, "thread"), False),
    ("GET", "/iso/sync/{rid}", None, (*_HEAD, "thread"), False),
    ("POST", "/iso/body-async/{rid}", "json", (*_HEAD, "body"), False),
    ("POST", "/iso/body-sync/{rid}", "octet", (*_HEAD, "body"), False),
    ("GET", "/iso/stream/{rid}", None, _HEAD, True),
    ("GET", "/iso/sync-stream/{rid}", None, _HEAD, True),
)
# Routes whose endpoint adds a background task (the streaming ones do not).
_BACKGROUND = {
    "/iso/async/{rid}",
    "/iso/sync/{rid}",
    "/iso/body-async/{rid}",
    "/iso/body-sync/{rid}",
}


@dataclass
class IsolationResult:
    server: str
    requests: int = 0
    connections: int = 0
    seconds: float = 0.0
    mismatches: int = 0  # wrong echoes seen by the client or written to the journal
    server_errors: int = 0  # 5xx
    failures: int = 0  # other statuses, transport errors, malformed answers
    teardown_missing: int = 0
    teardown_repeated: int = 0
    background_missing: int = 0
    processes: int = 0
    examples: list[str] = field(default_factory=list)
    #: Kept apart: transport failures under load must not crowd them out.
    mismatch_examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.mismatches
            or self.server_errors
            or self.failures
            or self.teardown_missing
            or self.teardown_repeated
            or self.background_missing
        )

    def note(self, what: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(what)

    def note_mismatch(self, what: str) -> None:
        if len(self.mismatch_examples) < 10:
            self.mismatch_examples.append(what)


def _check(result: IsolationResult, rid: str, route: tuple[t.Any, ...], r: httpx.Response) -> None:
    _, path, _, layers, streamed = route
    if r.status_code >= 500:
        result.server_errors += 1
        result.note(f"{path} {rid}: {r.status_code} {r.text[:200]}")
        return
    if r.status_code != 200:
        result.failures += 1
        result.note(f"{path} {rid}: {r.status_code} {r.text[:200]}")
        return
    echoes: dict[str, t.Any] = {}
    try:
        if streamed:
            head, *lines = r.text.splitlines()
            echoes = json.loads(head)
            for line in lines:
                name, value = line.split(" ", 1)
                echoes[name] = value
            expected = [*layers, "stream0", "stream1", "stream2"]
        else:
            echoes = r.json()
            expected = list(layers)
    except ValueError:
        result.failures += 1
        result.note(f"{path} {rid}: unparsable {r.text[:200]!r}")
        return
    echoes["after_sync"] = r.headers.get("x-after-sync")
    echoes["after_async"] = r.headers.get("x-after-async")
    expected += ["after_sync", "after_async"]
    wrong = {k: echoes.get(k) for k in expected if echoes.get(k) != rid}
    if wrong:
        result.mismatches += 1
        result.note_mismatch(f"{path} {rid}: {wrong}")


async def drive(
    url: str, result: IsolationResult, *, requests: int, connections: int, tag: str
) -> list[tuple[str, str]]:
    """Send ``requests`` over ``connections`` keep-alive connections; ``(rid, route)`` sent."""
    sent: list[tuple[str, str]] = []
    counter = itertools.count()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(30.0)

    async def worker(client: httpx.AsyncClient) -> None:
        while (i := next(counter)) < requests:
            route = ROUTES[i % len(ROUTES)]
            method, template, body, *_ = route
            rid = f"{tag}{i}x{secrets.token_hex(3)}"
            kwargs: dict[str, t.Any] = {"params": {"rid": rid}, "headers": {"x-rid": rid}}
            if body == "json":
                kwargs["json"] = {"rid": rid}
            elif body == "octet":
                kwargs["content"] = rid.encode()
                kwargs["headers"]["content-type"] = "application/octet-stream"
            sent.append((rid, template))
            try:
                r = await client.request(method, template.format(rid=rid), **kwargs)
            except httpx.HTTPError as exc:
                result.failures += 1
                result.note(f"{template} {rid}: {type(exc).__name__}: {exc}")
                continue
            _check(result, rid, route, r)

    async def connection() -> None:
        # One client per connection: a shared pool of hundreds of connections costs
        # the client more CPU per request than the server spends (httpcore's pool).
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
            await worker(client)

    t0 = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - t0
    result.requests = len(sent)
    result.connections = connections
    return sent


def audit_journal(result: IsolationResult, log: Journal, sent: list[tuple[str, str]]) -> None:
    """One teardown per request, every background task ran, no mismatch server-side."""
    rids = [rid for rid, _ in sent]
    teardowns = log.wait_for("teardown", rids, timeout=15)
    apps = log.wait_for("teardown-app", rids, timeout=5)
    for rid in rids:
        n = min(teardowns.get(rid, 0), apps.get(rid, 0))
        if n == 0:
            result.teardown_missing += 1
            result.note(f"no teardown for {rid}")
        elif max(teardowns[rid], apps[rid]) > 1:
            result.teardown_repeated += 1
            result.note(f"teardown ran {teardowns[rid]}/{apps[rid]} times for {rid}")
    backgrounds = log.count("background")
    for rid, template in sent:
        if template in _BACKGROUND and backgrounds.get(rid, 0) != 1:
            result.background_missing += 1
            result.note(f"background ran {backgrounds.get(rid, 0)} times for {rid}")
    wrong = [parts for parts in log.lines() if parts[0] in ("teardown", "background")]
    # The readiness probe carries no id ("None", echo "-"): not the driver's request.
    wrong = [p for p in wrong if p[1] != "None" and len(p) > 3 and p[3] not in (p[1], EARLY)]
    bad = log.events("mismatch") + wrong
    result.mismatches += len(bad)
    for parts in bad[:10]:
        result.note_mismatch("server side: " + " ".join(parts))
    result.processes = len(log.pids("teardown"))


async def run(kind: str, workdir: Path, *, requests: int, connections: int) -> IsolationResult:
    result = IsolationResult(kind)
    log = Journal(workdir / f"isolation-{kind}.journal")
    with serve(kind, TARGET, env=log.env) as server:
        # Warm-up (workers, thread pool), not counted or checked server-side. With
        # several workers, until each served one: a worker still starting on a
        # loaded machine would otherwise leave the other with every connection.
        workers = WORKERS.get(kind, 1)
        deadline = time.monotonic() + 60
        for round_ in itertools.count():
            await drive(
                server.url, IsolationResult(kind), requests=50, connections=10, tag=f"w{round_}"
            )
            if len(log.pids("teardown")) >= workers or time.monotonic() > deadline:
                break
        sent = await drive(server.url, result, requests=requests, connections=connections, tag="r")
        await asyncio.to_thread(audit_journal, result, log, sent)
        if result.server_errors or result.failures:
            result.examples.append("server log: " + server.log_tail(3000))
    return result
