"""The 500 path with Flask's semantics: the server-error handler sees ``g``,
after_request runs on its response, teardown gets the original exception,
and the exception still reaches the server.

Flask's counterpart of FastAPI's ``Exception`` handler is
``errorhandler(500)``: it runs in ``handle_exception`` for unhandled errors
(an ``errorhandler(Exception)`` would make the error "handled").
"""

from __future__ import annotations

import typing as t

import flask
import pytest
from starlette.requests import Request as StarletteRequest
from starlette.testclient import TestClient

from .harness import ENDPOINT_KINDS, Api, build_compat, run_both

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


def _setup(where: str) -> t.Any:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.before_request
        def load() -> None:
            api.g.user = "ann"
            if where == "before":
                raise Boom("in before_request")

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code, api.g.get("user")))
            response.headers["X-A"] = "after ran"
            return response

        app.teardown_request(lambda e: ev.append(("teardown_request", type(e), str(e))))
        app.teardown_appcontext(lambda e: ev.append(("teardown_appcontext", type(e), str(e))))

        if api is flask:

            @app.errorhandler(500)
            def server_error(e: t.Any) -> t.Any:
                original = e.original_exception
                ev.append(("handler", type(original), api.g.user, api.request.path))
                return {"error": str(original)}, 500

        else:

            @app.fastapi_app.exception_handler(Exception)
            async def server_error(request: StarletteRequest, exc: Exception) -> t.Any:
                ev.append(("handler", type(exc), api.g.user, api.request.path))
                return api.make_response(({"error": str(exc)}, 500))

        def view() -> str:
            raise Boom("in view")

        return view

    return setup


@pytest.mark.parametrize("where", ["before", "view"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_unhandled_exception_path(where: str, endpoint_kind: str) -> None:
    theirs, ours = await run_both(
        _setup(where), select=("content-type", "x-a"), endpoint_kind=endpoint_kind
    )
    assert ours == theirs
    message = f"in {'before_request' if where == 'before' else 'view'}"
    assert theirs.status == 500
    assert theirs.body == b'{"error":"%s"}\n' % message.encode()
    assert theirs.events == [
        ("handler", Boom, "ann", "/"),
        ("after", 500, "ann"),
        ("teardown_request", Boom, message),
        ("teardown_appcontext", Boom, message),
    ]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
def test_exception_still_reaches_the_server(endpoint_kind: str) -> None:
    """Intended difference: Flask (not testing, not debug) logs the error
    with ``app.logger`` and the WSGI server never sees it; ours sends the
    handler's 500 and then re-raises to the ASGI server (which logs it), as
    FastAPI's own ``Exception`` handler does. TestClient with
    raise_server_exceptions=True therefore raises the original exception."""
    events: list[t.Any] = []
    compat = build_compat(_setup("view"), events, endpoint_kind=endpoint_kind)
    with pytest.raises(Boom, match="in view"):
        TestClient(compat.fastapi_app).get("/")
    assert [e[0] for e in events] == [
        "handler",
        "after",
        "teardown_request",
        "teardown_appcontext",
    ]
    response = TestClient(compat.fastapi_app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.json(), response.headers["X-A"]) == (
        500,
        {"error": "in view"},
        "after ran",
    )


def test_flask_propagates_in_testing_mode_too() -> None:
    """The oracle for the above: with TESTING (PROPAGATE_EXCEPTIONS) Flask
    re-raises instead of calling the 500 handler; teardown still gets the
    exception."""
    events: list[t.Any] = []
    from .harness import build_flask

    app = build_flask(_setup("view"), events, config={"TESTING": True})
    with pytest.raises(Boom):
        app.test_client().get("/")
    assert [e[0] for e in events] == ["teardown_request", "teardown_appcontext"]
