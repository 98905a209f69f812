"""Semantics matrix, produced by running: where does each peer's request state actually reach?"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .harness import Req, serve
from .variants import Unavailable, _lib, cvx_registry

START = "set-at-request-start"


@dataclass
class Adapter:
    """How one peer is installed, and how code writes and reads one value through it."""

    name: str
    new_app: Callable[
        [], FastAPI
    ]  # app with the peer installed and something writing START per request
    write: Callable[[str], None]
    read: Callable[[], Any]
    start_mechanism: str


def _safe_read(adapter: Adapter) -> str:
    try:
        return str(adapter.read())
    except Exception as exc:
        return f"{type(exc).__name__}"


def _lib_adapter() -> Adapter:
    fc = _lib()
    g = fc.g

    def new_app() -> FastAPI:
        app = FastAPI()

        def start() -> None:
            g.user = START

        fc.FlaskCompat(app).before_request(start)
        return app

    def write(v: str) -> None:
        g.user = v

    return Adapter("flaskcompat (g)", new_app, write, lambda: g.user, "before_request (sync def)")


def _starlette_context_adapter(raw: bool) -> Callable[[], Adapter]:
    def build() -> Adapter:
        try:
            from starlette_context import context
            from starlette_context.middleware import ContextMiddleware, RawContextMiddleware
        except ImportError as exc:
            raise Unavailable("starlette-context not installed") from exc

        class Raw(RawContextMiddleware):
            async def set_context(self, request: Any) -> dict[str, Any]:
                return {"user": START}

        class Base(ContextMiddleware):
            async def set_context(self, request: Any) -> dict[str, Any]:
                return {"user": START}

        def new_app() -> FastAPI:
            app = FastAPI()
            app.add_middleware(Raw if raw else Base)
            return app

        def write(v: str) -> None:
            context["user"] = v

        name = "starlette-context (raw ASGI)" if raw else "starlette-context (BaseHTTPMiddleware)"
        return Adapter(name, new_app, write, lambda: context["user"], "middleware set_context()")

    return build


def _fastapi_globals_adapter() -> Adapter:
    try:
        from fastapi_globals import GlobalsMiddleware, g
    except ImportError as exc:
        raise Unavailable("fastapi-globals not installed") from exc

    async def start() -> None:
        g.user = START

    def new_app() -> FastAPI:
        app = FastAPI(dependencies=[Depends(start)])
        app.add_middleware(GlobalsMiddleware)
        return app

    def write(v: str) -> None:
        g.user = v

    return Adapter("fastapi-globals", new_app, write, lambda: g.user, "app-level async dependency")


def _cvx_adapter() -> Adapter:
    reg = cvx_registry()

    async def start() -> None:
        reg.user = START

    def new_app() -> FastAPI:
        return FastAPI(dependencies=[Depends(start)])

    def write(v: str) -> None:
        reg.user = v

    return Adapter(
        "contextvars-extras registry",
        new_app,
        write,
        lambda: reg.user,
        "app-level async dependency",
    )


ADAPTERS: list[Callable[[], Adapter]] = [
    _lib_adapter,
    _starlette_context_adapter(True),
    _starlette_context_adapter(False),
    _fastapi_globals_adapter,
    _cvx_adapter,
]


@dataclass
class Outcome:
    ok: bool
    observed: str


async def sync_dependency_write(a: Adapter) -> Outcome:
    app = a.new_app()

    def dep() -> None:
        a.write("alice")

    @app.get("/t", dependencies=[Depends(dep)])
    async def t() -> dict[str, str]:
        return {"v": _safe_read(a)}

    v = json.loads((await serve(app, Req(path="/t", query=""))).body)["v"]
    return Outcome(v == "alice", v)


async def background_task(a: Adapter) -> Outcome:
    app = a.new_app()
    seen: list[str] = []

    def task() -> None:
        seen.append(_safe_read(a))

    @app.get("/t")
    async def t(bg: BackgroundTasks) -> dict[str, str]:
        a.write("bob")
        bg.add_task(task)
        return {}

    await serve(app, Req(path="/t", query=""))
    v = seen[0] if seen else "task did not run"
    return Outcome(v == "bob", v)


async def streaming_body(a: Adapter) -> Outcome:
    app = a.new_app()

    async def body() -> AsyncIterator[bytes]:
        yield _safe_read(a).encode()

    @app.get("/t")
    async def t() -> StreamingResponse:
        a.write("carol")
        return StreamingResponse(body())

    v = (await serve(app, Req(path="/t", query=""))).body.decode()
    return Outcome(v == "carol", v)


async def yield_dependency_exit(a: Adapter) -> Outcome:
    app = a.new_app()
    seen: list[str] = []

    async def dep() -> AsyncIterator[None]:
        yield
        seen.append(_safe_read(a))

    @app.get("/t", dependencies=[Depends(dep)])
    async def t() -> dict[str, str]:
        a.write("dave")
        return {}

    await serve(app, Req(path="/t", query=""))
    v = seen[0] if seen else "exit did not run"
    return Outcome(v == "dave", v)


async def not_found_handler(a: Adapter) -> Outcome:
    app = a.new_app()

    @app.exception_handler(StarletteHTTPException)
    async def handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"v": _safe_read(a)}, status_code=exc.status_code)

    resp = await serve(app, Req(path="/missing", query=""))
    v = json.loads(resp.body)["v"] if resp.status == 404 else f"status {resp.status}"
    return Outcome(v == START, v)


async def validation_handler(a: Adapter) -> Outcome:
    app = a.new_app()

    @app.exception_handler(RequestValidationError)
    async def handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"v": _safe_read(a)}, status_code=422)

    @app.get("/t")
    async def t(n: int) -> dict[str, int]:
        return {"n": n}

    resp = await serve(app, Req(path="/t", query="n=abc"))
    v = json.loads(resp.body)["v"] if resp.status == 422 else f"status {resp.status}"
    return Outcome(v == START, v)


async def isolation(a: Adapter, n: int = 1000) -> Outcome:
    app = a.new_app()
    arrived = 0
    all_in = asyncio.Event()

    @app.get("/t")
    async def t(i: str) -> dict[str, str]:
        nonlocal arrived
        a.write(i)
        arrived += 1
        if arrived == n:
            all_in.set()
        # Every request has written before any reads: a shared slot would show the last writer.
        await all_in.wait()
        return {"v": _safe_read(a)}

    resps = await asyncio.gather(*(serve(app, Req(path="/t", query=f"i={i}")) for i in range(n)))
    wrong = sum(json.loads(r.body).get("v") != str(i) for i, r in enumerate(resps))
    return Outcome(
        wrong == 0,
        f"{wrong} of {n} saw another request's value" if wrong else f"{n} of {n} isolated",
    )


CHECKS: dict[str, Callable[[Adapter], Any]] = {
    "sync dependency write reaches endpoint": sync_dependency_write,
    "visible in background task": background_task,
    "visible in streaming body": streaming_body,
    "visible at yield-dependency exit": yield_dependency_exit,
    "start-of-request state in 404 handler": not_found_handler,
    "start-of-request state in 422 handler": validation_handler,
    "concurrent requests isolated": isolation,
}


@dataclass
class SemanticsResult:
    rows: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    mechanisms: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    isolation_n: int = 0


async def run(isolation_n: int = 1000) -> SemanticsResult:
    result = SemanticsResult(isolation_n=isolation_n)
    for build in ADAPTERS:
        try:
            adapter = build()
        except Unavailable as exc:
            result.skipped[getattr(build, "__name__", "adapter")] = str(exc)
            continue
        result.mechanisms[adapter.name] = adapter.start_mechanism
        row: dict[str, Outcome] = {}
        for label, check in CHECKS.items():
            try:
                row[label] = await (
                    isolation(adapter, isolation_n) if check is isolation else check(adapter)
                )
            except Exception as exc:
                row[label] = Outcome(False, f"request failed: {type(exc).__name__}: {exc}"[:120])
        result.rows[adapter.name] = row
    return result
