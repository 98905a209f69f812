"""One Flask-style scenario, two frameworks: apps, blueprints, routes, hooks.

A scenario is ``setup(side, events)``. ``side.api`` is the module the code
imports from (``flask`` or ``fastapi_flaskcompat``), ``side.app`` the app
(``flask.Flask`` or ``FlaskCompat``), ``side.blueprint(...)`` makes a
blueprint and ``side.route(target, rule, view)`` declares a route on the
app or a blueprint: ``add_url_rule`` under Flask, a FastAPI route whose
endpoint calls the view and converts its return value like Flask (what a
ported view does) here. Rules use Flask's syntax (``/<int:id>``).

``run(setup, requests)`` makes each request on both sides and returns the
two lists of observations: status, selected headers, body, and the events
the scenario recorded during that request.
"""

from __future__ import annotations

import inspect
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

from .harness import Observation, _fastapi_path, _select


@dataclass
class Req:
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)


class Side:
    def __init__(self, api: types.ModuleType, app: t.Any) -> None:
        self.api = api
        self.app = app
        self.is_flask = isinstance(app, flask.Flask)

    def blueprint(self, name: str, import_name: str = __name__, **options: t.Any) -> t.Any:
        if not self.is_flask and options.get("url_prefix"):
            options["url_prefix"] = _fastapi_path(options["url_prefix"])
        return self.api.Blueprint(name, import_name, **options)

    def register(self, target: t.Any, blueprint: t.Any, **options: t.Any) -> None:
        """``register_blueprint`` on the app or a blueprint (Flask's rules, both sides)."""
        if not self.is_flask and options.get("url_prefix"):
            options["url_prefix"] = _fastapi_path(options["url_prefix"])
        target.register_blueprint(blueprint, **options)

    def route(
        self,
        target: t.Any,
        rule: str,
        view: Callable[..., t.Any],
        methods: Sequence[str] = ("GET",),
        endpoint: str | None = None,
    ) -> None:
        if self.is_flask:
            target.add_url_rule(rule, endpoint, view, methods=list(methods))
            return
        make_response = fastapi_flaskcompat.make_response

        async def call_view(request: StarletteRequest) -> t.Any:
            rv = view(**request.path_params)
            if inspect.isawaitable(rv):
                rv = await rv
            return make_response(rv)

        call_view.__name__ = view.__name__
        add = target.fastapi_app.add_api_route if isinstance(target, FlaskCompat) else None
        add = add or target.add_api_route
        add(_fastapi_path(rule), call_view, methods=list(methods), name=endpoint or view.__name__)


Setup = Callable[[Side, list[t.Any]], None]


def flask_side(config: dict[str, t.Any] | None) -> Side:
    app = flask.Flask("parity")
    app.config.update(config or {})
    return Side(flask, app)


def our_side(config: dict[str, t.Any] | None, bridge: bool = False) -> Side:
    """``bridge``: the scenario's code imports from ``flask`` here too."""
    app = FlaskCompat(FastAPI(title="parity"), config=config, bridge_flask=bridge)
    return Side(flask if bridge else fastapi_flaskcompat, app)


async def run(
    setup: Setup,
    requests: Sequence[Req | str],
    *,
    select: Sequence[str] = ("content-type",),
    config: dict[str, t.Any] | None = None,
    bridge: bool = False,
) -> tuple[list[Observation], list[Observation]]:
    """``(flask, ours)``: one observation per request on each side; with
    ``bridge``, the scenario uses ``flask``'s names on our side too."""
    reqs = [r if isinstance(r, Req) else Req(r) for r in requests]
    theirs_events: list[t.Any] = []
    theirs_side = flask_side(config)
    setup(theirs_side, theirs_events)
    client = theirs_side.app.test_client()
    theirs = []
    for req in reqs:
        theirs_events.clear()
        r = client.open(req.path, method=req.method, headers=req.headers)
        theirs.append(
            Observation(
                r.status_code, _select(r.headers, select), r.get_data(), list(theirs_events)
            )
        )
    our_events: list[t.Any] = []
    ours_side = our_side(config, bridge)
    setup(ours_side, our_events)
    ours = []
    transport = httpx.ASGITransport(app=ours_side.app.fastapi_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        for req in reqs:
            our_events.clear()
            r2 = await c.request(req.method, req.path, headers=req.headers)
            ours.append(
                Observation(
                    r2.status_code, _select(r2.headers, select), r2.content, list(our_events)
                )
            )
    return theirs, ours


async def raised(
    setup: Setup,
    requests: Sequence[Req | str],
    *,
    config: dict[str, t.Any] | None = None,
) -> tuple[list[BaseException | None], list[BaseException | None]]:
    """``(flask, ours)``: what each request lets escape to the server, or None.

    Flask runs with ``TESTING`` (its test client then re-raises what
    ``handle_exception`` would log); ours with the transport re-raising what
    the app re-raises to the ASGI server.
    """
    reqs = [r if isinstance(r, Req) else Req(r) for r in requests]
    theirs_side = flask_side({**(config or {}), "TESTING": True})
    setup(theirs_side, [])
    client = theirs_side.app.test_client()
    theirs: list[BaseException | None] = []
    for req in reqs:
        try:
            client.open(req.path, method=req.method, headers=req.headers)
        except BaseException as e:  # KeyboardInterrupt is a case
            theirs.append(e)
        else:
            theirs.append(None)
    ours_side = our_side(config)
    setup(ours_side, [])
    ours: list[BaseException | None] = []
    transport = httpx.ASGITransport(app=ours_side.app.fastapi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        for req in reqs:
            try:
                await c.request(req.method, req.path, headers=req.headers)
            except BaseException as e:
                ours.append(e)
            else:
                ours.append(None)
    return theirs, ours
