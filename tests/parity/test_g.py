"""``g``: the same operations under Flask and under FlaskCompat give the same results.

Ported from Flask's test_appctx.py (``test_app_ctx_globals_methods``) and
test_basic.py (``g`` across hooks), in differential form.
"""

from __future__ import annotations

import typing as t

import pytest

from .harness import ENDPOINT_KINDS, Api, both_apps, exc_info, run_both

pytestmark = pytest.mark.anyio


def g_operations(api: Api) -> list[t.Any]:
    """Every ``g`` operation a helper uses; each result is recorded."""
    g = api.g
    out: list[t.Any] = []
    out.append(g.get("foo"))
    out.append(g.get("foo", "bar"))
    out.append("foo" in g)
    g.foo = "bar"
    out.append("foo" in g)
    out.append(g.foo)
    out.append(g.get("foo"))
    out.append(g.setdefault("bar", "baz"))
    out.append(g.setdefault("bar", "other"))
    out.append(g.bar)
    out.append(sorted(g))
    out.append(sorted(iter(g)))
    out.append(g.pop("bar"))
    out.append(g.pop("bar", "dflt"))
    out.append(exc_info(lambda: g.pop("bar")))
    out.append(exc_info(lambda: g.missing))
    del g.foo
    out.append("foo" in g)
    out.append(exc_info(lambda: delattr(g, "foo")))
    out.append(g.setdefault("none"))
    out.append(g.none)
    out.append(bool(g))
    return out


def test_g_methods_match_flask() -> None:
    results = []
    for api, app in both_apps():
        with app.app_context():
            results.append(g_operations(api))
    theirs, ours = results
    assert ours == theirs
    # Sanity: the sequence actually exercised the API.
    assert theirs[0] is None and theirs[3] is True and theirs[13][0] == "KeyError"


def test_g_repr() -> None:
    """Flask: ``<flask.g of 'app'>``. Intended difference: ours names our
    package, ``<fastapi_flaskcompat.g of 'app'>``; the app-name part matches."""
    reprs = []
    for api, app in both_apps():
        with app.app_context():
            reprs.append(repr(api.g))
    assert reprs == ["<flask.g of 'parity'>", "<fastapi_flaskcompat.g of 'parity'>"]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_g_shared_across_hooks_view_and_teardown(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.before_request
        def first() -> None:
            api.g.trail = ["before1"]

        @app.before_request
        def second() -> None:
            api.g.trail.append("before2")

        @app.after_request
        def after(response: t.Any) -> t.Any:
            api.g.trail.append("after")
            response.headers["X-Trail"] = ",".join(api.g.trail)
            return response

        @app.teardown_request
        def teardown_req(exc: t.Any) -> None:
            ev.append(("teardown_request", list(api.g.trail)))

        @app.teardown_appcontext
        def teardown_app(exc: t.Any) -> None:
            ev.append(("teardown_appcontext", list(api.g.trail)))

        def view() -> str:
            api.g.trail.append("view")
            return "-".join(api.g.trail)

        return view

    theirs, ours = await run_both(setup, select=["x-trail"], endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.body == b"before1-before2-view"
    assert theirs.headers["x-trail"] == ["before1,before2,view,after"]
    assert theirs.events[-1] == ("teardown_appcontext", ["before1", "before2", "view", "after"])


async def test_g_is_fresh_per_request() -> None:
    """Two requests to one app: the second never sees the first's ``g``."""
    from .harness import build_compat, build_flask, compat_observe, flask_observe

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view() -> str:
            seen = api.g.get("count", "unset")
            api.g.count = 1
            return str(seen)

        return view

    flask_ev: list[t.Any] = []
    flask_app = build_flask(setup, flask_ev)
    theirs = [flask_observe(flask_app, flask_ev).body for _ in range(2)]
    our_ev: list[t.Any] = []
    compat = build_compat(setup, our_ev)
    ours = [(await compat_observe(compat, our_ev)).body for _ in range(2)]
    assert ours == theirs == [b"unset", b"unset"]


def test_outside_context_errors() -> None:
    """The first line of each message is Flask's, and the full messages are equal."""
    import flask

    import fastapi_flaskcompat

    def observe(api: Api) -> list[t.Any]:
        return [
            exc_info(lambda: api.g.x),
            exc_info(lambda: setattr(api.g, "x", 1)),
            exc_info(lambda: api.request.args),
            exc_info(lambda: api.current_app.config),
            exc_info(lambda: api.current_app._get_current_object()),
            bool(api.g),
            bool(api.request),
            bool(api.current_app),
            api.has_app_context(),
            api.has_request_context(),
        ]

    theirs, ours = observe(flask), observe(fastapi_flaskcompat)
    assert ours == theirs
    assert theirs[0][0] == "RuntimeError"
    assert theirs[0][1].splitlines()[0] == "Working outside of application context."
    assert theirs[2][1].splitlines()[0] == "Working outside of request context."
    assert theirs[5:] == [False] * 5


def test_unbound_proxy_repr() -> None:
    """Werkzeug: ``<LocalProxy unbound>``. Intended difference: ours says
    which proxy it is (``<g unbound>``); neither raises."""
    import flask

    import fastapi_flaskcompat

    assert repr(flask.g) == "<LocalProxy unbound>"
    assert repr(fastapi_flaskcompat.g) == "<g unbound>"
    assert repr(fastapi_flaskcompat.request) == "<request unbound>"
    assert repr(fastapi_flaskcompat.current_app) == "<current_app unbound>"


def test_g_inside_request_context_is_the_app_contexts() -> None:
    """``g`` lives on the app context: a test_request_context inside an
    app_context of the same app shares it (Flask >= 0.10)."""
    results = []
    for api, app in both_apps():
        with app.app_context():
            api.g.outer = 1
            with app.test_request_context("/"):
                inner = api.g.get("outer")
                api.g.inner = 2
            results.append((inner, api.g.get("inner")))
    assert results[0] == results[1] == (1, 2)
