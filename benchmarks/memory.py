"""Bytes held per in-flight request: N requests parked in the endpoint at once (tracemalloc)."""

from __future__ import annotations

import asyncio
import gc
import statistics
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from .harness import Req, call_asgi, serve
from .variants import Unavailable, _lib, check_echo


class Gate:
    """Parks every request in the endpoint until all N are in flight."""

    def __init__(self, n: int) -> None:
        self.arm(n)

    def arm(self, n: int) -> None:
        self.n = n
        self.arrived = 0
        self.all_in = asyncio.Event()
        self.release = asyncio.Event()

    async def park(self) -> None:
        self.arrived += 1
        if self.arrived >= self.n:
            self.all_in.set()
        await self.release.wait()


def _app(gate: Gate, touch: Callable[[str], None] | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        if touch is not None:
            touch(q)
        await gate.park()
        return {"q": q}

    return app


def _bare(gate: Gate) -> Any:
    return _app(gate)


def _lib_plain(gate: Gate) -> Any:
    fc = _lib()
    app = _app(gate)
    fc.FlaskCompat(app)
    return app


def _lib_g(gate: Gate) -> Any:
    fc = _lib()
    g = fc.g

    def touch(q: str) -> None:
        g.q = q

    app = _app(gate, touch)
    fc.FlaskCompat(app)
    return app


def _starlette_context(gate: Gate) -> Any:
    try:
        from starlette_context import context
        from starlette_context.middleware import RawContextMiddleware
    except ImportError as exc:
        raise Unavailable("starlette-context not installed") from exc

    def touch(q: str) -> None:
        context["q"] = q

    app = _app(gate, touch)
    app.add_middleware(RawContextMiddleware)
    return app


BARE = "bare FastAPI"
BUILDERS: dict[str, Callable[[Gate], Any]] = {
    BARE: _bare,
    "flaskcompat, no hooks": _lib_plain,
    "flaskcompat, g written": _lib_g,
    "starlette-context (raw ASGI), value written": _starlette_context,
}


@dataclass
class MemoryResult:
    per_request: dict[str, list[float]] = field(default_factory=dict)  # bytes, one per round
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.per_request[name])


async def measure(build: Callable[[Gate], Any], n: int) -> float:
    gate = Gate(1)
    gate.release.set()
    app = build(gate)
    for i in range(20):  # warm the same app: routing and validation caches are not per-request
        await serve(app, Req(query=f"q={i}"))
    gate.arm(n)
    reqs = [Req(query=f"q={i}") for i in range(n)]
    gc.collect()
    # The collector would rescan the growing heap again and again; one collect at the end does.
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = [asyncio.ensure_future(call_asgi(app, r)) for r in reqs]
        await gate.all_in.wait()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        # Untraced from here: finishing the requests is not what is measured.
        tracemalloc.stop()
        gc.enable()
    gate.release.set()
    resps = await asyncio.gather(*tasks)
    for req, resp in zip(reqs, resps, strict=True):
        problem = check_echo(req, resp)
        if problem is not None:
            raise AssertionError(f"memory run: {problem}")
    return held / n


async def run(*, rounds: int, n: int) -> MemoryResult:
    result = MemoryResult(settings={"rounds": rounds, "in_flight": n})
    names = list(BUILDERS)
    for name in names:
        try:
            BUILDERS[name](Gate(1))
        except Unavailable as exc:
            result.skipped[name] = str(exc)
    names = [x for x in names if x not in result.skipped]
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate who goes first
            result.per_request.setdefault(name, []).append(await measure(BUILDERS[name], n))
    return result
