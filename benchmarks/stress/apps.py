"""The apps the servers load (``--factory`` entry points), one per check.

Each factory builds a fresh FastAPI app with ``FlaskCompat`` (or its bare
FastAPI / ``flask.Flask`` counterpart) using only the library's public API,
as a ported service would. Events the client cannot see (teardown, code
after a response) go to the run's journal (``journal.write``).
"""

import json
import threading
import time
import typing as t
from collections.abc import Iterator

import anyio
import anyio.to_thread
from fastapi import BackgroundTasks, Body, Depends, FastAPI, Header
from fastapi.responses import PlainTextResponse, StreamingResponse

from fastapi_flaskcompat import (
    FlaskCompat,
    abort,
    copy_current_app_context,
    copy_current_request_context,
    g,
    request,
    stream_with_context,
)

from . import journal

# -- shutdown: sync views still running when the server is told to stop ------


def shutdown_app() -> FastAPI:
    """``GET /sleep?ms=&rid=``: a sync view; teardown must run once, after it ended."""
    app = FastAPI()
    compat = FlaskCompat(app)
    ended: set[str] = set()
    lock = threading.Lock()

    @compat.before_request
    def load_user() -> None:
        g.rid = request.args.get("rid", "-")

    @compat.teardown_request
    def close(exc: BaseException | None) -> None:
        rid = g.get("rid", "-")
        with lock:
            after = rid in ended
        journal.write("teardown", rid, "after-view" if after else "view-still-running")

    @app.get("/sleep")
    def sleep(ms: int = 1000) -> PlainTextResponse:
        journal.write("view-start", g.rid)
        time.sleep(ms / 1000)
        with lock:
            ended.add(g.rid)
        journal.write("view-end", g.rid)
        return PlainTextResponse(g.rid)

    return app


# -- slow clients: bodies that never finish arriving --------------------------


def slow_client_app() -> FastAPI:
    """A plain sync hook, a sync view reading the body, and ``GET /ok``."""
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def load_user() -> None:  # any plain (threadpool) hook
        g.user = request.headers.get("x-user", "anon")

    @app.post("/upload")
    def upload() -> dict[str, int]:
        return {"size": len(request.get_data())}

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


def slow_client_bare_app() -> FastAPI:
    """The same service in bare FastAPI: FastAPI receives the body on the loop."""
    app = FastAPI()

    @app.post("/upload")
    def upload(
        body: t.Annotated[bytes, Body(media_type="application/octet-stream")],
    ) -> dict[str, int]:
        return {"size": len(body)}

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


# -- isolation: every layer echoes the request's own id ------------------------
#
# A request carries its id three ways (``X-Rid`` header, ``?rid=`` and the path);
# each layer reads it back through ``g`` and ``request`` and echoes it, or a
# ``MISMATCH`` naming what it saw. The driver checks every echo.


#: What teardown records for a request that ended before before_request ran.
EARLY = "ended-before-before_request"


def echo(layer: str) -> str:
    """What a legacy helper sees of the current request, as one token."""
    header = request.headers.get("x-rid")
    if header is None:  # not the driver's (the readiness probe)
        return "-"
    seen = (header, request.args.get("rid"), g.get("rid"), request.path.rsplit("/", 1)[-1])
    if seen != (header,) * 4:
        journal.write("mismatch", header, f"{layer} saw {seen}")
        return f"MISMATCH:{layer}:{seen}"
    return header


def isolation_app() -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def before_sync() -> None:
        if list(g):
            journal.write("mismatch", request.headers.get("x-rid"), f"g not fresh: {list(g)}")
        g.rid = request.headers.get("x-rid")
        g.layers = {"before_sync": echo("before_sync")}

    @compat.before_request
    async def before_async() -> None:
        await anyio.sleep(0)  # let other requests run in between
        g.layers["before_async"] = echo("before_async")

    @compat.after_request
    def after_sync(response: t.Any) -> t.Any:
        response.headers["X-After-Sync"] = echo("after_sync")
        return response

    @compat.after_request
    async def after_async(response: t.Any) -> t.Any:
        await anyio.sleep(0)
        response.headers["X-After-Async"] = echo("after_async")
        return response

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        if "rid" not in g:
            # The request ended before before_request ran (the client left
            # mid-body): no layer to echo, attributed by its header.
            journal.write("teardown", request.headers.get("x-rid"), EARLY)
            return
        journal.write("teardown", g.get("rid"), echo("teardown"))

    @compat.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        journal.write("teardown-app", g.get("rid") or request.headers.get("x-rid"))

    def dep_sync() -> str:
        return echo("dep_sync")

    async def dep_async() -> str:
        await anyio.sleep(0)
        return echo("dep_async")

    def dep_yield() -> Iterator[str]:
        yield echo("dep_yield")
        echo("dep_yield_exit")  # a mismatch goes to the journal

    def background() -> None:
        journal.write("background", g.get("rid"), echo("background"))

    def in_thread() -> dict[str, str]:
        out: dict[str, str] = {}

        @copy_current_app_context
        @copy_current_request_context
        def work() -> None:
            out["thread"] = echo("thread")

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(5)
        return out

    async def all_deps(
        s: t.Annotated[str, Depends(dep_sync)],
        a: t.Annotated[str, Depends(dep_async)],
        y: t.Annotated[str, Depends(dep_yield)],
    ) -> dict[str, str]:
        return {"dep_sync": s, "dep_async": a, "dep_yield": y}

    Deps = t.Annotated[dict[str, str], Depends(all_deps)]

    @app.get("/iso/async/{rid}")
    async def iso_async(rid: str, deps: Deps, tasks: BackgroundTasks) -> dict[str, t.Any]:
        tasks.add_task(background)
        await anyio.sleep(0)
        layers = {**g.layers, **deps, "endpoint": echo("endpoint")}
        layers.update(await anyio.to_thread.run_sync(in_thread))
        return layers

    @app.get("/iso/sync/{rid}")
    def iso_sync(rid: str, deps: Deps, tasks: BackgroundTasks) -> dict[str, t.Any]:
        tasks.add_task(background)
        return {**g.layers, **deps, "endpoint": echo("endpoint"), **in_thread()}

    def body_rid() -> str:  # a legacy helper reading the body synchronously
        data = request.get_json(silent=True) if request.is_json else None
        rid = data.get("rid") if isinstance(data, dict) else request.get_data().decode()
        return str(rid) if rid == request.headers.get("x-rid") else f"MISMATCH:body:{rid}"

    @app.post("/iso/body-async/{rid}")
    async def iso_body_async(rid: str, deps: Deps, tasks: BackgroundTasks) -> dict[str, t.Any]:
        tasks.add_task(background)
        return {**g.layers, **deps, "endpoint": echo("endpoint"), "body": body_rid()}

    @app.post("/iso/body-sync/{rid}")
    def iso_body_sync(rid: str, deps: Deps, tasks: BackgroundTasks) -> dict[str, t.Any]:
        tasks.add_task(background)
        return {**g.layers, **deps, "endpoint": echo("endpoint"), "body": body_rid()}

    @app.get("/iso/stream/{rid}")
    async def iso_stream(rid: str, deps: Deps) -> StreamingResponse:
        head = {**g.layers, **deps, "endpoint": echo("endpoint")}

        @stream_with_context
        async def chunks() -> t.AsyncIterator[bytes]:
            yield json.dumps(head).encode() + b"\n"
            for i in range(3):
                await anyio.sleep(0)
                yield f"stream{i} {echo('stream')}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/iso/sync-stream/{rid}")
    def iso_sync_stream(rid: str, deps: Deps) -> StreamingResponse:
        head = {**g.layers, **deps, "endpoint": echo("endpoint")}

        @stream_with_context
        def chunks() -> Iterator[bytes]:  # Starlette iterates it in the threadpool
            yield json.dumps(head).encode() + b"\n"
            for i in range(3):
                yield f"stream{i} {echo('stream')}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


# -- the fault matrix: an exception at one stage, chosen by ``X-Fault`` --------


class Boom(Exception):
    """The fault injected at a stage."""


#: Stages flask.Flask has too (the reference there); the others compare with bare FastAPI.
FLASK_STAGES = (
    "none",
    "before_request",
    "abort_before_request",
    "endpoint_sync",
    "abort_endpoint",
    "after_request",
    "mid_stream",
    "teardown",
)
FASTAPI_STAGES = ("dep_enter", "dep_exit", "endpoint_async", "background")


def _fault() -> str:
    return request.headers.get("x-fault", "none")


def fault_app() -> FastAPI:
    """``/fault/{rid}`` (async endpoint), ``/fault-sync/{rid}``, ``/fault-stream/{rid}``,
    plus the disconnect targets ``/upload/{rid}``, ``/slow-stream/{rid}``, ``/sleep/{rid}``."""
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def before() -> None:
        rid = request.headers.get("x-rid")
        g.at_start = ",".join(sorted(g))  # must be empty: a fresh g per request
        g.rid = rid
        if g.at_start:
            journal.write("stale-g", rid, g.at_start)
        if _fault() == "before_request":
            raise Boom("before_request")
        if _fault() == "abort_before_request":
            abort(401)

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        if _fault() == "after_request":
            raise Boom("after_request")
        response.headers["X-G-At-Start"] = g.get("at_start", "?")
        return response

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        # By header: a request can end before before_request ran (client gone mid-body).
        rid = request.headers.get("x-rid")
        journal.write("teardown", rid, type(exc).__name__ if exc else "None")
        if _fault() == "teardown":
            raise Boom("teardown")

    def dep() -> Iterator[str]:
        if _fault() == "dep_enter":
            raise Boom("dep_enter")
        yield "dep"
        if _fault() == "dep_exit":
            raise Boom("dep_exit")

    def background() -> None:
        journal.write("background", g.get("rid"))
        if _fault() == "background":
            raise Boom("background")

    def view() -> str:
        if _fault().startswith("endpoint"):
            raise Boom("endpoint")
        if _fault() == "abort_endpoint":
            abort(403)
        return "ok"

    Dep = t.Annotated[str, Depends(dep)]

    @app.get("/fault/{rid}")
    async def fault_async(rid: str, d: Dep, tasks: BackgroundTasks) -> PlainTextResponse:
        tasks.add_task(background)
        return PlainTextResponse(view())

    @app.get("/fault-sync/{rid}")
    def fault_sync(rid: str, d: Dep, tasks: BackgroundTasks) -> PlainTextResponse:
        tasks.add_task(background)
        return PlainTextResponse(view())

    @app.get("/fault-stream/{rid}")
    def fault_stream(rid: str) -> StreamingResponse:
        @stream_with_context
        def chunks() -> Iterator[bytes]:
            yield b"first "
            if _fault() == "mid_stream":
                raise Boom("mid_stream")
            yield b"last"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.post("/upload/{rid}")
    def upload(rid: str) -> dict[str, int]:
        data = request.get_json() if request.is_json else request.get_data()
        return {"size": len(data)}

    @app.get("/slow-stream/{rid}")
    async def slow_stream(rid: str) -> StreamingResponse:
        @stream_with_context
        async def chunks() -> t.AsyncIterator[bytes]:
            for i in range(200):
                yield f"{g.rid} {i}\n".encode()
                await anyio.sleep(0.05)

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/sleep/{rid}")
    def sleep(rid: str, ms: int = 300) -> PlainTextResponse:
        journal.write("view-start", g.rid)
        time.sleep(ms / 1000)
        journal.write("view-end", g.rid)
        return PlainTextResponse("slept")

    return app


def fault_bare_app() -> FastAPI:
    """The FastAPI-only stages in bare FastAPI: what FastAPI answers there."""
    app = FastAPI()

    def dep(x_fault: t.Annotated[str, Header()] = "none") -> Iterator[str]:
        if x_fault == "dep_enter":
            raise Boom("dep_enter")
        yield "dep"
        if x_fault == "dep_exit":
            raise Boom("dep_exit")

    def background(x_fault: str) -> None:
        if x_fault == "background":
            raise Boom("background")

    Dep = t.Annotated[str, Depends(dep)]

    @app.get("/fault/{rid}")
    async def fault_async(
        rid: str, d: Dep, tasks: BackgroundTasks, x_fault: t.Annotated[str, Header()] = "none"
    ) -> PlainTextResponse:
        tasks.add_task(background, x_fault)
        if x_fault.startswith("endpoint"):
            raise Boom("endpoint")
        return PlainTextResponse("ok")

    return app


def fault_flask_app() -> t.Any:
    """The Flask stages on a real ``flask.Flask`` (served by Werkzeug)."""
    import flask

    app = flask.Flask("faults")

    def fault() -> str:
        return flask.request.headers.get("x-fault", "none")

    @app.before_request
    def before() -> None:
        flask.g.rid = flask.request.headers.get("x-rid")
        if fault() == "before_request":
            raise Boom("before_request")
        if fault() == "abort_before_request":
            flask.abort(401)

    @app.after_request
    def after(response: flask.Response) -> flask.Response:
        if fault() == "after_request":
            raise Boom("after_request")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        rid = flask.request.headers.get("x-rid")
        journal.write("teardown", rid, type(exc).__name__ if exc else "None")
        if fault() == "teardown":
            raise Boom("teardown")

    @app.route("/fault-sync/<rid>")
    def fault_sync(rid: str) -> str:
        if fault().startswith("endpoint"):
            raise Boom("endpoint")
        if fault() == "abort_endpoint":
            flask.abort(403)
        return "ok"

    @app.route("/fault-stream/<rid>")
    def fault_stream(rid: str) -> t.Any:
        @flask.stream_with_context
        def chunks() -> Iterator[bytes]:
            yield b"first "
            if fault() == "mid_stream":
                raise Boom("mid_stream")
            yield b"last"

        return flask.Response(chunks(), mimetype="text/plain")

    return app


# -- bad input: a legacy helper reading everything, on Flask and on FastAPI ----

BAD_INPUT_CONFIG = {"MAX_CONTENT_LENGTH": 1024 * 1024}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def legacy_summary(req: t.Any) -> dict[str, t.Any]:
    """What a legacy helper reads of a request (``flask.request`` or ours)."""
    summary: dict[str, t.Any] = {
        "args": len(req.args.to_dict(flat=False)),
        "host": req.host,
        "url": req.url,
        "full_path": req.full_path,
        "cookies": len(req.cookies),
        "auth": type(req.authorization).__name__,
        "accept": req.accept_mimetypes.best,
        "ua": req.user_agent.string[:20],
        "route": req.access_route,
        "headers": len(list(req.headers.items())),
    }
    if req.is_json:
        summary["json"] = type(req.get_json()).__name__  # invalid JSON: 400, as Flask
    if req.mimetype in _FORM_TYPES:
        summary["form"] = len(req.form)
        summary["files"] = len(req.files)
    return summary


def badinput_app() -> FastAPI:
    app = FastAPI()
    FlaskCompat(app, config=BAD_INPUT_CONFIG)

    @app.api_route("/legacy/{rest:path}", methods=["GET", "POST"])
    def legacy_sync(rest: str) -> dict[str, t.Any]:
        return legacy_summary(request)

    @app.api_route("/legacy-async/{rest:path}", methods=["GET", "POST"])
    async def legacy_async(rest: str) -> dict[str, t.Any]:
        return legacy_summary(request)  # on the loop: JSON and forms are preloaded

    return app


def badinput_flask_app() -> t.Any:
    import flask

    app = flask.Flask("badinput")
    app.config.update(BAD_INPUT_CONFIG)

    @app.route("/legacy/<path:rest>", methods=["GET", "POST"])
    def legacy(rest: str) -> t.Any:
        return legacy_summary(flask.request)

    return app


# -- memory: hooks, g and body reads, over and over -----------------------------


def memory_app() -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def load_user() -> None:
        g.user = {"id": request.headers.get("x-rid"), "roles": ["a", "b"]}

    @compat.before_request
    async def load_tenant() -> None:
        g.tenant = request.args.get("tenant", "t0")

    @compat.after_request
    def stamp(response: t.Any) -> t.Any:
        response.headers["X-User"] = str(g.user["id"])
        return response

    @compat.teardown_request
    def close(exc: BaseException | None) -> None:
        g.pop("user", None)

    @app.post("/json")
    async def read_json() -> dict[str, t.Any]:
        return {"n": len(request.get_json()["items"]), "tenant": g.tenant}

    @app.post("/data")
    def read_data() -> dict[str, t.Any]:
        return {"n": len(request.get_data()), "user": g.user["id"]}

    @app.get("/args")
    def read_args() -> dict[str, t.Any]:
        return {"args": request.args.to_dict(), "user": g.user["id"]}

    return app
