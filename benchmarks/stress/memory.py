"""Memory over many requests with hooks, ``g`` and body reads: the slope, per 10k.

* In process, under ``tracemalloc``: the app driven by hand-made ASGI
  cycles (no client in the measurement), 16 at a time; traced bytes after
  ``gc.collect()`` sampled every ``sample_every`` requests after a warm-up.
* Through uvicorn: the server's RSS (``/proc/PID/status``) sampled while an
  httpx client drives it. RSS moves in allocator-sized steps; read it as a
  bound, the tracemalloc slope as the figure.

A leak of one request object per request would be several MB per 10k.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
import tracemalloc
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .apps import memory_app
from .servers import serve

TARGET = "benchmarks.stress.apps:memory_app"
Message = dict[str, t.Any]


@dataclass
class MemoryResult:
    where: str
    requests: int
    samples: list[tuple[int, int]] = field(default_factory=list)  # (requests done, bytes)
    seconds: float = 0.0
    errors: int = 0

    @property
    def slope_per_10k(self) -> float:
        """Least-squares growth in bytes per 10,000 requests."""
        if len(self.samples) < 2:
            return 0.0
        xs = [x for x, _ in self.samples]
        ys = [y for _, y in self.samples]
        return float(statistics.linear_regression(xs, ys).slope) * 10_000

    @property
    def first_last(self) -> tuple[int, int]:
        return (self.samples[0][1], self.samples[-1][1]) if self.samples else (0, 0)


def _cycle(i: int) -> tuple[dict[str, t.Any], bytes]:
    kind = i % 3
    path, body, ctype = "/args", b"", b""
    if kind == 0:
        path, ctype = "/json", b"application/json"
        body = json.dumps({"items": list(range(i % 50))}).encode()
    elif kind == 1:
        path, ctype = "/data", b"application/octet-stream"
        body = b"x" * (i % 2000 + 1)
    headers = [(b"host", b"t"), (b"x-rid", str(i).encode())]
    if body:
        headers += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": f"tenant=t{i % 7}&rid={i}".encode(),
        "headers": headers,
        "client": ("127.0.0.1", 40000 + i % 1000),
        "server": ("127.0.0.1", 8000),
    }
    return scope, body


async def _one(app: t.Any, i: int) -> int:
    scope, body = _cycle(i)
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def in_process(requests: int, *, sample_every: int, warmup: int = 1000) -> MemoryResult:
    app = memory_app()
    result = MemoryResult("in-process (tracemalloc)", requests)
    concurrency = 16

    async def batch(start: int, n: int) -> None:
        for offset in range(0, n, concurrency):
            idx = range(start + offset, start + min(n, offset + concurrency))
            statuses = await asyncio.gather(*(_one(app, i) for i in idx))
            result.errors += sum(1 for s in statuses if s != 200)

    await batch(0, warmup)
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        done = 0
        while done < requests:
            await batch(warmup + done, sample_every)
            done += sample_every
            gc.collect()
            result.samples.append((done, tracemalloc.get_traced_memory()[0]))
    finally:
        tracemalloc.stop()
    result.seconds = time.perf_counter() - t0
    return result


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def server_rss(requests: int, *, sample_every: int, warmup: int = 1000) -> MemoryResult:
    result = MemoryResult("uvicorn (RSS)", requests)
    with serve("uvicorn", TARGET) as server:
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:

            async def drive(start: int, n: int) -> None:
                for offset in range(0, n, 16):
                    idx = range(start + offset, start + min(n, offset + 16))
                    rs = await asyncio.gather(*(_http(client, i) for i in idx))
                    result.errors += sum(1 for s in rs if s != 200)

            await drive(0, warmup)
            t0 = time.perf_counter()
            done = 0
            while done < requests:
                await drive(warmup + done, sample_every)
                done += sample_every
                result.samples.append((done, _rss(server.proc.pid)))
            result.seconds = time.perf_counter() - t0
    return result


async def _http(client: httpx.AsyncClient, i: int) -> int:
    scope, body = _cycle(i)
    headers = {k.decode(): v.decode() for k, v in scope["headers"] if k != b"host"}
    r = await client.request(
        scope["method"],
        scope["path"],
        params=scope["query_string"].decode(),
        headers=headers,
        content=body or None,
    )
    return r.status_code
