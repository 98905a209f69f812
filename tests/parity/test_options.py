"""Flask's automatic OPTIONS (``PROVIDE_AUTOMATIC_OPTIONS``), Flask and FlaskCompat:
a route without its own OPTIONS answers 200 with ``Allow``, through the hooks."""

from __future__ import annotations

import typing as t

import pytest

from .twoapps import Req, Side, run

pytestmark = pytest.mark.anyio


def _normalise(observations: t.Any) -> None:
    for o in observations:
        # Flask builds Allow from a set: its order is not fixed.
        o.headers["allow"] = [", ".join(sorted(v.split(", "))) for v in o.headers["allow"]]


@pytest.mark.parametrize("automatic", [True, False])
async def test_options_for_a_route_without_its_own(automatic: bool) -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.before_request
        def before() -> None:
            ev.append(("before", s.api.request.method))

        @s.app.after_request
        def after(response: t.Any) -> t.Any:
            response.headers["X-After"] = "ran"
            return response

        s.route(s.app, "/items", lambda: "list", methods=("GET", "POST"), endpoint="items")
        s.route(s.app, "/items", lambda: "put", methods=("PUT",), endpoint="put_items")
        s.route(s.app, "/own", lambda: "own options", methods=("GET", "OPTIONS"), endpoint="own")

    requests = [Req("/items", "OPTIONS"), Req("/own", "OPTIONS"), Req("/nowhere", "OPTIONS")]
    select = ("allow", "x-after")
    config = {"PROVIDE_AUTOMATIC_OPTIONS": automatic}
    theirs, ours = await run(setup, requests, select=select, config=config)
    _normalise(theirs)
    _normalise(ours)
    if automatic:
        assert ours[:2] == theirs[:2]
        assert (theirs[0].status, theirs[0].body) == (200, b"")
        assert theirs[0].headers == {"allow": ["GET, HEAD, OPTIONS, POST, PUT"], "x-after": ["ran"]}
        assert theirs[0].events == [("before", "OPTIONS")]
        assert theirs[1].body == b"own options"
    else:
        # Flask then answers 405, as FastAPI does (the body of FastAPI's 405 is its own).
        assert [o.status for o in ours[:2]] == [o.status for o in theirs[:2]] == [405, 200]
    # No route at that path: 404 either way (the body is FastAPI's here).
    assert (
        (ours[2].status, ours[2].events)
        == (theirs[2].status, theirs[2].events)
        == (
            404,
            [("before", "OPTIONS")],
        )
    )


async def test_automatic_options_runs_the_blueprints_hooks() -> None:
    # Flask matches the blueprint's rule (OPTIONS is added to it), so the
    # request is the blueprint's: its before_request and after_request run.
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("api", url_prefix="/api")

        @bp.before_request
        def bp_before() -> None:
            ev.append(("bp before", s.api.request.blueprint))

        @bp.after_request
        def bp_after(response: t.Any) -> t.Any:
            ev.append(("bp after", s.api.request.blueprint))
            return response

        @s.app.before_request
        def app_before() -> None:
            ev.append(("app before", s.api.request.blueprint))

        s.route(bp, "/items", lambda: "list", methods=("GET",), endpoint="items")
        s.register(s.app, bp)

    theirs, ours = await run(setup, [Req("/api/items", "OPTIONS")], select=("allow",))
    _normalise(theirs)
    _normalise(ours)
    assert ours == theirs
    assert theirs[0].status == 200
    assert theirs[0].events == [
        ("app before", "api"),
        ("bp before", "api"),
        ("bp after", "api"),
    ]
