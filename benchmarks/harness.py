"""Drive ASGI/WSGI callables in-process and time interleaved, shuffled slices."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Scope

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Req:
    """One request as a client would send it."""

    method: str = "GET"
    path: str = "/item"
    query: str = "q=1"
    headers: tuple[tuple[str, str], ...] = (("x-token", "abc"),)
    body: bytes = b""


@dataclass
class Resp:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def make_scope(req: Req) -> Scope:
    headers = [(b"host", b"testserver")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in req.headers]
    if req.body:
        headers.append((b"content-length", str(len(req.body)).encode()))
    return {
        "type": "http",
        # Same spec version uvicorn announces, so Starlette behaves as under a server.
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": req.method,
        "scheme": "http",
        "path": req.path,
        "raw_path": req.path.encode(),
        "root_path": "",
        "query_string": req.query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


async def call_asgi(app: ASGIApp, req: Req) -> Resp:
    """Run one request through an ASGI app, as a server's per-request task would."""
    resp = Resp(0, b"")
    chunks: list[bytes] = []
    done = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": req.body, "more_body": False}
        # A server only reports disconnect once the response is over.
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            resp.status = message["status"]
            resp.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(make_scope(req), receive, send)
    finally:
        done.set()
    resp.body = b"".join(chunks)
    return resp


async def serve(app: ASGIApp, req: Req) -> Resp:
    """call_asgi in a task of its own, with its own context copy, as servers run each request."""
    return await asyncio.ensure_future(call_asgi(app, req))


def make_environ(req: Req) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": req.path,
        "QUERY_STRING": req.query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for k, v in req.headers:
        environ["HTTP_" + k.upper().replace("-", "_")] = v
    if req.body:
        environ["CONTENT_LENGTH"] = str(len(req.body))
    for k, v in req.headers:
        if k.lower() == "content-type":
            environ["CONTENT_TYPE"] = v
    return environ


def call_wsgi(app: WSGIApp, req: Req) -> Resp:
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(s)

    it = app(make_environ(req), start_response)
    try:
        body = b"".join(it)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    return Resp(int(status[0].split()[0]), body)


Check = Callable[[Req, Resp], str | None]
"""Returns None when the response is right, else what is wrong."""


@dataclass
class Target:
    """Something the timing loop can drive: an ASGI app or a WSGI app."""

    asgi: ASGIApp | None = None
    wsgi: WSGIApp | None = None
    #: State only this variant may see, set up around each of its slices: e.g. a signal
    #: receiver, which would otherwise be paid by every app in the process.
    during: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext

    async def run(self, reqs: Sequence[Req], concurrency: int) -> tuple[float, list[Resp]]:
        """Return (seconds, responses) for the whole slice."""
        with self.during():
            return await self._run(reqs, concurrency)

    async def _run(self, reqs: Sequence[Req], concurrency: int) -> tuple[float, list[Resp]]:
        if self.wsgi is not None:
            wsgi = self.wsgi
            t0 = time.perf_counter()
            out = [call_wsgi(wsgi, r) for r in reqs]
            return time.perf_counter() - t0, out
        assert self.asgi is not None
        app = self.asgi
        results: list[Resp] = []
        t0 = time.perf_counter()
        # Each request gets its own task (and context copy), in waves like a busy server.
        for i in range(0, len(reqs), concurrency):
            wave = [asyncio.ensure_future(call_asgi(app, r)) for r in reqs[i : i + concurrency]]
            results.extend(await asyncio.gather(*wave))
        return time.perf_counter() - t0, results


def check_all(reqs: Sequence[Req], resps: Sequence[Resp], check: Check) -> str | None:
    for req, resp in zip(reqs, resps, strict=True):
        problem = check(req, resp)
        if problem is not None:
            where = f"{req.method} {req.path}?{req.query}"
            return f"{where}: {problem} (status {resp.status}, body {resp.body[:120]!r})"
    return None


@dataclass
class Timed:
    """Per-request microseconds of one variant, one value per round."""

    name: str
    per_round_us: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float:
        return statistics.median(self.per_round_us)

    @property
    def min_us(self) -> float:
        return min(self.per_round_us)

    @property
    def max_us(self) -> float:
        return max(self.per_round_us)

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else float("nan")


#: Requests each variant serves, untimed, before its slice of a round (a wave).
SLICE_WARMUP = 32
#: Rounds between full collections.
FULL_COLLECT_EVERY = 10


async def interleave(
    targets: Mapping[str, tuple[Target, list[Req], Check]],
    *,
    rounds: int,
    slice_size: int,
    warmup: int,
    concurrency: int,
    baseline_of: Mapping[str, str],
    seed: int = 1,
) -> dict[str, Timed]:
    """Time every target in shuffled order each round; ratios are to its baseline in that round.

    Slices should be short (one wave) and rounds many: a burst of machine noise then
    spoils few slices, and medians over many rounds resolve finer differences.

    Raises AssertionError on the first wrong response: a fast wrong answer is no result.
    """
    rng = random.Random(seed)
    names = list(targets)
    for name in names:
        target, reqs, check = targets[name]
        _, resps = await target.run(reqs[: max(warmup, 1)], concurrency)
        problem = check_all(reqs[: max(warmup, 1)], resps, check)
        if problem is not None:
            raise AssertionError(f"{name}: {problem}")
    out = {name: Timed(name) for name in names}
    for i in range(rounds):
        rng.shuffle(names)
        if i % FULL_COLLECT_EVERY == 0:
            gc.collect()  # ~30 ms with every variant loaded: not before every slice
        this_round: dict[str, float] = {}
        for name in names:
            target, reqs, check = targets[name]
            batch = reqs[:slice_size]
            # One untimed wave first, so caches and the threadpool are hot for this variant.
            await target.run(batch[:SLICE_WARMUP], concurrency)
            # An empty young generation: no variant pays for another's fresh garbage.
            gc.collect(0)
            seconds, resps = await target.run(batch, concurrency)
            problem = check_all(batch, resps, check)
            if problem is not None:
                raise AssertionError(f"{name}: {problem}")
            this_round[name] = seconds / len(batch) * 1e6
        for name, us in this_round.items():
            out[name].per_round_us.append(us)
            base = baseline_of.get(name)
            if base is not None and base in this_round:
                out[name].ratios.append(us / this_round[base])
    return out
