"""``request.endpoint``/``view_args``/``url_rule`` as hooks and errors see
them; Flask's test_basic.test_before_request_and_routing_errors."""

from __future__ import annotations

import typing as t

import flask
import pytest
from starlette.requests import Request as StarletteRequest

from .harness import ENDPOINT_KINDS, Api, run_both

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_endpoint_and_view_args_in_hooks_and_view(endpoint_kind: str) -> None:
    """Intended difference: ``url_rule`` is the Starlette route (its
    ``path`` is ``/items/{id:int}``), not a Werkzeug ``Rule``; the endpoint
    name is the FastAPI route name (here named "view" on both sides)."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def seen(where: str) -> None:
            r = api.request
            ev.append((where, r.endpoint, r.view_args, r.url_rule is not None, r.blueprint))

        app.before_request(lambda: seen("before"))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            seen("after")
            return response

        def view(id: int) -> str:
            seen("view")
            return str(id * 2)

        return view

    theirs, ours = await run_both(
        setup, "/items/21", rule="/items/<int:id>", endpoint_kind=endpoint_kind
    )
    assert ours == theirs
    assert theirs.body == b"42"
    assert theirs.events[0] == ("before", "view", {"id": 21}, True, None)


async def test_before_request_and_routing_errors() -> None:
    """g set in before_request is seen by the 404 handler. Flask's 404 for an
    unknown path has no endpoint and no view_args."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        @app.before_request
        def attach() -> None:
            api.g.something = "value"
            ev.append((api.request.endpoint, api.request.view_args))

        if api is flask:
            app.errorhandler(404)(lambda e: (api.g.something, 404))
        else:

            async def not_found(request: StarletteRequest, exc: Exception) -> t.Any:
                return api.make_response((api.g.something, 404))

            app.fastapi_app.add_exception_handler(404, not_found)

    theirs, ours = await run_both(setup, "/missing")
    assert ours == theirs
    assert (theirs.status, theirs.body, theirs.events) == (404, b"value", [(None, None)])
