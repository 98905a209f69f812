"""Run the same hook/helper code under ``flask.Flask`` and under FastAPI + FlaskCompat.

A scenario is ``setup(api, app, events) -> view | None``:

- ``api`` is the module the legacy code imports from: ``flask`` on one side,
  ``fastapi_flaskcompat`` on the other (``api.g``, ``api.request``, ``api.abort``...);
- ``app`` is where hooks are registered: the ``flask.Flask`` or the ``FlaskCompat``
  (same decorator names);
- ``events`` is a list the helpers append observations to.

The returned view (default: one returning ``"view"``) is routed at ``rule`` on both
sides. Flask converts the view's return value itself; on FastAPI the endpoint
hands it to ``api.make_response``, which is what a ported view does.
"""

from __future__ import annotations

import inspect
import re
import types
import typing as t
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import flask
import httpx
from fastapi import FastAPI
from starlette.requests import Request as StarletteRequest

import fastapi_flaskcompat
from fastapi_flaskcompat import FlaskCompat

Api = types.ModuleType
Setup = Callable[[Api, t.Any, list[t.Any]], Callable[..., t.Any] | None]

ENDPOINT_KINDS = ("async", "sync")


@dataclass
class Observation:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    events: list[t.Any] = field(default_factory=list)


def _default_view() -> str:
    return "view"


def _fastapi_path(rule: str) -> str:
    # Flask's ``<int:id>`` is Starlette's ``{id:int}``; ``<name>`` is ``{name}``.
    def repl(m: re.Match[str]) -> str:
        conv, name = m.group(1), m.group(2)
        return f"{{{name}:{conv}}}" if conv in ("int", "float", "path") else f"{{{name}}}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule)


def _select(headers: t.Any, names: Sequence[str]) -> dict[str, list[str]]:
    # Werkzeug's Headers has ``getlist``, httpx's has ``get_list``.
    getlist = getattr(headers, "getlist", None) or headers.get_list
    return {n.lower(): list(getlist(n)) for n in names}


def build_flask(
    setup: Setup,
    events: list[t.Any],
    *,
    rule: str = "/",
    methods: Sequence[str] = ("GET",),
    config: dict[str, t.Any] | None = None,
) -> flask.Flask:
    app = flask.Flask("parity")
    if config:
        app.config.update(config)
    view = setup(flask, app, events) or _default_view
    app.add_url_rule(rule, endpoint="view", view_func=view, methods=list(methods))
    return app


def build_compat(
    setup: Setup,
    events: list[t.Any],
    *,
    rule: str = "/",
    methods: Sequence[str] = ("GET",),
    config: dict[str, t.Any] | None = None,
    endpoint_kind: str = "async",
) -> FlaskCompat:
    fastapi_app = FastAPI(title="parity")
    compat = FlaskCompat(fastapi_app, config=config)
    view = setup(fastapi_flaskcompat, compat, events) or _default_view
    make_response = fastapi_flaskcompat.make_response

    if endpoint_kind == "async":

        async def endpoint(request: StarletteRequest) -> t.Any:
            rv = view(**request.path_params)
            if inspect.isawaitable(rv):
                rv = await rv
            return make_response(rv)

    else:
        assert not inspect.iscoroutinefunction(view)

        def endpoint(request: StarletteRequest) -> t.Any:
            return make_response(view(**request.path_params))

    fastapi_app.add_api_route(_fastapi_path(rule), endpoint, methods=list(methods), name="view")
    return compat


def flask_observe(
    app: flask.Flask,
    events: list[t.Any],
    path: str = "/",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    select: Sequence[str] = ("content-type",),
) -> Observation:
    # No ``with client``: Flask 3.1 then runs teardown a second time on exit.
    r = app.test_client().open(path, method=method, headers=headers)
    return Observation(r.status_code, _select(r.headers, select), r.get_data(), events)


async def compat_observe(
    compat: FlaskCompat,
    events: list[t.Any],
    path: str = "/",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    select: Sequence[str] = ("content-type",),
) -> Observation:
    # raise_app_exceptions=False: look at the 500 response the server sends.
    transport = httpx.ASGITransport(app=compat.fastapi_app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        r = await client.request(method, path, headers=headers)
        return Observation(r.status_code, _select(r.headers, select), r.content, events)


async def run_both(
    setup: Setup,
    path: str = "/",
    *,
    rule: str = "/",
    method: str = "GET",
    methods: Sequence[str] | None = None,
    headers: dict[str, str] | None = None,
    select: Sequence[str] = ("content-type",),
    config: dict[str, t.Any] | None = None,
    endpoint_kind: str = "async",
) -> tuple[Observation, Observation]:
    """``(flask, ours)`` observations of one request through the same scenario."""
    methods = methods or (method,)
    flask_events: list[t.Any] = []
    flask_app = build_flask(setup, flask_events, rule=rule, methods=methods, config=config)
    theirs = flask_observe(
        flask_app, flask_events, path, method=method, headers=headers, select=select
    )
    our_events: list[t.Any] = []
    compat = build_compat(
        setup, our_events, rule=rule, methods=methods, config=config, endpoint_kind=endpoint_kind
    )
    ours = await compat_observe(
        compat, our_events, path, method=method, headers=headers, select=select
    )
    return theirs, ours


def both_apps() -> list[tuple[Api, t.Any]]:
    """A bare ``(api, app)`` pair per side, for context tests without requests."""
    return [
        (flask, flask.Flask("parity")),
        (fastapi_flaskcompat, FlaskCompat(FastAPI(title="parity"))),
    ]


def exc_info(f: Callable[[], t.Any]) -> tuple[str, str] | None:
    """``(type name, message)`` of what ``f()`` raises, or None."""
    try:
        f()
    except Exception as e:
        return type(e).__name__, str(e)
    return None


HOOK_KINDS = ("sync", "async", "nonblocking")


def hook_as(api: Api, kind: str) -> Callable[[Callable[..., t.Any]], Callable[..., t.Any]]:
    """Decorator giving a sync hook the requested kind on our side.

    Flask runs sync hooks only (async needs asgiref); ours may be sync
    (threadpool), async (on the loop) or ``nonblocking`` (inline).
    """

    def decorate(f: Callable[..., t.Any]) -> Callable[..., t.Any]:
        if api is flask or kind == "sync":
            return f
        if kind == "nonblocking":
            return fastapi_flaskcompat.nonblocking(f)

        async def async_hook(*args: t.Any) -> t.Any:
            return f(*args)

        async_hook.__name__ = f.__name__
        return async_hook

    return decorate
