"""One pure ASGI middleware: lifespan untouched, websockets covered, and
contexts intact around BaseHTTPMiddleware / ``@app.middleware("http")``."""

from __future__ import annotations

import time
import typing as t
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import BackgroundTasks, Depends, FastAPI, WebSocket
from fastapi.responses import StreamingResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.testclient import TestClient
from support import client_for

from fastapi_flaskcompat import (
    FlaskCompat,
    g,
    has_app_context,
    has_request_context,
    request,
)
from fastapi_flaskcompat.middleware import FlaskCompatMiddleware

pytestmark = pytest.mark.anyio


def test_installs_exactly_one_pure_asgi_middleware() -> None:
    app = FastAPI()
    FlaskCompat(app)
    ours = [m for m in app.user_middleware if m.cls is FlaskCompatMiddleware]
    assert len(ours) == 1
    assert len(app.user_middleware) == 1
    assert not issubclass(FlaskCompatMiddleware, BaseHTTPMiddleware)
    # Built stack: ours sits between Starlette's two built-in layers, nothing else.
    with TestClient(app):
        layers = []
        layer: t.Any = app.middleware_stack
        while layer is not None:
            layers.append(type(layer))
            layer = getattr(layer, "app", None)
        assert layers.count(FlaskCompatMiddleware) == 1
        assert not any(issubclass(cls, BaseHTTPMiddleware) for cls in layers)


def test_install_classmethod_is_the_same_one_line() -> None:
    app = FastAPI()
    compat = FlaskCompat.install(app)
    assert isinstance(compat, FlaskCompat)
    assert [m.cls for m in app.user_middleware] == [FlaskCompatMiddleware]


async def test_lifespan_passes_through_without_contexts() -> None:
    seen: dict[str, t.Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        seen["startup"] = (has_app_context(), has_request_context())
        yield {"pool": "db-pool"}
        seen["shutdown"] = (has_app_context(), has_request_context())

    app = FastAPI(lifespan=lifespan)
    compat = FlaskCompat(app)

    @compat.before_request
    def hook() -> None:
        seen.setdefault("hooks", 0)
        seen["hooks"] += 1

    @app.get("/")
    async def view(req: StarletteRequest) -> str:
        # Lifespan state reaches the request through the untouched scope.
        return str(req.state.pool)

    with TestClient(app) as client:
        assert seen["startup"] == (False, False)
        assert client.get("/").json() == "db-pool"
    assert seen["shutdown"] == (False, False)
    assert seen["hooks"] == 1  # lifespan ran no request hook


async def test_lifespan_scope_reaches_app_unchanged() -> None:
    received: list[tuple[t.Any, t.Any, t.Any]] = []

    async def inner(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        received.append((scope, receive, send))
        assert not has_app_context()

    compat = FlaskCompat()
    mw = FlaskCompatMiddleware(inner, compat)
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}

    async def receive() -> dict[str, str]:
        return {"type": "lifespan.startup"}

    async def send(message: t.Any) -> None:
        pass

    await mw(scope, receive, send)
    assert len(received) == 1
    assert received[0][0] is scope and received[0][2] is send
    # receive is wrapped only to hold lifespan.shutdown back until requests are torn
    # down (test_cancellation.py); every message reaches the app as it came.
    assert await received[0][1]() == {"type": "lifespan.startup"}


def test_websocket_gets_contexts_and_teardown() -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    torn: list[t.Any] = []

    @compat.teardown_request
    def td(exc: BaseException | None) -> None:
        torn.append(("request", g.get("user"), request.path, exc))

    @compat.teardown_appcontext
    def td_app(exc: BaseException | None) -> None:
        torn.append(("app", g.get("user"), exc))

    def legacy_user() -> str:
        return f"{g.user}:{request.path}:{request.args['room']}"

    def dep() -> str:
        g.user = request.args["user"]
        return "dep"

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, d: str = Depends(dep)) -> None:
        await websocket.accept()
        msg = await websocket.receive_text()
        await websocket.send_text(f"{msg}|{legacy_user()}|{d}|{request.endpoint}")
        await websocket.close()

    client = TestClient(app)
    with client.websocket_connect("/ws?room=r1&user=ann") as websocket:
        websocket.send_text("hi")
        assert websocket.receive_text() == "hi|ann:/ws:r1|dep|ws"
    # The client sees the close before the server side finished its teardown
    # (the sync hooks run in a worker thread): wait for it, boundedly.
    deadline = time.monotonic() + 5
    while len(torn) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert torn == [("request", "ann", "/ws", None), ("app", "ann", None)]


def _build_app(where: str, kind: str, log: list[str]) -> FastAPI:
    """An app with a third-party http middleware installed before or after FlaskCompat."""
    app = FastAPI()

    async def body(
        request_: StarletteRequest, call_next: RequestResponseEndpoint
    ) -> StarletteResponse:
        log.append("mw-in")
        if has_app_context():
            # Inside ours: the before_request hook already ran.
            log.append(f"mw-sees-g:{g.get('before')}")
        response = await call_next(request_)
        if has_app_context():
            # The endpoint's write reached the middleware through the shared object.
            log.append(f"mw-after-sees:{g.get('dep')}")
        log.append("mw-out")
        return response

    def add_third_party() -> None:
        if kind == "base":
            app.add_middleware(BaseHTTPMiddleware, dispatch=body)
        else:
            app.middleware("http")(body)

    if where == "before":
        add_third_party()  # added first: sits inside ours
    compat = FlaskCompat(app)
    if where == "after":
        add_third_party()  # added last: wraps ours

    @compat.before_request
    def before() -> None:
        g.before = request.headers["x-id"]
        log.append("before_request")

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        log.append(f"after_request:{g.dep}")
        response.headers["x-dep"] = g.dep
        return response

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append(f"teardown:{g.dep}:{exc}")

    def sync_dep() -> None:
        g.dep = f"dep-{g.before}"
        log.append("dependency")

    @app.get("/", dependencies=[Depends(sync_dep)])
    async def view() -> str:
        log.append("endpoint")
        return str(g.dep)

    def background() -> None:
        log.append(f"background:{g.dep}:{request.path}")

    @app.get("/stream", dependencies=[Depends(sync_dep)])
    async def stream(tasks: BackgroundTasks) -> StreamingResponse:
        tasks.add_task(background)

        def chunks() -> Iterator[str]:
            for i in range(2):
                yield f"{g.dep}:{i};"

        return StreamingResponse(chunks(), background=tasks)

    return app


@pytest.mark.parametrize("kind", ["base", "decorator"])
@pytest.mark.parametrize("where", ["before", "after"])
async def test_third_party_http_middleware_around_ours(where: str, kind: str) -> None:
    log: list[str] = []
    app = _build_app(where, kind, log)
    async with client_for(app, raise_app_exceptions=True) as client:
        r = await client.get("/", headers={"x-id": "7"})
    assert r.status_code == 200
    assert r.json() == "dep-7"
    assert r.headers["x-dep"] == "dep-7"
    hooks = [
        "before_request",
        "dependency",
        "endpoint",
        "after_request:dep-7",
        "teardown:dep-7:None",
    ]
    assert [e for e in log if not e.startswith("mw")] == hooks
    if where == "before":
        # Inner middleware runs between before_request and the endpoint, sees g.
        assert log[:3] == ["before_request", "mw-in", "mw-sees-g:7"]
        assert "mw-after-sees:dep-7" in log
        assert log.index("mw-out") < log.index("after_request:dep-7")
    else:
        # Outer middleware: no context yet when it starts, nor after we popped it.
        assert log[0] == "mw-in"
        assert not any(e.startswith(("mw-sees", "mw-after-sees")) for e in log)
        # call_next returns on the response start, which after_request produced.
        assert log.index("after_request:dep-7") < log.index("mw-out")
    assert not has_request_context()

    # Streaming body and background task through the third-party middleware.
    log.clear()
    async with client_for(app, raise_app_exceptions=True) as client:
        r = await client.get("/stream", headers={"x-id": "8"})
    assert (r.text, r.headers["x-dep"]) == ("dep-8:0;dep-8:1;", "dep-8")
    assert [e for e in log if not e.startswith("mw")] == [
        "before_request",
        "dependency",
        "after_request:dep-8",
        "background:dep-8:/stream",
        "teardown:dep-8:None",
    ]


@pytest.mark.parametrize("where", ["before", "after"])
def test_third_party_middleware_with_testclient(where: str) -> None:
    log: list[str] = []
    app = _build_app(where, "decorator", log)
    with TestClient(app) as client:
        for i in range(3):
            r = client.get("/", headers={"x-id": str(i)})
            assert r.json() == f"dep-{i}"
            assert r.headers["x-dep"] == f"dep-{i}"
    assert log.count("teardown:dep-2:None") == 1
