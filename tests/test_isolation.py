"""Isolation under load: thousands of concurrent requests, each checking that
``g`` and ``request`` are its own at every step. One mismatch is a leak of
one user's state into another's request."""

from __future__ import annotations

import random
import threading
import time
import typing as t
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.to_thread
import httpx
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from fastapi_flaskcompat import (
    FlaskCompat,
    copy_current_app_context,
    copy_current_request_context,
    g,
    has_app_context,
    has_request_context,
    request,
)

pytestmark = pytest.mark.anyio

N_REQUESTS = 2_000

# Steps every request must pass through; counted so a skipped step cannot hide.
STEPS = (
    "before_sync",
    "before_async",
    "dep_sync",
    "dep_yield_enter",
    "dep_yield_exit",
    "endpoint",
    "task",
    "thread",
    "background",
    "after_sync",
    "after_async",
    "teardown",
    "teardown_app",
)


class Checker:
    """Collects every step's observation; mismatches are recorded, never raised."""

    def __init__(self) -> None:
        self.mismatches: list[tuple[str, str, t.Any]] = []
        self.steps: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def enter(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def leave(self) -> None:
        self.in_flight -= 1

    def check(self, step: str) -> str:
        rid = request.headers.get("x-rid")
        view_args = request.view_args or {}
        observed = (rid, request.args.get("rid"), g.get("rid"), view_args.get("rid"))
        with self.lock:
            self.steps[step] += 1
            if rid is None or observed != (rid, rid, rid, rid) or request.path.split("/")[2] != rid:
                self.mismatches.append((step, str(rid), observed))
        return str(rid)


async def jitter() -> None:
    await anyio.sleep(random.random() * 0.002)


def build_app(checker: Checker) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)
    check = checker.check

    @compat.before_request
    def before_sync() -> None:
        g.rid = request.headers["x-rid"]
        check("before_sync")

    @compat.before_request
    async def before_async() -> None:
        checker.enter()
        await jitter()
        check("before_async")

    @compat.after_request
    async def after_async(response: t.Any) -> t.Any:
        await jitter()
        check("after_async")
        return response

    @compat.after_request
    def after_sync(response: t.Any) -> t.Any:
        response.headers["x-g-rid"] = check("after_sync")
        return response

    @compat.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        await jitter()
        check("teardown")
        checker.leave()

    @compat.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        check("teardown_app")

    def dep_sync() -> str:
        rid = check("dep_sync")
        g.trail = [rid]
        return rid

    async def dep_yield() -> AsyncIterator[None]:
        await jitter()
        check("dep_yield_enter")
        yield
        await jitter()
        check("dep_yield_exit")

    async def in_task(results: list[str]) -> None:
        await jitter()
        results.append(check("task"))

    def in_thread(results: list[str]) -> None:
        time.sleep(random.random() * 0.0005)
        results.append(check("thread"))

    async def background() -> None:
        await jitter()
        check("background")

    def background_sync() -> None:
        check("background")

    async def fan_out() -> list[str]:
        results: list[str] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(in_task, results)
            tg.start_soon(
                anyio.to_thread.run_sync,
                copy_current_app_context(copy_current_request_context(in_thread)),
                results,
            )
        return results

    deps = [Depends(dep_sync), Depends(dep_yield)]

    @app.get("/r/{rid}", dependencies=deps)
    async def async_view(rid: str, tasks: BackgroundTasks) -> dict[str, t.Any]:
        await jitter()
        check("endpoint")
        tasks.add_task(background)
        results = await fan_out()
        g.trail.append(check("endpoint"))
        return {"rid": rid, "g": g.rid, "trail": g.trail, "children": results}

    @app.get("/r/{rid}/sync", dependencies=deps)
    def sync_view(rid: str, tasks: BackgroundTasks) -> dict[str, t.Any]:
        # Threadpool endpoint; its child work goes through the loop and back.
        check("endpoint")
        tasks.add_task(background_sync)
        # Holding a worker thread: no nested to_thread here (it could starve the pool).
        results: list[str] = []
        anyio.from_thread.run(in_task, results)
        worker = threading.Thread(
            target=copy_current_app_context(copy_current_request_context(in_thread)),
            args=(results,),
        )
        worker.start()
        worker.join()
        g.trail.append(check("endpoint"))
        return {"rid": rid, "g": g.rid, "trail": g.trail, "children": results}

    @app.get("/r/{rid}/stream", dependencies=deps)
    async def stream_view(rid: str) -> StreamingResponse:
        check("endpoint")
        results = await fan_out()
        g.trail.append(check("endpoint"))

        async def chunks() -> AsyncIterator[str]:
            for i in range(2):
                await jitter()
                yield f"{check('endpoint')}:{i}:{','.join(results)};"

        def sync_chunks() -> Iterator[str]:
            yield f"{check('endpoint')}:{','.join(results)}"

        gen: t.Any = chunks() if int(rid) % 2 else sync_chunks()
        return StreamingResponse(
            gen, media_type="text/plain", background=BackgroundTask(background)
        )

    return app


async def drive(app: FastAPI, n: int) -> tuple[list[str], int]:
    """Fire ``n`` concurrent requests; return client-side mismatches and the count done."""
    errors: list[str] = []
    done = 0
    transport = httpx.ASGITransport(app=app)
    paths = ["", "/sync", "/stream"]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def one(i: int) -> None:
            nonlocal done
            rid = str(i)
            path = f"/r/{rid}{paths[i % 3]}"
            await anyio.sleep(random.random() * 0.001)
            r = await client.get(path, params={"rid": rid}, headers={"x-rid": rid})
            # ASGITransport ran the app in this very task: a missing reset shows here.
            if has_request_context() or has_app_context():
                errors.append(f"{rid}: context left set in the caller's task")
            if r.status_code != 200 or r.headers.get("x-g-rid") != rid:
                errors.append(f"{rid}: {r.status_code} {r.headers.get('x-g-rid')}")
            elif i % 3 != 2:
                body = r.json()
                if body != {"rid": rid, "g": rid, "trail": [rid, rid], "children": [rid, rid]}:
                    errors.append(f"{rid}: body {body}")
            elif not r.text.startswith(rid):
                errors.append(f"{rid}: stream {r.text!r}")
            done += 1

        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(one, i)
    return errors, done


async def test_concurrent_requests_never_see_each_other() -> None:
    checker = Checker()
    app = build_app(checker)
    with anyio.fail_after(120):  # a starved threadpool fails, never hangs
        errors, done = await drive(app, N_REQUESTS)

    assert done == N_REQUESTS
    assert errors == []
    assert checker.mismatches == []
    # Every step ran for every request (endpoint several times), so none was skipped.
    for step in STEPS:
        assert checker.steps[step] >= N_REQUESTS, (step, checker.steps[step])
    assert not has_request_context() and not has_app_context()
    # Really concurrent: many requests were between before_request and teardown at once.
    assert checker.peak >= 100, checker.peak


async def test_checker_catches_a_crossed_request() -> None:
    """The checker is not blind: a request whose g holds another id is reported."""
    checker = Checker()
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def wrong() -> None:
        g.rid = "someone-else"

    @app.get("/r/{rid}")
    async def view(rid: str) -> str:
        return checker.check("endpoint")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        await client.get("/r/5", params={"rid": "5"}, headers={"x-rid": "5"})
    assert checker.mismatches == [("endpoint", "5", ("5", "5", "someone-else", "5"))]


async def test_a_missing_reset_would_show_in_the_callers_task() -> None:
    """ASGITransport runs the app in the caller's task, so the after-request
    ``has_request_context()`` check above does catch a middleware that forgets
    to reset its ContextVar."""
    from fastapi_flaskcompat.globals import _cv_app

    app = FastAPI()
    compat = FlaskCompat(app)

    async def leaky(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        leaked = compat.test_request_context("/leak")
        leaked.g = compat.app_ctx_globals_class()  # what a push gives it
        _cv_app.set(leaked)  # never reset
        await app(scope, receive, send)

    seen: list[bool] = []

    async def caller(target: t.Any) -> None:
        transport = httpx.ASGITransport(app=target)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/")
        seen.append(has_request_context())

    # In child tasks, so the deliberate leak dies with its task.
    async with anyio.create_task_group() as tg:
        tg.start_soon(caller, app)
    async with anyio.create_task_group() as tg:
        tg.start_soon(caller, leaky)
    assert seen == [False, True]
    assert not has_request_context()
