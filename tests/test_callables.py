"""One async-callable check, Starlette's rules, everywhere the library calls
user code: an object with ``async def __call__`` and a ``functools.partial``
of an async function are awaited, as plain FastAPI does, never called as
sync (which would answer 500 with "coroutine was never awaited")."""

from __future__ import annotations

import functools
import typing as t

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from support import client_for

from fastapi_flaskcompat import FlaskCompat, g

pytestmark = pytest.mark.anyio


class Denied(Exception):
    pass


class AsyncHandler:
    """A FastAPI exception handler that is an object, as some libraries ship."""

    async def __call__(self, request: t.Any, exc: Exception) -> JSONResponse:
        return JSONResponse({"denied": str(exc)}, status_code=403)


async def deny(reason: str) -> None:
    raise Denied(reason)


async def record(seen: list[t.Any], label: str, *args: t.Any) -> t.Any:
    seen.append((label, g.get("user")))
    return args[0] if args else None


@pytest.mark.parametrize("where", ["before_request", "endpoint"])
async def test_async_callable_exception_handler_object(where: str) -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    app.add_exception_handler(Denied, AsyncHandler())
    if where == "before_request":
        compat.before_request(functools.partial(deny, "by hook"))

    @app.get("/")
    async def index() -> str:
        raise Denied("by endpoint")

    async with client_for(app) as client:
        r = await client.get("/")
    reason = "by hook" if where == "before_request" else "by endpoint"
    assert (r.status_code, r.json()) == (403, {"denied": reason})


async def test_partials_and_async_call_objects_as_hooks() -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    seen: list[t.Any] = []

    class SetUser:
        async def __call__(self) -> None:
            g.user = "ann"

    compat.before_request(SetUser())
    compat.after_request(functools.partial(record, seen, "after"))
    compat.teardown_request(functools.partial(record, seen, "teardown"))
    compat.teardown_appcontext(functools.partial(record, seen, "appcontext"))

    @app.get("/")
    async def index() -> t.Any:
        return g.user

    async with client_for(app) as client:
        r = await client.get("/")
    assert (r.status_code, r.json()) == (200, "ann")
    assert seen == [("after", "ann"), ("teardown", "ann"), ("appcontext", "ann")]


async def test_async_call_object_as_flask_error_handler() -> None:
    app = FastAPI()
    compat = FlaskCompat(app)

    class Handler:
        async def __call__(self, exc: Exception) -> t.Any:
            return {"error": str(exc)}, 409

    compat.register_error_handler(Denied, Handler())

    @app.get("/")
    def index() -> str:
        raise Denied("taken")

    async with client_for(app) as client:
        r = await client.get("/")
    assert (r.status_code, r.json()) == (409, {"error": "taken"})
