"""What request-body support costs (issue 3). Standalone:

    python benchmarks/bench_body.py            # full run
    python benchmarks/bench_body.py --quick    # fewer rounds, 20 MiB upload

Drives the ASGI app in-process on asyncio (no server, no sockets), so the
figures are the library's own cost. Variants run in interleaved, shuffled
slices; each figure is the median over slices.

1. Overhead for code that never touches the body: the same app with body
   support and without it (the middleware's ``open_body`` swapped for one
   returning None: no recorder, the server's ``receive``),
   for a GET and a small POST (octet-stream: recorded, not preloaded; JSON:
   preloaded, so it is received before the endpoint runs).
2. A 1 KiB JSON body: FastAPI's own ``await request.json()`` without body
   support against preload + ``await request.json()`` replayed, and preload
   + legacy ``request.get_json()`` (which also builds the Werkzeug request);
   then the preload step alone (``Body.load()`` + ``json.loads``) against
   ``await StarletteRequest(scope, receive).json()``.
3. Peak traced memory (``tracemalloc``) above baseline for a 100 MiB
   multipart upload read by legacy code (``request.files``) in a sync
   endpoint, chunks of 64 KiB as a server delivers them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import random
import statistics
import sys
import time
import tracemalloc
import typing as t
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi import FastAPI
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message

from fastapi_flaskcompat import FlaskCompat, middleware, request
from fastapi_flaskcompat.body import Body, open_body

JSON_1K_BYTES = json.dumps({"pad": "x" * (1024 - 11)}).encode()
assert len(JSON_1K_BYTES) == 1024


def _no_body(*args: t.Any) -> None:
    return None


def make_app() -> FastAPI:
    app = FastAPI()
    FlaskCompat(app)

    @app.get("/get")
    async def get() -> str:
        return "ok"

    @app.post("/post")
    async def post() -> str:
        return "ok"

    @app.post("/fastapi-json")
    async def fastapi_json(req: StarletteRequest) -> int:
        return len(await req.json())

    @app.post("/legacy-json")
    async def legacy_json() -> int:
        return len(request.get_json())

    @app.post("/upload")
    def upload() -> str:
        f = request.files["file"]
        digest = hashlib.sha256()
        while chunk := f.stream.read(64 * 1024):
            digest.update(chunk)
        return digest.hexdigest()

    return app


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("bench", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"user-agent", b"bench"), (b"accept", b"*/*"), *headers],
    }


async def call(app: ASGIApp, s: dict[str, t.Any], body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(s), receive, send)
    return status


# (app, scope, body, with body support)
Case = tuple[ASGIApp, dict[str, t.Any], bytes, bool]


async def per_request_us(cases: dict[str, Case], n: int, rounds: int) -> dict[str, list[float]]:
    """µs per request for each case, one sample per shuffled slice of ``n`` requests."""
    samples: dict[str, list[float]] = {k: [] for k in cases}
    try:
        for app, s, body, support in cases.values():  # warm up
            middleware.open_body = open_body if support else _no_body  # type: ignore[assignment]
            for _ in range(200):
                assert await call(app, s, body) == 200
        for _ in range(rounds):
            order = list(cases)
            random.shuffle(order)
            for name in order:
                app, s, body, support = cases[name]
                middleware.open_body = open_body if support else _no_body  # type: ignore[assignment]
                gc.collect()
                start = time.perf_counter_ns()
                for _ in range(n):
                    await call(app, s, body)
                samples[name].append((time.perf_counter_ns() - start) / n / 1000)
    finally:
        middleware.open_body = open_body
    return samples


def ratio(samples: dict[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of a/b within the round: drifts of the machine cancel out."""
    return statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))


async def overhead(n: int, rounds: int) -> list[str]:
    app = make_app()
    small = b"x" * 64
    octets = [(b"content-type", b"application/octet-stream"), (b"content-length", b"64")]
    js = [(b"content-type", b"application/json"), (b"content-length", b"7")]
    cases: dict[str, Case] = {}
    for label, support in (("on", True), ("off", False)):
        cases[f"GET {label}"] = (app, scope("GET", "/get", []), b"", support)
        cases[f"POST octets {label}"] = (app, scope("POST", "/post", octets), small, support)
        cases[f"POST json {label}"] = (app, scope("POST", "/post", js), b'{"a":1}', support)
    us = await per_request_us(cases, n, rounds)
    lines = ["1. body never touched: µs/request with body support (on) and without (off)"]
    for what in ("GET", "POST octets", "POST json"):
        a, b = statistics.median(us[f"{what} on"]), statistics.median(us[f"{what} off"])
        r = ratio(us, f"{what} on", f"{what} off")
        lines.append(f"   {what:<12} on {a:7.2f}  off {b:7.2f}  ratio {r:.3f}")
    return lines


async def json_1k(n: int, rounds: int) -> list[str]:
    app = make_app()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
    cases: dict[str, Case] = {
        "fastapi": (app, scope("POST", "/fastapi-json", headers), JSON_1K_BYTES, False),
        "replayed": (app, scope("POST", "/fastapi-json", headers), JSON_1K_BYTES, True),
        "legacy": (app, scope("POST", "/legacy-json", headers), JSON_1K_BYTES, True),
    }
    us = await per_request_us(cases, n, rounds)
    med = {k: statistics.median(v) for k, v in us.items()}
    return [
        "2. 1 KiB JSON body: µs/request",
        f"   FastAPI await request.json(), no body support    {med['fastapi']:7.2f}",
        f"   preload + await request.json() (replayed)        {med['replayed']:7.2f}"
        f"  ratio {ratio(us, 'replayed', 'fastapi'):.3f}",
        f"   preload + legacy request.get_json()              {med['legacy']:7.2f}"
        f"  ratio {ratio(us, 'legacy', 'fastapi'):.3f}",
    ]


async def preload_step(n: int, rounds: int) -> list[str]:
    """The preload on its own against Starlette's read + parse of the same bytes."""
    s = scope("POST", "/", [(b"content-type", b"application/json"), (b"content-length", b"1024")])
    message = {"type": "http.request", "body": JSON_1K_BYTES, "more_body": False}

    async def receive() -> Message:
        return message

    async def starlette_json() -> None:
        await StarletteRequest(s, receive).json()

    async def preload() -> None:
        body = Body(receive, 1024, None, True, b"application/json")
        await body.load()
        json.loads(body.read_from(0))

    samples: dict[str, list[float]] = {"starlette": [], "preload": []}
    fns = {"starlette": starlette_json, "preload": preload}
    for _ in range(rounds):
        for name in random.sample(list(fns), 2):
            fn = fns[name]
            start = time.perf_counter_ns()
            for _ in range(n * 10):
                await fn()
            samples[name].append((time.perf_counter_ns() - start) / n / 10 / 1000)
    a, b = statistics.median(samples["preload"]), statistics.median(samples["starlette"])
    r = ratio(samples, "preload", "starlette")
    return [
        f"   preload step alone: Body.load() + json.loads     {a:7.2f}  ratio {r:.3f}",
        f"   Starlette's await request.json() alone           {b:7.2f}",
    ]


async def upload_memory(mib: int) -> list[str]:
    app = make_app()
    head = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    tail = b"\r\n--b--\r\n"
    blocks = mib * 16  # 64 KiB each
    s = scope(
        "POST",
        "/upload",
        [
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"content-length", b"%d" % (len(head) + blocks * 65536 + len(tail))),
        ],
    )
    messages: list[Message] = []

    def gen() -> t.Iterator[Message]:
        yield {"type": "http.request", "body": head, "more_body": True}
        for i in range(blocks):
            # A fresh object per message, as a server's socket reads are.
            yield {
                "type": "http.request",
                "body": (i % 65536).to_bytes(2) * 32768,
                "more_body": True,
            }
        yield {"type": "http.request", "body": tail, "more_body": False}

    it = gen()

    async def receive() -> Message:
        try:
            return next(it)
        except StopIteration:
            await asyncio.Event().wait()
            raise

    async def send(message: Message) -> None:
        messages.append(message)

    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    await app(s, receive, send)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    assert messages[0]["status"] == 200, messages
    return [
        f"3. {mib} MiB multipart upload read by legacy request.files (sync endpoint)",
        f"   peak traced memory above baseline {peak / 2**20:.2f} MiB"
        f"  ({elapsed:.1f} s under tracemalloc)",
    ]


async def main(quick: bool) -> None:
    n, rounds = (300, 7) if quick else (1000, 15)
    print(f"python {sys.version.split()[0]}, asyncio, in-process ASGI")
    for line in await overhead(n, rounds):
        print(line)
    for line in await json_1k(n, rounds):
        print(line)
    for line in await preload_step(n, rounds):
        print(line)
    for line in await upload_memory(20 if quick else 100):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
