"""Run one unmodified Flask-extension scenario on ``flask.Flask`` and on FastAPI + the bridge.

A scenario module is ordinary Flask code: it imports from ``flask`` and from the
extension, defines plain Flask views, and offers a :class:`Scenario` with its
config, an ``init_app(app)`` (the application-factory half) and its ``routes``.
Nothing in it knows which side it runs on.

A script is ``async def script(new_client) -> list[observation]``: it opens clients
(each with its own cookie jar: one browser each), sends requests, and returns what
it saw. :func:`differential` runs the script against a freshly built Flask app,
then against a freshly built FastAPI app, and asserts both lists are equal.

The sides are built and run one after the other: extension objects live at module
level, as in real code, and ``init_app`` on the second app resets per-app state
(Flask-Limiter's storage, for one) that a shared run would mix.

The FastAPI side is deliberately plain: ``FlaskCompat(app, bridge_flask=True)`` and,
per route, ``add_api_route(path, endpoint)`` where the endpoint calls the Flask view
with the path parameters and converts its return value with ``compat.make_response``
(what a ported view does). That endpoint stands for the view: it carries the view's
name, module and attributes (without ``__wrapped__``, so FastAPI reads the endpoint's
own signature), as it would if the extension's decorator sat on a FastAPI endpoint.
Extensions look views up that way (``view_functions[endpoint]`` by qualified name,
attributes their decorators set).
"""

from __future__ import annotations

import functools
import inspect
import json as jsonlib
import re
import typing as t
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio
import flask
import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request as StarletteRequest

from fastapi_flaskcompat import FlaskCompat

#: ``flask``: the reference alone. ``fastapi-sync``: the view runs in FastAPI's
#: threadpool (a ``def`` endpoint), as Flask runs it in a WSGI worker.
#: ``fastapi-async``: the view runs on the event loop (an ``async def`` endpoint).
SIDES = [
    pytest.param("flask", id="flask"),
    pytest.param("fastapi-sync", id="fastapi-sync"),
    pytest.param("fastapi-async", id="fastapi-async"),
]
#: Scenarios whose callbacks are ``async def``: Flask runs them with asgiref in the
#: worker thread; a sync view on the event loop cannot wait for them (see the test).
THREADED_SIDES = SIDES[:2]

#: Sent by both clients, so Flask-Login's session identifier and anything else
#: reading the agent sees the same value on both sides.
USER_AGENT = "bridge-scenario/1"
#: A script that hangs fails instead of stalling the suite.
SCRIPT_TIMEOUT = 60


@dataclass(frozen=True)
class Route:
    rule: str  # Flask's rule syntax: ``/items/<int:item_id>``
    endpoint: str
    view: Callable[..., t.Any]
    methods: tuple[str, ...] = ("GET",)


@dataclass
class Scenario:
    import_name: str
    routes: list[Route]
    init_app: Callable[[t.Any], None] = lambda app: None
    config: dict[str, t.Any] = field(default_factory=dict)


# -- building the two apps -------------------------------------------------------


def build_flask(scenario: Scenario, config: dict[str, t.Any] | None = None) -> flask.Flask:
    app = flask.Flask(scenario.import_name)
    app.config.update(scenario.config, **(config or {}))
    scenario.init_app(app)
    for route in scenario.routes:
        app.add_url_rule(
            route.rule, endpoint=route.endpoint, view_func=route.view, methods=list(route.methods)
        )
    return app


def fastapi_path(rule: str) -> str:
    """Flask's ``<int:id>`` is Starlette's ``{id:int}``; ``<name>`` is ``{name}``."""

    def repl(m: re.Match[str]) -> str:
        converter, name = m.group(1), m.group(2)
        if converter in ("int", "float", "path"):
            return f"{{{name}:{converter}}}"
        if converter not in (None, "string"):
            raise ValueError(f"no Starlette convertor for <{converter}:{name}>")
        return f"{{{name}}}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule)


def _endpoint_for(compat: FlaskCompat, view: Callable[..., t.Any], kind: str) -> t.Any:
    if kind == "sync":

        def endpoint(request: StarletteRequest) -> t.Any:
            return compat.make_response(view(**request.path_params))

    else:

        async def endpoint(request: StarletteRequest) -> t.Any:
            rv = view(**request.path_params)
            if inspect.isawaitable(rv):
                rv = await rv
            return compat.make_response(rv)

    # The view's identity, not its signature: FastAPI must read ``request`` from ours.
    functools.update_wrapper(endpoint, view, ("__module__", "__name__", "__qualname__", "__doc__"))
    del endpoint.__wrapped__
    return endpoint


def build_fastapi(scenario: Scenario, kind: str, config: dict[str, t.Any] | None = None) -> FastAPI:
    fastapi_app = FastAPI(title=scenario.import_name)
    compat = FlaskCompat(
        fastapi_app, config={**scenario.config, **(config or {})}, bridge_flask=True
    )
    scenario.init_app(compat)
    for route in scenario.routes:
        # Flask's add_url_rule adds a view's ``required_methods`` (Flask-CORS's
        # cross_origin answers OPTIONS itself): a ported route declares them.
        required = getattr(route.view, "required_methods", ())
        fastapi_app.add_api_route(
            fastapi_path(route.rule),
            _endpoint_for(compat, route.view, kind),
            methods=[*route.methods, *(m for m in required if m not in route.methods)],
            name=route.endpoint,
        )
    return fastapi_app


# -- clients ---------------------------------------------------------------------


def _cookie_shape(value: str) -> str:
    """A Set-Cookie without what changes between runs (signed values, dates)."""
    name, _, rest = value.partition("=")
    cookie_value, *attrs = rest.split(";")
    kept = [name, "<deleted>" if cookie_value in ("", '""') else "<value>"]
    for attr in attrs:
        key = attr.strip().partition("=")[0].lower()
        kept.append(key if key == "expires" else attr.strip())
    return "; ".join(kept)


def _sorted_list(value: str) -> str:
    return ", ".join(sorted(v.strip() for v in value.split(",")))


#: Header values whose order Flask does not fix (``Allow`` comes from a set).
NORMALIZE: dict[str, Callable[[str], str]] = {
    "set-cookie": _cookie_shape,
    "allow": _sorted_list,
    "access-control-allow-methods": _sorted_list,
    "access-control-allow-headers": _sorted_list,
    "access-control-expose-headers": _sorted_list,
}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> list[str]:
        name = name.lower()
        norm = NORMALIZE.get(name, lambda v: v)
        return [norm(v) for k, v in self.headers if k.lower() == name]

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> t.Any:
        return jsonlib.loads(self.body)

    def seen(self, *headers: str, body: bool = True) -> tuple[t.Any, ...]:
        """What a script records: status, the named headers, and the body."""
        return (
            self.status,
            {h.lower(): self.header(h) for h in headers},
            self.body if body else None,
        )


class Client(t.Protocol):
    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
    ) -> Reply: ...

    def delete_cookie(self, name: str) -> None: ...

    def has_cookie(self, name: str) -> bool: ...


class FlaskSideClient:
    """Flask's test client, each call in a worker thread (as a WSGI server would)."""

    def __init__(self, app: flask.Flask) -> None:
        self._client = app.test_client()
        self._client.environ_base["HTTP_USER_AGENT"] = USER_AGENT

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
    ) -> Reply:
        # No ``with client``: Flask 3.1 would then run teardown a second time on exit.
        def call() -> Reply:
            r = self._client.open(path, method=method, headers=headers, data=data, json=json)
            # The body in the same thread and context, as a WSGI server iterates it:
            # a stream_with_context body pops its contexts on its last chunk.
            return Reply(r.status_code, tuple(r.headers.items()), r.get_data())

        return await anyio.to_thread.run_sync(call)

    def delete_cookie(self, name: str) -> None:
        self._client.delete_cookie(name)

    def has_cookie(self, name: str) -> bool:
        return self._client.get_cookie(name) is not None


class FastAPISideClient:
    def __init__(self, app: FastAPI) -> None:
        # raise_app_exceptions=False: compare the 500 a server would send.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(
            transport=transport,
            base_url="http://localhost",
            headers={"user-agent": USER_AGENT},
            follow_redirects=False,
        )
        # Flask's test client sends no Accept-Encoding; httpx sends one by default.
        del self._client.headers["accept-encoding"]

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
    ) -> Reply:
        request = self._client.build_request(method, path, headers=headers, data=data, json=json)
        r = await self._client.send(request, stream=True)
        try:
            # As sent, as Flask's client gives it: not decoded by Content-Encoding.
            raw = b"".join([chunk async for chunk in r.aiter_raw()])
        finally:
            await r.aclose()
        return Reply(r.status_code, tuple(r.headers.multi_items()), raw)

    def delete_cookie(self, name: str) -> None:
        self._client.cookies.delete(name)

    def has_cookie(self, name: str) -> bool:
        return name in self._client.cookies

    async def aclose(self) -> None:
        await self._client.aclose()


NewClient = Callable[[], Client]
Script = Callable[[NewClient], Awaitable[list[t.Any]]]


# -- running ---------------------------------------------------------------------


async def run(
    scenario: Scenario, script: Script, side: str, config: dict[str, t.Any] | None = None
) -> list[t.Any]:
    """Build ``side``'s app for ``scenario`` and return what ``script`` saw on it."""
    if side == "flask":
        flask_app = build_flask(scenario, config)
        with anyio.fail_after(SCRIPT_TIMEOUT):
            return await script(lambda: FlaskSideClient(flask_app))
    kind = side.removeprefix("fastapi-")
    if kind not in ("sync", "async"):
        raise ValueError(f"unknown side {side!r}")
    fastapi_app = build_fastapi(scenario, kind, config)
    clients: list[FastAPISideClient] = []

    def new_client() -> Client:
        clients.append(FastAPISideClient(fastapi_app))
        return clients[-1]

    try:
        with anyio.fail_after(SCRIPT_TIMEOUT):
            return await script(new_client)
    finally:
        for client in clients:
            await client.aclose()


async def differential(
    scenario: Scenario, script: Script, side: str, config: dict[str, t.Any] | None = None
) -> list[t.Any]:
    """Flask's observations; on a FastAPI side, also assert FastAPI saw the same."""
    theirs = await run(scenario, script, "flask", config)
    if side != "flask":
        ours = await run(scenario, script, side, config)
        assert ours == theirs
    return theirs


def statuses(observations: Sequence[t.Any]) -> list[int]:
    return [o[0] for o in observations if isinstance(o, tuple) and isinstance(o[0], int)]
