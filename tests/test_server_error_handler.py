"""The app's ``Exception``/500 handler runs once per error, inside the request.

FlaskCompat calls it inside the contexts (Flask's ``handle_exception``) and
re-raises for the server; Starlette's ServerErrorMiddleware, outside the
contexts, must not call it a second time: a handler reading ``g`` would
raise there and the server would log that error instead of the real one.
"""

from __future__ import annotations

import typing as t

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import Request as StarletteRequest

from fastapi_flaskcompat import FlaskCompat, g

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


def make_app(flavour: str, key: t.Any) -> tuple[FastAPI, list[t.Any]]:
    app = FastAPI()
    FlaskCompat(app)
    calls: list[t.Any] = []

    def sync_handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        calls.append((g.user, repr(exc)))  # Flask's 500 handlers read g
        return JSONResponse({"user": g.user}, status_code=500)

    async def async_handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return sync_handler(req, exc)

    app.add_exception_handler(key, sync_handler if flavour == "sync" else async_handler)

    @app.get("/boom")
    def boom() -> None:
        g.user = "ann"
        raise Boom("original")

    return app, calls


@pytest.mark.parametrize("key", [Exception, 500])
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_handler_runs_once_and_server_sees_original(flavour: str, key: t.Any) -> None:
    app, calls = make_app(flavour, key)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/boom")
    assert (r.status_code, r.json()) == (500, {"user": "ann"})
    assert calls == [("ann", "Boom('original')")]

    calls.clear()
    # What the server gets: the endpoint's exception, not one from the handler.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        with pytest.raises(Boom, match="original"):
            await c.get("/boom")
    assert calls == [("ann", "Boom('original')")]


async def test_error_after_response_started_still_reaches_handler_once() -> None:
    # FlaskCompat cannot answer once the response started; Starlette calls the
    # handler as it always does (outside the contexts: g is gone there).
    app = FastAPI()
    FlaskCompat(app)
    calls: list[str] = []

    @app.exception_handler(Exception)
    async def handler(req: StarletteRequest, exc: Exception) -> JSONResponse:
        calls.append(repr(exc))
        return JSONResponse({}, status_code=500)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def body() -> t.AsyncIterator[bytes]:
            yield b"partial"
            raise Boom("mid-stream")

        return StreamingResponse(body())

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        with pytest.raises(Boom, match="mid-stream"):
            await c.get("/stream")
    assert calls == ["Boom('mid-stream')"]


async def test_both_500_and_exception_handlers_run_once_in_total() -> None:
    # Ours calls the 500 handler; Starlette keeps whichever was registered last.
    # Neither may run a second time outside the request.
    app, calls = make_app("sync", 500)

    @app.exception_handler(Exception)
    async def other(req: StarletteRequest, exc: Exception) -> JSONResponse:
        calls.append(("other", repr(exc)))
        return JSONResponse({"user": g.user}, status_code=500)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/boom")
    assert (r.status_code, r.json()) == (500, {"user": "ann"})
    assert calls == [("ann", "Boom('original')")]
