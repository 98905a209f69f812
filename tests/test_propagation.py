"""A ``g`` write is seen on every path a FastAPI request takes: dependencies,
threadpool endpoints, yield-dependency exits, background tasks, streaming,
tasks and threads, exception handlers, and every hook phase."""

from __future__ import annotations

import asyncio
import threading
import typing as t
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import Request as StarletteRequest
from starlette.testclient import TestClient
from support import client_for

from fastapi_flaskcompat import (
    FlaskCompat,
    abort,
    after_this_request,
    copy_current_app_context,
    copy_current_request_context,
    g,
    has_app_context,
    has_request_context,
    nonblocking,
    request,
    stream_with_context,
)

pytestmark = pytest.mark.anyio


def who() -> str:
    """A legacy helper: reads request-local state, takes no argument."""
    return f"{g.user}@{request.path}?{request.args.get('q', '')}"


def make_app() -> tuple[FastAPI, FlaskCompat, list[t.Any]]:
    """App whose hooks record what they see of ``g`` into ``seen``."""
    app = FastAPI()
    compat = FlaskCompat(app)
    seen: list[t.Any] = []

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        seen.append(("after_request", g.get("user"), response.status_code))
        response.headers["x-user"] = str(g.get("user"))
        return response

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", g.get("user"), exc))

    return app, compat, seen


# -- dependencies and endpoints ------------------------------------------------


async def test_sync_dependency_to_async_endpoint() -> None:
    app, _, seen = make_app()

    def load_user() -> None:
        # Runs in the threadpool with a copied context: only a shared object survives.
        g.user = request.headers["x-user"]

    @app.get("/a", dependencies=[Depends(load_user)])
    async def view() -> str:
        return who()

    async with client_for(app) as client:
        r = await client.get("/a", params={"q": "1"}, headers={"x-user": "ann"})
    assert r.json() == "ann@/a?1"
    assert r.headers["x-user"] == "ann"
    assert seen == [("after_request", "ann", 200), ("teardown", "ann", None)]


async def test_async_dependency_to_sync_endpoint() -> None:
    app, _, seen = make_app()
    loop_thread = threading.get_ident()
    threads: list[int] = []

    async def load_user() -> None:
        g.user = request.headers["x-user"]

    @app.get("/s", dependencies=[Depends(load_user)])
    def view() -> str:
        threads.append(threading.get_ident())
        return who()

    async with client_for(app) as client:
        r = await client.get("/s", params={"q": "2"}, headers={"x-user": "bob"})
    assert r.json() == "bob@/s?2"
    assert threads and threads[0] != loop_thread  # really ran in the threadpool
    assert seen == [("after_request", "bob", 200), ("teardown", "bob", None)]


async def test_sync_endpoint_write_reaches_after_request_and_teardown() -> None:
    app, compat, seen = make_app()
    appctx_seen: list[t.Any] = []

    @compat.teardown_appcontext
    def td_app(exc: BaseException | None) -> None:
        appctx_seen.append(g.get("user"))

    @app.get("/w")
    def view() -> str:
        g.user = "set-in-sync-view"
        return "ok"

    async with client_for(app) as client:
        r = await client.get("/w")
    assert r.headers["x-user"] == "set-in-sync-view"
    assert seen == [
        ("after_request", "set-in-sync-view", 200),
        ("teardown", "set-in-sync-view", None),
    ]
    assert appctx_seen == ["set-in-sync-view"]


async def test_dependency_chain_sync_async_sync() -> None:
    app, _, _ = make_app()

    def a() -> None:
        g.trail = ["a"]

    async def b(_: None = Depends(a)) -> None:
        g.trail.append("b")

    def c(_: None = Depends(b)) -> None:
        g.trail = [*g.trail, "c"]  # rebinding in a worker thread, too

    @app.get("/chain", dependencies=[Depends(c)])
    def view() -> list[str]:
        return list(g.trail)

    async with client_for(app) as client:
        assert (await client.get("/chain")).json() == ["a", "b", "c"]


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_yield_dependency_exit_code_sees_endpoint_writes(flavour: str) -> None:
    app, _, seen = make_app()
    exits: list[t.Any] = []

    def sync_dep() -> Iterator[str]:
        g.user = "yield-user"
        yield "x"
        exits.append((g.get("from_view"), request.path, threading.get_ident()))

    async def async_dep() -> AsyncIterator[str]:
        g.user = "yield-user"
        yield "x"
        exits.append((g.get("from_view"), request.path, threading.get_ident()))

    dep = sync_dep if flavour == "sync" else async_dep

    @app.get("/y")
    async def view(_: str = Depends(dep)) -> str:
        g.from_view = "view-wrote-this"
        return who()

    async with client_for(app) as client:
        r = await client.get("/y")
    assert r.json() == "yield-user@/y?"
    assert len(exits) == 1
    assert exits[0][:2] == ("view-wrote-this", "/y")
    assert seen[-1] == ("teardown", "yield-user", None)


async def test_yield_dependency_exit_sees_g_on_error() -> None:
    app, _, seen = make_app()
    exits: list[t.Any] = []

    async def dep() -> AsyncIterator[None]:
        g.user = "u"
        try:
            yield
        except ValueError as exc:
            exits.append((g.user, str(exc)))
            raise

    @app.get("/boom", dependencies=[Depends(dep)])
    async def view() -> None:
        raise ValueError("boom")

    async with client_for(app) as client:
        r = await client.get("/boom")
    assert r.status_code == 500
    assert exits == [("u", "boom")]
    assert seen[-1][0:2] == ("teardown", "u")
    assert isinstance(seen[-1][2], ValueError)


async def test_after_this_request_from_sync_dependency_and_task() -> None:
    app, _, seen = make_app()

    def add_header(name: str) -> t.Any:
        def hook(response: t.Any) -> t.Any:
            response.headers[name] = str(g.user)
            return response

        return hook

    def dep() -> None:
        g.user = "atr"
        after_this_request(add_header("x-from-dep"))

    @app.get("/atr", dependencies=[Depends(dep)])
    async def view() -> str:
        async def child() -> None:
            after_this_request(add_header("x-from-task"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
        return "ok"

    async with client_for(app) as client:
        r = await client.get("/atr")
    assert (r.headers["x-from-dep"], r.headers["x-from-task"]) == ("atr", "atr")
    assert seen[0] == ("after_request", "atr", 200)


# -- after the response: background tasks, streaming ---------------------------


async def test_background_tasks_sync_and_async() -> None:
    app, _, seen = make_app()
    ran: list[t.Any] = []

    def sync_task(tag: str) -> None:
        ran.append((tag, g.user, request.args["q"], threading.get_ident()))

    async def async_task(tag: str) -> None:
        await anyio.sleep(0)
        ran.append((tag, g.user, request.args["q"], threading.get_ident()))

    @app.get("/bg")
    async def view(tasks: BackgroundTasks) -> str:
        g.user = "bg-user"
        tasks.add_task(sync_task, "sync")
        tasks.add_task(async_task, "async")
        return "queued"

    loop_thread = threading.get_ident()
    async with client_for(app) as client:
        r = await client.get("/bg", params={"q": "9"})
    assert r.json() == "queued"
    assert [x[:3] for x in ran] == [("sync", "bg-user", "9"), ("async", "bg-user", "9")]
    assert ran[0][3] != loop_thread and ran[1][3] == loop_thread
    # Background tasks run before the contexts are torn down.
    assert seen == [("after_request", "bg-user", 200), ("teardown", "bg-user", None)]


@pytest.mark.parametrize("wrap", [False, True], ids=["plain", "stream_with_context"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_streaming_response_generators(flavour: str, wrap: bool) -> None:
    app, _, seen = make_app()
    closed: list[t.Any] = []

    def sync_gen() -> Iterator[str]:
        try:
            for i in range(3):
                yield f"{i}:{who()};"
        finally:
            closed.append(g.get("user"))

    async def async_gen() -> AsyncIterator[str]:
        try:
            for i in range(3):
                await anyio.sleep(0)
                yield f"{i}:{who()};"
        finally:
            closed.append(g.get("user"))

    @app.get("/stream")
    async def view() -> StreamingResponse:
        g.user = "streamer"
        gen: t.Any = sync_gen() if flavour == "sync" else async_gen()
        if wrap:
            gen = stream_with_context(gen)
        return StreamingResponse(gen, media_type="text/plain")

    async with client_for(app) as client:
        r = await client.get("/stream", params={"q": "s"})
    assert r.text == "0:streamer@/stream?s;1:streamer@/stream?s;2:streamer@/stream?s;"
    assert r.headers["x-user"] == "streamer"  # after_request ran on the stream's start
    assert closed == ["streamer"]
    # Teardown waits for the last chunk.
    assert seen == [("after_request", "streamer", 200), ("teardown", "streamer", None)]


async def test_stream_with_context_generator_iterated_elsewhere() -> None:
    """A wrapped generator keeps the request even when iterated after the request."""
    app, _, _ = make_app()
    kept: list[t.Any] = []

    @app.get("/keep")
    async def view() -> str:
        g.user = "kept"

        def gen() -> Iterator[str]:
            yield who()

        kept.append(stream_with_context(gen()))
        return "ok"

    async with client_for(app) as client:
        await client.get("/keep", params={"q": "later"})
    assert not has_request_context()
    assert list(kept.pop()) == ["kept@/keep?later"]
    assert not has_request_context()


# -- tasks inside a view ---------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # asyncio.create_task is asyncio's own
async def test_asyncio_create_task_in_view() -> None:
    app, _, seen = make_app()

    async def child() -> str:
        await asyncio.sleep(0)
        g.child_wrote = True
        return who()

    @app.get("/task")
    async def view() -> list[t.Any]:
        g.user = "tasker"
        result = await asyncio.create_task(child())
        return [result, g.get("child_wrote")]

    async with client_for(app) as client:
        assert (await client.get("/task")).json() == ["tasker@/task?", True]
    assert seen[-1] == ("teardown", "tasker", None)


async def test_anyio_task_group_in_view() -> None:
    app, _, _ = make_app()

    @app.get("/tg")
    async def view() -> list[str]:
        g.user = "grouped"
        results: list[str] = []

        async def child(i: int) -> None:
            await anyio.sleep(0.001 * (3 - i))
            results.append(f"{i}:{who()}")
            setattr(g, f"child{i}", i)

        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(child, i)
        assert (g.child0, g.child1, g.child2) == (0, 1, 2)  # children's writes came back
        return sorted(results)

    async with client_for(app) as client:
        r = await client.get("/tg", params={"q": "x"})
    assert r.json() == [f"{i}:grouped@/tg?x" for i in range(3)]


async def test_to_thread_run_sync_in_view() -> None:
    app, _, _ = make_app()

    @app.get("/tt")
    async def view() -> str:
        g.user = "threaded"

        def work() -> str:
            g.from_thread = "yes"
            return who()

        result = await anyio.to_thread.run_sync(work)
        return f"{result}|{g.from_thread}"

    async with client_for(app) as client:
        assert (await client.get("/tt")).json() == "threaded@/tt?|yes"


# -- plain threads and executors: Flask's copy_current_* helpers ----------------


async def test_thread_with_copy_current_request_context() -> None:
    app, _, seen = make_app()
    out: dict[str, t.Any] = {}

    @app.get("/t")
    def view() -> str:
        g.user = "main"

        @copy_current_request_context
        def in_thread() -> None:
            # The request travels; g belongs to the app context, a fresh one here (Flask).
            out["request"] = (request.path, request.args["q"])
            out["g_user"] = g.get("user")

        def bare() -> None:
            out["bare"] = (has_request_context(), has_app_context())

        for target in (in_thread, bare):
            th = threading.Thread(target=target)
            th.start()
            th.join()
        return "ok"

    async with client_for(app) as client:
        await client.get("/t", params={"q": "thr"})
    assert out == {"request": ("/t", "thr"), "g_user": None, "bare": (False, False)}
    # The main request's teardown still saw its own g.
    assert ("teardown", "main", None) in seen


async def test_thread_with_copy_current_app_context_carries_g() -> None:
    app, _, seen = make_app()
    out: dict[str, t.Any] = {}

    @app.get("/t")
    async def view() -> str:
        g.user = "main"

        @copy_current_app_context
        def app_only() -> None:
            out["app_only"] = (g.user, has_request_context())
            g.thread_wrote = "hello"

        @copy_current_app_context
        @copy_current_request_context
        def both() -> None:
            out["both"] = (g.user, request.args["q"])

        for target in (app_only, both):
            th = threading.Thread(target=target)
            th.start()
            th.join()
        out["back"] = g.thread_wrote
        return "ok"

    async with client_for(app) as client:
        await client.get("/t", params={"q": "thr"})
    assert out == {"app_only": ("main", False), "both": ("main", "thr"), "back": "hello"}
    # A copied app context that shares g never tears the request down early.
    assert seen == [("after_request", "main", 200), ("teardown", "main", None)]


async def test_thread_pool_executor_with_copied_contexts() -> None:
    app, _, _ = make_app()

    @app.get("/pool")
    def view() -> list[t.Any]:
        g.user = "pooled"

        @copy_current_app_context
        @copy_current_request_context
        def job(i: int) -> str:
            return f"{i}:{who()}"

        @copy_current_request_context
        def request_only(i: int) -> tuple[str, bool]:
            return request.args["q"], "user" in g

        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = list(pool.map(job, range(4)))
            req = list(pool.map(request_only, range(2)))
        return [jobs, req]

    async with client_for(app) as client:
        r = await client.get("/pool", params={"q": "p"})
    jobs, req = r.json()
    assert jobs == [f"{i}:pooled@/pool?p" for i in range(4)]
    assert req == [["p", False], ["p", False]]


async def test_copied_async_function_in_a_task() -> None:
    app, _, _ = make_app()
    results: list[str] = []

    @app.get("/c")
    async def view() -> str:
        g.user = "async-copy"

        @copy_current_app_context
        @copy_current_request_context
        async def job() -> None:
            await anyio.sleep(0)
            results.append(who())

        async with anyio.create_task_group() as tg:
            tg.start_soon(job)
        return "ok"

    async with client_for(app) as client:
        await client.get("/c")
    assert results == ["async-copy@/c?"]


# -- errors: HTTPException, abort, custom handlers ------------------------------


class Teapot(Exception):
    pass


@pytest.mark.parametrize("where", ["endpoint", "dependency", "before_request"])
async def test_http_exception_response_runs_after_request(where: str) -> None:
    app, compat, seen = make_app()

    def raise_it() -> None:
        g.user = "denied"
        raise HTTPException(status_code=403, detail=who())

    if where == "before_request":
        compat.before_request(raise_it)

    deps = [Depends(raise_it)] if where == "dependency" else []

    @app.get("/x", dependencies=deps)
    async def view() -> str:
        raise_it()
        return "never"

    async with client_for(app) as client:
        r = await client.get("/x", params={"q": where})
    assert r.status_code == 403
    assert r.json() == {"detail": f"denied@/x?{where}"}
    assert r.headers["x-user"] == "denied"
    # Handled exceptions: teardown gets None, as in Flask.
    assert seen == [("after_request", "denied", 403), ("teardown", "denied", None)]


async def test_abort_from_sync_dependency() -> None:
    app, _, seen = make_app()

    def guard() -> None:
        g.user = "aborted"
        abort(401)

    @app.get("/a", dependencies=[Depends(guard)])
    async def view() -> str:
        return "never"

    async with client_for(app) as client:
        r = await client.get("/a")
    assert r.status_code == 401
    assert r.headers["x-user"] == "aborted"
    assert seen == [("after_request", "aborted", 401), ("teardown", "aborted", None)]


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_custom_exception_handler_sees_g(flavour: str) -> None:
    app, _, seen = make_app()

    def sync_handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return JSONResponse({"who": who(), "exc": str(exc)}, status_code=418)

    async def async_handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return sync_handler(req, exc)

    app.add_exception_handler(Teapot, sync_handler if flavour == "sync" else async_handler)

    def dep() -> None:
        g.user = "brewer"

    @app.get("/tea", dependencies=[Depends(dep)])
    def view() -> None:
        raise Teapot("short and stout")

    async with client_for(app) as client:
        r = await client.get("/tea", params={"q": "t"})
    assert r.status_code == 418
    assert r.json() == {"who": "brewer@/tea?t", "exc": "short and stout"}
    assert r.headers["x-user"] == "brewer"
    assert seen == [("after_request", "brewer", 418), ("teardown", "brewer", None)]


async def test_custom_exception_from_before_request_uses_app_handler() -> None:
    app, compat, seen = make_app()

    @compat.before_request
    async def check() -> None:
        g.user = "early"
        raise Teapot("from hook")

    @app.exception_handler(Teapot)
    async def handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return JSONResponse({"who": who()}, status_code=418)

    @app.get("/h")
    async def view() -> str:
        return "never"

    async with client_for(app) as client:
        r = await client.get("/h")
    assert (r.status_code, r.json()) == (418, {"who": "early@/h?"})
    assert seen == [("after_request", "early", 418), ("teardown", "early", None)]


# -- where hooks run: threadpool vs loop, one hop per phase ----------------------


async def test_hook_threads_sync_in_worker_nonblocking_and_async_on_loop() -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    record: dict[str, int] = {}

    @compat.before_request
    def sync_hook() -> None:
        record["sync"] = threading.get_ident()

    @compat.before_request
    @nonblocking
    def inline_hook() -> None:
        record["nonblocking"] = threading.get_ident()

    @compat.before_request
    async def async_hook() -> None:
        record["async"] = threading.get_ident()

    @compat.after_request
    def sync_after(response: t.Any) -> t.Any:
        record["sync_after"] = threading.get_ident()
        return response

    @compat.after_request
    async def async_after(response: t.Any) -> t.Any:
        record["async_after"] = threading.get_ident()
        return response

    @compat.teardown_request
    def sync_td(exc: BaseException | None) -> None:
        record["sync_teardown"] = threading.get_ident()

    @compat.teardown_request
    @nonblocking
    def inline_td(exc: BaseException | None) -> None:
        record["nonblocking_teardown"] = threading.get_ident()

    @app.get("/")
    async def view() -> None:
        record["endpoint"] = threading.get_ident()

    async with client_for(app) as client:
        await client.get("/")
    loop = record.pop("endpoint")
    assert loop == threading.get_ident()
    on_loop = {k for k, v in record.items() if v == loop}
    assert on_loop == {"nonblocking", "async", "async_after", "nonblocking_teardown"}
    assert {"sync", "sync_after", "sync_teardown"}.isdisjoint(on_loop)


async def test_sync_hooks_of_one_phase_share_one_threadpool_hop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    events: list[t.Any] = []
    real_run_sync = anyio.to_thread.run_sync

    async def counting_run_sync(func: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        events.append("hop")
        return await real_run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)

    def make(phase: str, i: int, arg: bool) -> t.Any:
        def hook(*a: t.Any) -> t.Any:
            events.append((phase, i, threading.get_ident()))
            return a[0] if phase == "after" else None

        return hook

    for i in range(3):
        compat.before_request(make("before", i, False))
        compat.after_request(make("after", i, True))
        compat.teardown_request(make("teardown", i, True))
    for i in range(2):
        compat.teardown_appcontext(make("teardown_app", i, True))

    @app.get("/")
    async def view() -> str:
        events.append("endpoint")
        return "ok"

    async with client_for(app) as client:
        assert (await client.get("/")).json() == "ok"

    shape = [e if isinstance(e, str) else (e[0], e[1]) for e in events]
    assert shape == [
        "hop",
        ("before", 0),
        ("before", 1),
        ("before", 2),
        "endpoint",
        "hop",
        ("after", 2),
        ("after", 1),
        ("after", 0),
        "hop",
        ("teardown", 2),
        ("teardown", 1),
        ("teardown", 0),
        "hop",
        ("teardown_app", 1),
        ("teardown_app", 0),
    ]
    for phase in ("before", "after", "teardown", "teardown_app"):
        idents = {e[2] for e in events if isinstance(e, tuple) and e[0] == phase}
        assert len(idents) == 1, phase
        assert threading.get_ident() not in idents


def test_propagation_through_testclient() -> None:
    """Same paths through Starlette's TestClient (its own portal and loop)."""
    app, _, seen = make_app()

    def dep() -> None:
        g.user = request.headers["x-user"]

    @app.get("/p", dependencies=[Depends(dep)])
    def view(tasks: BackgroundTasks) -> str:
        tasks.add_task(lambda: seen.append(("bg", g.user)))
        return who()

    with TestClient(app) as client:
        for name in ("ann", "bob"):
            r = client.get("/p", params={"q": name}, headers={"x-user": name})
            assert r.json() == f"{name}@/p?{name}"
            assert r.headers["x-user"] == name
    assert seen == [
        ("after_request", "ann", 200),
        ("bg", "ann"),
        ("teardown", "ann", None),
        ("after_request", "bob", 200),
        ("bg", "bob"),
        ("teardown", "bob", None),
    ]
