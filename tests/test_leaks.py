"""After a request, nothing of it stays reachable: contexts, ``g``, the request
and what the request stored on ``g`` all die once the request is over, also
after an error, a streaming response, a cancellation or a client disconnect."""

from __future__ import annotations

import gc
import typing as t
import weakref
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.testclient import TestClient
from support import client_for, http_scope

from fastapi_flaskcompat import (
    AppContext,
    FlaskCompat,
    Request,
    RequestContext,
    after_this_request,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    stream_with_context,
)
from fastapi_flaskcompat.globals import _cv_app, _request_ctx

pytestmark = pytest.mark.anyio


class Resource:
    """Something a legacy hook parks on ``g`` (a DB connection, a user)."""

    def __init__(self) -> None:
        self.app = current_app.fastapi_app


class Refs:
    def __init__(self) -> None:
        self.refs: dict[str, weakref.ref[t.Any]] = {}
        self.torn: list[str] = []  # exception type names teardown saw (not the objects)

    def capture(self, where: str) -> None:
        request.args.get("x")  # build the Werkzeug request
        g.resource = Resource()
        for name, obj in (
            ("request_ctx", _request_ctx()),
            ("app_ctx", _cv_app.get()),
            ("g", g._get_current_object()),  # type: ignore[attr-defined]
            ("request", request._get_current_object()),  # type: ignore[attr-defined]
            ("starlette_request", request.starlette_request),
            ("resource", g.resource),
        ):
            self.refs[f"{where}:{name}"] = weakref.ref(obj)

    async def alive(self) -> list[str]:
        # Let the loop settle first: a cancellation is delivered by a callback that
        # holds a copy of the cancelled task's context until the loop runs it.
        for _ in range(5):
            await anyio.sleep(0)
        gc.collect()
        return sorted(name for name, ref in self.refs.items() if ref() is not None)


def make_app(refs: Refs) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def before() -> None:
        refs.capture("before_request")

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        response.headers["x-seen"] = str(type(g.resource).__name__)
        return response

    @compat.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        g.pop("resource", None)
        refs.torn.append(type(exc).__name__)

    def dep() -> Iterator[None]:
        refs.capture("dependency")
        yield

    @app.get("/ok", dependencies=[Depends(dep)])
    def ok(tasks: BackgroundTasks) -> str:
        refs.capture("endpoint")
        after_this_request(lambda r: r)
        tasks.add_task(refs.capture, "background")
        return "ok"

    @app.get("/error", dependencies=[Depends(dep)])
    async def error() -> None:
        refs.capture("endpoint")
        raise RuntimeError("boom")

    @app.get("/stream")
    async def stream(wrap: bool = False) -> StreamingResponse:
        refs.capture("endpoint")

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                refs.capture(f"chunk{i}")
                yield b"x"

        body: t.Any = stream_with_context(chunks()) if wrap else chunks()
        return StreamingResponse(body)

    @app.get("/hang")
    async def hang() -> StreamingResponse:
        refs.capture("endpoint")

        async def forever() -> AsyncIterator[bytes]:
            refs.capture("stream")
            while True:
                yield b"tick"
                await anyio.sleep(0.001)

        return StreamingResponse(forever())

    @app.get("/slow")
    async def slow() -> None:
        refs.capture("endpoint")
        await anyio.sleep_forever()

    return app


async def test_refs_detect_a_holder() -> None:
    """The check is not blind: a kept reference is reported as alive."""
    refs = Refs()
    app = make_app(refs)
    kept: list[t.Any] = []

    @app.get("/keep")
    async def keep() -> str:
        kept.append(_request_ctx())
        return "kept"

    async with client_for(app) as client:
        assert (await client.get("/keep")).status_code == 200
    # A request's context is its app context too (one object per request, the
    # layout Flask 3.2 adopts): keeping it keeps `g` (teardown took the resource out of it).
    assert await refs.alive() == [
        "before_request:app_ctx",
        "before_request:g",
        "before_request:request",
        "before_request:request_ctx",
        "before_request:starlette_request",
    ]
    kept.clear()
    assert await refs.alive() == []


@pytest.mark.parametrize("path", ["/ok", "/error", "/stream", "/stream?wrap=1"])
async def test_finished_request_leaves_nothing_reachable(path: str) -> None:
    refs = Refs()
    app = make_app(refs)
    async with client_for(app) as client:
        r = await client.get(path)
        assert r.status_code == (500 if path == "/error" else 200)
        assert not has_request_context() and not has_app_context()
        assert len(refs.refs) >= 12  # captured in hooks and the view, really
        assert await refs.alive() == []
        # A second request through the same app and client: still nothing kept.
        await client.get(path)
        assert await refs.alive() == []


async def test_cancelled_request_leaves_nothing_reachable() -> None:
    refs = Refs()
    app = make_app(refs)
    async with client_for(app) as client:
        with anyio.move_on_after(0.05) as scope:
            await client.get("/slow")
        assert scope.cancelled_caught
    assert "endpoint:request_ctx" in refs.refs
    assert refs.torn == ["NoneType"]  # teardown ran, shielded; a cancellation is no error
    assert not has_request_context() and not has_app_context()
    assert await refs.alive() == []


async def test_disconnected_streaming_request_leaves_nothing_reachable() -> None:
    """A client that goes away mid-stream (ASGI ``http.disconnect``)."""
    refs = Refs()
    app = make_app(refs)
    sent: list[t.Any] = []
    disconnect = anyio.Event()

    async def receive() -> dict[str, t.Any]:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)
        if len(sent) == 4:
            disconnect.set()

    scope = http_scope("/hang", method="GET", spec_version="2.3")
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert "stream:request_ctx" in refs.refs
    assert refs.torn == ["NoneType"]
    del scope, receive, send
    assert await refs.alive() == []


async def test_client_gone_on_send_leaves_nothing_reachable() -> None:
    """ASGI 2.4 servers raise ``OSError`` from ``send`` when the client is gone."""
    refs = Refs()
    app = make_app(refs)
    sent = 0

    async def receive() -> dict[str, t.Any]:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: dict[str, t.Any]) -> None:
        nonlocal sent
        sent += 1
        if sent > 3:
            raise OSError("client went away")

    scope = http_scope("/hang", method="GET", spec_version="2.4")
    with anyio.fail_after(5):
        with pytest.raises(ClientDisconnect) as info:
            await app(scope, receive, send)
    del info  # its traceback holds the frames; a server drops it too
    assert "stream:request_ctx" in refs.refs
    assert len(refs.torn) == 1  # teardown ran once
    del scope
    assert await refs.alive() == []


def test_testclient_requests_leave_nothing_reachable() -> None:
    refs = Refs()
    app = make_app(refs)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/ok", "/error", "/stream"):
            client.get(path)
            assert client.portal is not None
            assert client.portal.call(refs.alive) == [], path
            assert len(refs.refs) >= 12


async def test_no_context_object_survives_in_the_heap() -> None:
    """The other way to hunt leaks: walk every live object after requests.

    ``isinstance`` over the whole heap also meets the ``g``/``request`` proxies,
    outside any context; like Werkzeug's proxies they must answer, not raise.
    """
    refs = Refs()
    app = make_app(refs)
    compat = app.state.flaskcompat
    async with client_for(app) as client:
        for path in ("/ok", "/error", "/stream"):
            await client.get(path)
    assert len(refs.refs) >= 12
    await refs.alive()
    gc.collect()
    # Only this app's objects: other tests may legitimately keep theirs.
    leaked = [
        o
        for o in gc.get_objects()
        if (isinstance(o, (RequestContext, AppContext)) and o.app is compat)
        or (isinstance(o, Request) and o.scope.get("app") is app)
        or (isinstance(o, Resource) and o.app is app)
    ]
    assert leaked == []
    assert not isinstance(g, Resource)
    assert not isinstance(request, Request)


async def test_proxies_answer_isinstance_inside_a_context() -> None:
    compat = FlaskCompat()
    async with compat.test_request_context("/x"):
        assert isinstance(request, Request)
        assert isinstance(g, type(g._get_current_object()))  # type: ignore[attr-defined]
