"""Probes: hooks, error handlers and blueprints at their edges, Flask vs FlaskCompat.

Each case runs one scenario under ``flask.Flask`` and under FastAPI +
FlaskCompat and asserts both answer alike (and, on Flask's side, Flask's
literal answer, so the probe documents what Flask 3.1 does).
"""

from __future__ import annotations

import typing as t

import flask
import pytest
from werkzeug.exceptions import (
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)

from .harness import ENDPOINT_KINDS, HOOK_KINDS, Api, hook_as, run_both
from .twoapps import Req, Side, run

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


class SubBoom(Boom):
    pass


def raiser(exc: BaseException | type[BaseException]) -> t.Callable[..., t.Any]:
    def view(**kw: t.Any) -> t.Any:
        raise exc

    return view


def name_of(e: BaseException | None) -> str:
    return type(e).__name__


# -- what an error handler returns ------------------------------------------------

HANDLER_RETURNS: dict[str, t.Callable[[Api, BaseException], t.Any]] = {
    "str": lambda api, e: "handled",
    "tuple_status": lambda api, e: ("handled", 418),
    "tuple_headers": lambda api, e: ("handled", {"X-A": "h"}),
    "tuple_status_headers": lambda api, e: ("handled", 409, [("X-A", "h")]),
    "dict": lambda api, e: {"error": type(e).__name__},
    "list": lambda api, e: [1, 2],
    "response": lambda api, e: api.make_response("resp", 202),
    "jsonify_status": lambda api, e: (api.jsonify(error="x"), 410),
    "redirect": lambda api, e: api.redirect("/elsewhere"),
    "bytes": lambda api, e: b"raw",
    "response_status": lambda api, e: (api.make_response("r", 202), 201),
    "status_string": lambda api, e: ("handled", "299 Custom Thing"),
    "generator": lambda api, e: (c for c in ("a", "b")),
    "werkzeug_response": lambda api, e: __import__("werkzeug").Response(
        "wz", status=418, headers={"X-A": "wz"}
    ),
}


@pytest.mark.parametrize("case", list(HANDLER_RETURNS))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_error_handler_return_values(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(Boom)
        def handle(e: BaseException) -> t.Any:
            return HANDLER_RETURNS[case](api, e)

        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return raiser(Boom("x"))

    select = ("content-type", "x-a", "location", "content-length")
    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind, select=select)
    assert ours == theirs
    assert theirs.events == [("teardown", "NoneType")]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_error_handler_returning_none_is_a_500(endpoint_kind: str) -> None:
    """Flask: ``make_response(None)`` raises TypeError, which goes down the 500
    path: the 500 handler gets it as ``original_exception``, teardown too."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.errorhandler(Boom)(lambda e: None)

        @app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            orig = e.original_exception
            ev.append(("500", name_of(orig), str(orig)))
            return "five hundred", 500

        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return raiser(Boom("x"))

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert (theirs.status, theirs.body) == (500, b"five hundred")
    assert theirs.events[0][:2] == ("500", "TypeError")
    assert theirs.events[1] == ("teardown", "TypeError")
    assert ours == theirs


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_error_handler_raising_another_exception(endpoint_kind: str) -> None:
    """The new exception is unhandled, even with a handler for its class:
    Flask sends it to ``handle_exception`` (the 500 handler), never back to
    ``errorhandler``s; teardown receives the new one."""

    class Other(Exception):
        pass

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(Boom)
        def handle(e: BaseException) -> t.Any:
            raise Other("from handler")

        app.errorhandler(Other)(lambda e: ev.append("other handler") or "other")

        @app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            ev.append(("500", name_of(e.original_exception)))
            return "five hundred", 500

        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return raiser(Boom("x"))

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert (theirs.status, theirs.body) == (500, b"five hundred")
    assert theirs.events == [("500", "Other"), ("teardown", "Other")]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_abort_inside_an_error_handler_is_a_500(endpoint_kind: str) -> None:
    """Flask: an HTTPException raised by an error handler is not answered as
    itself: ``handle_exception`` wraps it, the answer is a 500."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(Boom)
        def handle(e: BaseException) -> t.Any:
            api.abort(403)

        app.errorhandler(403)(lambda e: ev.append("403 handler") or ("forbidden", 403))
        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return raiser(Boom("x"))

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.status == 500
    assert theirs.events == [("teardown", "Forbidden")]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_abort_inside_an_error_handler_with_a_500_handler(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(404)
        def handle(e: BaseException) -> t.Any:
            api.abort(401)

        @app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            ev.append(("500", name_of(e.original_exception)))
            return "five hundred", 500

        return lambda: api.abort(404)

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.events == [("500", "Unauthorized")]


async def test_error_raised_by_an_http_error_handler_is_unhandled() -> None:
    """Flask: whatever a handler raises goes to ``handle_exception`` (500 path),
    also when that handler answered an HTTP error (``abort(404)`` in a view, or
    the router's own 404), and also when another handler would take the new error."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        @s.app.errorhandler(404)
        def handle_404(e: t.Any) -> t.Any:
            ev.append("404 handler")
            if api.request.path.endswith("boom"):
                raise Boom("from 404 handler")
            api.abort(401)

        s.app.errorhandler(Boom)(lambda e: ev.append("boom handler") or ("boom", 409))
        s.app.errorhandler(401)(lambda e: ev.append("401 handler") or ("401", 401))

        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            ev.append(("500", name_of(e.original_exception)))
            return "five hundred", 500

        s.app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        s.route(s.app, "/abort", lambda: api.abort(404), endpoint="abort")
        s.route(s.app, "/abort-boom", lambda: api.abort(404), endpoint="abort_boom")

    paths = ["/abort", "/missing", "/abort-boom", "/missing-boom"]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [o.status for o in theirs] == [500] * 4
    assert [o.events for o in theirs] == [
        ["404 handler", ("500", "Unauthorized"), ("teardown", "Unauthorized")],
        ["404 handler", ("500", "Unauthorized"), ("teardown", "Unauthorized")],
        ["404 handler", ("500", "Boom"), ("teardown", "Boom")],
        ["404 handler", ("500", "Boom"), ("teardown", "Boom")],
    ]


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_async_and_sync_error_handlers_alike(hook_kind: str) -> None:
    """Flask runs an ``async def`` handler through asgiref; ours on the loop."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        hook = hook_as(api, hook_kind)

        @app.errorhandler(Boom)
        @hook
        def handle(e: BaseException) -> t.Any:
            ev.append(("handler", api.request.path, api.g.get("mark")))
            return "handled", 409

        app.before_request(lambda: setattr(api.g, "mark", "m"))
        return raiser(Boom("x"))

    theirs, ours = await run_both(setup)
    assert ours == theirs
    assert theirs.events == [("handler", "/", "m")]


# -- lookup: codes, classes, blueprints -----------------------------------------


async def test_code_handler_on_app_beats_generic_handler_on_blueprint() -> None:
    """Flask looks up by code first (blueprint, then app), only then by class:
    an app ``errorhandler(404)`` wins over a blueprint's
    ``errorhandler(HTTPException)`` for ``abort(404)`` in the blueprint."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.errorhandler(HTTPException)(lambda e: ("bp generic", e.code))
        bp.errorhandler(Exception)(lambda e: ("bp exception", 500))
        s.app.errorhandler(404)(lambda e: ("app 404", 404))
        s.route(bp, "/nf", lambda: s.api.abort(404), endpoint="nf")
        s.route(bp, "/forbidden", lambda: s.api.abort(403), endpoint="forbidden")
        s.route(bp, "/boom", raiser(Boom), endpoint="boom")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/nf", "/bp/forbidden", "/bp/boom"])
    assert ours == theirs
    assert [(o.status, o.body) for o in theirs] == [
        (404, b"app 404"),
        (403, b"bp generic"),
        (500, b"bp exception"),
    ]


async def test_blueprint_generic_exception_beats_app_specific_class() -> None:
    """By class: the blueprint's handlers are searched (whole MRO) before the app's."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.errorhandler(Exception)(lambda e: "bp Exception")
        s.app.errorhandler(SubBoom)(lambda e: "app SubBoom")
        s.route(bp, "/x", raiser(SubBoom), endpoint="x")
        s.route(s.app, "/y", raiser(SubBoom), endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"bp Exception", b"app SubBoom"]


async def test_nested_blueprints_child_then_parent_then_app() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        parent = s.blueprint("parent", url_prefix="/p")
        child = s.blueprint("child", url_prefix="/c")
        parent.errorhandler(Boom)(lambda e: f"parent {type(e).__name__}")
        parent.errorhandler(403)(lambda e: ("parent 403", 403))
        child.errorhandler(SubBoom)(lambda e: "child SubBoom")
        s.app.errorhandler(403)(lambda e: ("app 403", 403))
        s.app.errorhandler(KeyError)(lambda e: "app KeyError")
        s.route(child, "/sub", raiser(SubBoom), endpoint="sub")
        s.route(child, "/boom", raiser(Boom), endpoint="boom")
        s.route(child, "/no", lambda: s.api.abort(403), endpoint="no")
        s.route(child, "/key", raiser(KeyError), endpoint="key")
        s.register(parent, child)
        s.register(s.app, parent)

    paths = ["/p/c/sub", "/p/c/boom", "/p/c/no", "/p/c/key"]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"child SubBoom",
        b"parent Boom",
        b"parent 403",
        b"app KeyError",
    ]


async def test_bad_request_key_error_reaches_a_key_error_handler() -> None:
    """``BadRequestKeyError`` is a ``KeyError``: no 400 handler, so the class
    lookup finds ``errorhandler(KeyError)``; a 400 handler would win."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(KeyError)(lambda e: (f"key {type(e).__name__}", 422))
        s.app.errorhandler(LookupError)(lambda e: "lookup")
        s.route(s.app, "/form", lambda: s.api.request.form["missing"], endpoint="form")
        s.route(s.app, "/args", lambda: s.api.request.args["missing"], endpoint="args")
        s.route(s.app, "/raise", raiser(BadRequestKeyError("k")), endpoint="raise")

    theirs, ours = await run(setup, ["/form", "/args", "/raise"])
    assert ours == theirs
    assert [(o.status, o.body) for o in theirs] == [(422, b"key BadRequestKeyError")] * 3


async def test_400_handler_beats_key_error_handler_for_missing_form_key() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(KeyError)(lambda e: "key")
        s.app.errorhandler(400)(lambda e: (f"400 {type(e).__name__}", 400))
        s.route(s.app, "/args", lambda: s.api.request.args["missing"], endpoint="args")

    theirs, ours = await run(setup, ["/args"])
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (400, b"400 BadRequestKeyError")


async def test_custom_http_exception_subclass_with_own_code() -> None:
    class Teapot(HTTPException):
        code = 418
        description = "short and stout"

    class Gone(NotFound):
        description = "gone for good"

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(Teapot)(lambda e: (f"{e.code} {e.description}", e.code))
        s.app.errorhandler(404)(lambda e: (f"404 {type(e).__name__} {e.description}", 404))
        s.route(s.app, "/tea", raiser(Teapot), endpoint="tea")
        s.route(s.app, "/gone", raiser(Gone), endpoint="gone")
        s.route(s.app, "/plain", raiser(Teapot()), endpoint="plain")

    theirs, ours = await run(setup, ["/tea", "/gone", "/plain"])
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"418 short and stout",
        b"404 Gone gone for good",
        b"418 short and stout",
    ]


async def test_unhandled_custom_http_exception_is_its_own_response() -> None:
    class Teapot(HTTPException):
        code = 418
        description = "short and stout"

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.route(s.app, "/tea", raiser(Teapot), endpoint="tea")
        s.route(s.app, "/desc", lambda: s.api.abort(404, description="nope"), endpoint="desc")

    theirs, ours = await run(setup, ["/tea", "/desc"], select=("content-type", "content-length"))
    assert ours == theirs
    assert theirs[0].status == 418


async def test_error_handler_returning_the_exception() -> None:
    """``return e`` answers with Werkzeug's page for it (its status and headers)."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        def handle(e: t.Any) -> t.Any:
            ev.append(type(e).__name__)
            return e

        s.app.errorhandler(HTTPException)(handle)
        s.route(s.app, "/nf", lambda: s.api.abort(404, description="custom"), endpoint="nf")
        s.route(s.app, "/items", lambda: "items", endpoint="items")

    select = ("content-type", "content-length")
    theirs, ours = await run(setup, ["/nf", "/nowhere"], select=select)
    assert ours == theirs
    assert [o.status for o in theirs] == [404, 404]
    assert b"custom" in theirs[0].body


async def test_abort_with_a_response_skips_every_handler() -> None:
    """``abort(response)``: an HTTPException with no code; Flask gives no handler
    a say (not ``HTTPException``'s, not ``Exception``'s), after_request runs."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        s.app.errorhandler(HTTPException)(lambda e: ev.append("http") or "http")
        s.app.errorhandler(Exception)(lambda e: ev.append("exc") or "exc")

        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            return r

        s.app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))

        def view() -> t.Any:
            api.abort(api.make_response("teapot body", 418, {"X-A": "a"}))

        s.route(s.app, "/", view, endpoint="index")

    theirs, ours = await run(setup, ["/"], select=("x-a", "content-type"))
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (418, b"teapot body")
    assert theirs[0].events == [("after", 418), ("teardown", "NoneType")]


async def test_abort_with_an_unknown_code() -> None:
    """``abort(499)``: Werkzeug has no class, ``LookupError`` -> the 500 path."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            orig = e.original_exception
            return f"{type(orig).__name__}: {orig}", 500

        s.route(s.app, "/", lambda: s.api.abort(499), endpoint="index")

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert theirs[0].body == b"LookupError: no exception for 499"


async def test_handlers_registered_through_the_spec_directly() -> None:
    """Extensions write ``app.error_handler_spec[None][code][cls] = f``."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.error_handler_spec[None][404][NotFound] = lambda e: ("spec 404", 404)
        s.app.error_handler_spec[None][None][Boom] = lambda e: "spec Boom"
        s.route(s.app, "/boom", raiser(Boom), endpoint="boom")
        s.route(s.app, "/nf", lambda: s.api.abort(404), endpoint="nf")

    theirs, ours = await run(setup, ["/boom", "/nf", "/missing"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"spec Boom", b"spec 404", b"spec 404"]


async def test_error_handler_sees_request_endpoint_and_view_args() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp", url_prefix="/bp")

        def where(e: t.Any) -> t.Any:
            r = api.request
            return f"{r.endpoint}|{r.blueprint}|{r.view_args}|{list(r.blueprints)}"

        s.app.errorhandler(Exception)(where)
        s.route(bp, "/<int:n>", raiser(Boom), endpoint="item")
        s.route(s.app, "/<name>", raiser(Boom), endpoint="named")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/3", "/zed"])
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"bp.item|bp|{'n': 3}|['bp']",
        b"named|None|{'name': 'zed'}|[]",
    ]


async def test_500_handler_on_blueprint_for_unhandled_error_in_app_hook() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @s.app.before_request
        def boom() -> None:
            if s.api.request.path != "/ok":
                raise ZeroDivisionError

        bp.errorhandler(500)(lambda e: ("bp 500", 500))
        s.app.errorhandler(500)(lambda e: ("app 500", 500))
        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.route(s.app, "/y", lambda: "y", endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"bp 500", b"app 500"]


async def test_abort_in_app_before_request_reaches_blueprint_code_handler() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        s.app.before_request(lambda: s.api.abort(403))
        bp.errorhandler(403)(lambda e: ("bp 403", 403))
        s.app.errorhandler(403)(lambda e: ("app 403", 403))
        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.route(s.app, "/y", lambda: "y", endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"bp 403", b"app 403"]


# -- after_request and error paths -----------------------------------------------


async def test_after_request_error_skips_user_handlers() -> None:
    """Flask: an after_request error goes to ``handle_exception`` directly: an
    ``errorhandler`` for its class is not called; the 500 handler is."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            if r.status_code == 200:
                raise Boom("in after")
            return r

        s.app.errorhandler(Boom)(lambda e: ev.append("boom handler") or ("boom", 409))

        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            ev.append(("500", name_of(e.original_exception)))
            return "five hundred", 500

        s.app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        s.route(s.app, "/", lambda: "ok", endpoint="index")

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (500, b"five hundred")
    assert theirs[0].events == [
        ("after", 200),
        ("500", "Boom"),
        ("after", 500),
        ("teardown", "Boom"),
    ]


async def test_abort_in_after_request_with_a_handler_for_its_code() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            if r.status_code == 200:
                s.api.abort(418)
            return r

        s.app.errorhandler(418)(lambda e: ev.append("418 handler") or ("teapot", 418))
        s.app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        s.route(s.app, "/", lambda: "ok", endpoint="index")

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert theirs[0].status == 500
    assert theirs[0].events == [("after", 200), ("after", 500), ("teardown", "ImATeapot")]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_abort_in_after_request_original_exception(endpoint_kind: str) -> None:
    """The 500 handler, ``got_request_exception`` and teardown see the HTTP
    error after_request raised."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def after(r: t.Any) -> t.Any:
            if r.status_code == 200:
                api.abort(418)
            return r

        @app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            ev.append(("500", name_of(e.original_exception)))
            return "five hundred", 500

        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return None

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.events == [("500", "ImATeapot"), ("teardown", "ImATeapot")]


async def test_after_request_error_while_handling_an_error_is_logged() -> None:
    """Flask: on the 500 path an after_request error is logged and the 500
    handler's response (as the hooks left it) goes out."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.after_request
        def first(r: t.Any) -> t.Any:  # runs last
            ev.append("first")
            return r

        @s.app.after_request
        def broken(r: t.Any) -> t.Any:
            r.headers["X-A"] = "touched"
            ev.append(("broken", r.status_code))
            raise RuntimeError("after")

        s.app.errorhandler(500)(lambda e: ("five hundred", 500))
        s.app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        s.route(s.app, "/", raiser(Boom), endpoint="index")

    theirs, ours = await run(setup, ["/"], select=("x-a", "content-type"))
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (500, b"five hundred")
    assert theirs[0].headers["x-a"] == ["touched"]
    assert theirs[0].events == [("broken", 500), ("teardown", "Boom")]


async def test_after_this_request_runs_on_the_error_handlers_response() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        def view() -> t.Any:
            @api.after_this_request
            def from_view(r: t.Any) -> t.Any:
                r.headers["X-A"] = "view"
                ev.append(("from_view", r.status_code))
                return r

            raise Boom()

        @s.app.errorhandler(Boom)
        def handle(e: t.Any) -> t.Any:
            @api.after_this_request
            def from_handler(r: t.Any) -> t.Any:
                r.headers["X-B"] = "handler"
                ev.append(("from_handler", r.status_code))
                return r

            return "handled", 409

        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            return r

        s.route(s.app, "/", view, endpoint="index")

    theirs, ours = await run(setup, ["/"], select=("x-a", "x-b"))
    assert ours == theirs
    assert theirs[0].events == [("from_view", 409), ("from_handler", 409), ("after", 409)]


async def test_after_this_request_on_the_500_path() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        def view() -> t.Any:
            @api.after_this_request
            def from_view(r: t.Any) -> t.Any:
                r.headers["X-A"] = "view"
                ev.append(("from_view", r.status_code))
                return r

            raise Boom()

        s.app.errorhandler(500)(lambda e: ("five hundred", 500))
        s.route(s.app, "/", view, endpoint="index")

    theirs, ours = await run(setup, ["/"], select=("x-a",))
    assert ours == theirs
    assert theirs[0].events == [("from_view", 500)]


async def test_before_request_redirect_skips_view_and_blueprint_hooks() -> None:
    """An app before_request returning a redirect: no blueprint before_request,
    no view; every after_request (the blueprint's too) and teardown run."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp", url_prefix="/bp")

        @s.app.before_request
        def login_required() -> t.Any:
            ev.append("app before")
            if api.request.path != "/login":
                return api.redirect(api.url_for("login"))
            return None

        bp.before_request(lambda: ev.append("bp before"))

        @bp.after_request
        def bp_after(r: t.Any) -> t.Any:
            ev.append(("bp after", r.status_code))
            return r

        @s.app.after_request
        def app_after(r: t.Any) -> t.Any:
            ev.append(("app after", r.status_code))
            return r

        bp.teardown_request(lambda exc: ev.append("bp teardown"))
        s.app.teardown_request(lambda exc: ev.append("app teardown"))
        s.route(bp, "/x", lambda: ev.append("view") or "x", endpoint="x")
        s.route(s.app, "/login", lambda: "login page", endpoint="login")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/login"], select=("location",))
    assert ours == theirs
    assert (theirs[0].status, theirs[0].headers["location"]) == (302, ["/login"])
    assert theirs[0].events == [
        "app before",
        ("bp after", 302),
        ("app after", 302),
        "bp teardown",
        "app teardown",
    ]


async def test_blueprint_before_request_error_handled_by_blueprint_then_its_after() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @bp.before_request
        def boom() -> None:
            raise Boom()

        bp.errorhandler(Boom)(lambda e: ("bp handled", 409))

        @bp.after_request
        def bp_after(r: t.Any) -> t.Any:
            ev.append(("bp after", r.status_code))
            return r

        bp.teardown_request(lambda exc: ev.append(("bp teardown", name_of(exc))))
        s.route(bp, "/x", lambda: ev.append("view") or "x", endpoint="x")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x"])
    assert ours == theirs
    assert theirs[0].events == [("bp after", 409), ("bp teardown", "NoneType")]


async def test_after_app_request_order_against_app_hooks() -> None:
    """``before_app_request``/``after_app_request`` join the app's lists when the
    blueprint is registered: their order follows registration."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")
        s.app.before_request(lambda: ev.append("app before 1"))
        bp.before_app_request(lambda: ev.append("bp app before"))
        bp.before_request(lambda: ev.append("bp before"))

        def after(tag: str) -> t.Callable[[t.Any], t.Any]:
            def f(r: t.Any) -> t.Any:
                ev.append(tag)
                return r

            return f

        s.app.after_request(after("app after 1"))
        bp.after_app_request(after("bp app after"))
        bp.after_request(after("bp after"))
        bp.teardown_app_request(lambda exc: ev.append("bp app teardown"))
        s.app.teardown_request(lambda exc: ev.append("app teardown 1"))
        s.route(bp, "/bp", lambda: "bp", endpoint="x")
        s.route(s.app, "/app", lambda: "app", endpoint="y")
        s.register(s.app, bp)
        s.app.before_request(lambda: ev.append("app before 2"))
        s.app.after_request(after("app after 2"))
        s.app.teardown_request(lambda exc: ev.append("app teardown 2"))

    theirs, ours = await run(setup, ["/bp", "/app", "/missing"])
    assert [o.events for o in ours] == [o.events for o in theirs]
    assert theirs[0].events == [
        "app before 1",
        "bp app before",
        "app before 2",
        "bp before",
        "bp after",
        "app after 2",
        "bp app after",
        "app after 1",
        "app teardown 2",
        "bp app teardown",
        "app teardown 1",
    ]


async def test_blueprint_hooks_not_run_for_a_404_under_its_prefix() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.before_request(lambda: ev.append("bp before"))
        bp.url_value_preprocessor(lambda ep, va: ev.append(("bp uvp", ep, va)))

        @bp.after_request
        def bp_after(r: t.Any) -> t.Any:
            ev.append("bp after")
            return r

        bp.teardown_request(lambda exc: ev.append("bp teardown"))
        s.app.url_value_preprocessor(lambda ep, va: ev.append(("app uvp", ep, va)))
        s.app.teardown_request(lambda exc: ev.append(("app teardown", name_of(exc))))
        s.app.errorhandler(404)(lambda e: ("app 404", 404))
        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/nope", "/bp/x"])
    assert ours == theirs
    assert theirs[0].events == [("app uvp", None, None), ("app teardown", "NoneType")]
    assert theirs[1].events == [
        ("app uvp", "bp.x", {}),
        ("bp uvp", "bp.x", {}),
        "bp before",
        "bp after",
        "bp teardown",
        ("app teardown", "NoneType"),
    ]


# -- teardown and g ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_g_in_teardown_request_and_appcontext(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.before_request(lambda: setattr(api.g, "a", "before"))
        app.teardown_request(lambda exc: ev.append(("request", sorted(api.g))))
        app.teardown_appcontext(
            lambda exc: ev.append(("appctx", sorted(api.g), api.g.get("c"), name_of(exc)))
        )

        @app.errorhandler(Boom)
        def handle(e: t.Any) -> t.Any:
            api.g.c = "handler"
            return "handled"

        def view() -> t.Any:
            api.g.b = "view"
            raise Boom()

        return view

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.events == [
        ("request", ["a", "b", "c"]),
        ("appctx", ["a", "b", "c"], "handler", "NoneType"),
    ]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_teardown_gets_the_after_request_error(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def after(r: t.Any) -> t.Any:
            if r.status_code == 200:
                raise Boom("after")
            return r

        app.teardown_request(lambda exc: ev.append(("request", name_of(exc))))
        app.teardown_appcontext(lambda exc: ev.append(("appctx", name_of(exc))))
        return None

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert theirs.status == 500
    assert theirs.events == [("request", "Boom"), ("appctx", "Boom")]


async def test_blueprint_teardown_receives_the_unhandled_exception() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        parent = s.blueprint("parent", url_prefix="/p")
        child = s.blueprint("child", url_prefix="/c")
        child.teardown_request(lambda exc: ev.append(("child", name_of(exc))))
        parent.teardown_request(lambda exc: ev.append(("parent", name_of(exc))))
        s.app.teardown_request(lambda exc: ev.append(("app", name_of(exc))))
        child.errorhandler(KeyError)(lambda e: "handled")
        s.route(child, "/boom", raiser(Boom), endpoint="boom")
        s.route(child, "/key", raiser(KeyError), endpoint="key")
        s.register(parent, child)
        s.register(s.app, parent)

    theirs, ours = await run(setup, ["/p/c/boom", "/p/c/key"])
    assert [(o.status, o.events) for o in ours] == [(o.status, o.events) for o in theirs]
    assert theirs[0].events == [("child", "Boom"), ("parent", "Boom"), ("app", "Boom")]
    assert theirs[1].events == [("child", "NoneType"), ("parent", "NoneType"), ("app", "NoneType")]


# -- url processors ----------------------------------------------------------------


async def test_nested_url_value_preprocessors_order_and_values() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        parent = s.blueprint("parent", url_prefix="/<org>")
        child = s.blueprint("child", url_prefix="/<repo>")

        @s.app.url_value_preprocessor
        def app_uvp(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            ev.append(("app", endpoint, dict(values or {})))

        @parent.url_value_preprocessor
        def parent_uvp(endpoint: str | None, values: dict[str, t.Any]) -> None:
            ev.append(("parent", endpoint, dict(values)))
            api.g.org = values.pop("org")

        @child.url_value_preprocessor
        def child_uvp(endpoint: str | None, values: dict[str, t.Any]) -> None:
            ev.append(("child", endpoint, dict(values)))

        s.app.before_request(lambda: ev.append(("before", dict(api.request.view_args))))

        def view(**kw: t.Any) -> t.Any:
            return f"{api.g.org}|{sorted(api.request.view_args)}"

        s.route(child, "/issues/<int:n>", view, endpoint="issue")
        s.register(parent, child)
        s.register(s.app, parent)

    theirs, ours = await run(setup, ["/acme/tools/issues/7"])
    assert ours == theirs
    assert theirs[0].body == b"acme|['n', 'repo']"
    assert theirs[0].events == [
        ("app", "parent.child.issue", {"org": "acme", "repo": "tools", "n": 7}),
        ("parent", "parent.child.issue", {"org": "acme", "repo": "tools", "n": 7}),
        ("child", "parent.child.issue", {"repo": "tools", "n": 7}),
        ("before", {"repo": "tools", "n": 7}),
    ]


async def test_url_defaults_app_and_blueprint_scopes() -> None:
    """App ``url_defaults`` run for every endpoint; a blueprint's only for its
    own (and its children's) endpoints, after the app's."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp", url_prefix="/bp")

        @s.app.url_defaults
        def app_defaults(endpoint: str, values: dict[str, t.Any]) -> None:
            ev.append(("app", endpoint, dict(values)))
            values.setdefault("src", "app")

        @bp.url_defaults
        def bp_defaults(endpoint: str, values: dict[str, t.Any]) -> None:
            ev.append(("bp", endpoint, dict(values)))
            values["src"] = "bp"

        def links() -> str:
            return " ".join(
                [api.url_for("home"), api.url_for("bp.page"), api.url_for(".page", src="me")]
            )

        s.route(s.app, "/", lambda: "home", endpoint="home")
        s.route(bp, "/page", links, endpoint="page")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/page"])
    assert ours == theirs
    assert theirs[0].body == b"/?src=app /bp/page?src=bp /bp/page?src=bp"
    assert theirs[0].events == [
        ("app", "home", {}),
        ("app", "bp.page", {}),
        ("bp", "bp.page", {"src": "app"}),
        ("app", "bp.page", {"src": "me"}),
        ("bp", "bp.page", {"src": "me"}),
    ]


async def test_url_value_preprocessor_error_is_handled() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @bp.url_value_preprocessor
        def bad(endpoint: str | None, values: t.Any) -> None:
            raise Boom()

        @s.app.url_value_preprocessor
        def app_bad(endpoint: str | None, values: t.Any) -> None:
            if endpoint == "y":
                raise KeyError("k")

        bp.errorhandler(Boom)(lambda e: ("bp Boom", 409))
        s.app.errorhandler(KeyError)(lambda e: ("app KeyError", 410))
        s.app.teardown_request(lambda exc: ev.append(name_of(exc)))
        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.route(s.app, "/y", lambda: "y", endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [(o.status, o.body, o.events) for o in theirs] == [
        (409, b"bp Boom", ["NoneType"]),
        (410, b"app KeyError", ["NoneType"]),
    ]


# -- blueprints registered twice, setup after registration ------------------------


async def test_blueprint_registered_twice_gets_its_handlers_under_each_name() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp")
        bp.errorhandler(Boom)(lambda e: f"handled in {api.request.blueprint}")
        bp.before_request(lambda: ev.append(("before", api.request.blueprint)))
        s.route(bp, "/boom", raiser(Boom), endpoint="boom")
        s.register(s.app, bp, url_prefix="/one")
        s.register(s.app, bp, url_prefix="/two", name="two")

    theirs, ours = await run(setup, ["/one/boom", "/two/boom"])
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [
        (b"handled in bp", [("before", "bp")]),
        (b"handled in two", [("before", "two")]),
    ]


def test_blueprint_setup_after_registration_is_an_assertion_error() -> None:
    from fastapi import FastAPI

    import fastapi_flaskcompat

    results = []
    for api, app in (
        (flask, flask.Flask("parity")),
        (fastapi_flaskcompat, fastapi_flaskcompat.FlaskCompat(FastAPI())),
    ):
        bp = api.Blueprint("bp", __name__)
        app.register_blueprint(bp)
        row = []
        for attempt in (
            lambda bp=bp: bp.errorhandler(404)(lambda e: e),
            lambda bp=bp: bp.before_request(lambda: None),
            lambda bp=bp: bp.app_errorhandler(500)(lambda e: e),
        ):
            try:
                attempt()
            except AssertionError as e:
                row.append(str(e).splitlines()[0])
            else:
                row.append(None)
        results.append(row)
    assert results[1] == results[0]
    assert results[0][0] == (
        "The setup method 'errorhandler' can no longer be called on the blueprint 'bp'."
        " It has already been registered at least once, any changes will not be"
        " applied consistently."
    )


def test_before_first_request_is_gone() -> None:
    from fastapi import FastAPI

    import fastapi_flaskcompat

    rows = []
    for api, app in (
        (flask, flask.Flask("parity")),
        (fastapi_flaskcompat, fastapi_flaskcompat.FlaskCompat(FastAPI())),
    ):
        bp = api.Blueprint("bp", __name__)
        rows.append(
            (
                hasattr(app, "before_first_request"),
                hasattr(bp, "before_app_first_request"),
                hasattr(app, "before_first_request_funcs"),
                hasattr(app, "got_first_request"),
            )
        )
    assert rows[1] == rows[0] == (False, False, False, False)


# -- signals against hooks ---------------------------------------------------------


async def test_got_request_exception_for_an_error_raised_by_a_handler_and_by_after() -> None:
    import flask.signals

    import fastapi_flaskcompat.signals

    connected = []

    def setup(s: Side, ev: list[t.Any]) -> None:
        sig = (flask.signals if s.is_flask else fastapi_flaskcompat.signals).got_request_exception

        def receiver(sender: t.Any, exception: BaseException, **kw: t.Any) -> None:
            ev.append(("got_request_exception", name_of(exception)))

        sig.connect(receiver, s.app)
        connected.append((sig, receiver, s.app))

        @s.app.errorhandler(Boom)
        def handle(e: t.Any) -> t.Any:
            ev.append("boom handler")
            raise KeyError("from handler")

        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            if s.api.request.path == "/after" and r.status_code == 200:
                raise ValueError()
            return r

        s.app.errorhandler(500)(lambda e: ev.append("500 handler") or ("500", 500))
        s.route(s.app, "/handler", raiser(Boom), endpoint="handler")
        s.route(s.app, "/after", lambda: "ok", endpoint="after")

    try:
        theirs, ours = await run(setup, ["/handler", "/after"])
    finally:
        for sig, receiver, sender in connected:
            sig.disconnect(receiver, sender)
    assert [(o.status, o.events) for o in ours] == [(o.status, o.events) for o in theirs]
    assert theirs[0].events == [
        "boom handler",
        ("got_request_exception", "KeyError"),
        "500 handler",
        ("after", 500),
    ]
    assert theirs[1].events == [
        ("after", 200),
        ("got_request_exception", "ValueError"),
        "500 handler",
        ("after", 500),
    ]


# -- InternalServerError ------------------------------------------------------------


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_internal_server_error_as_the_500_handler_sees_it(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(InternalServerError)
        def h500(e: t.Any) -> t.Any:
            orig = e.original_exception
            ev.append(
                (
                    type(e).__name__,
                    e.code,
                    e.name,
                    e.description,
                    type(orig).__name__,
                    str(orig),
                    orig.__traceback__ is not None,
                )
            )
            return e

        return raiser(Boom("the cause"))

    theirs, ours = await run_both(
        setup, endpoint_kind=endpoint_kind, select=("content-type", "content-length")
    )
    assert ours == theirs
    assert theirs.events[0][:6] == (
        "InternalServerError",
        500,
        "Internal Server Error",
        InternalServerError.description,
        "Boom",
        "the cause",
    )


async def test_raising_internal_server_error_with_original_exception() -> None:
    """A view raising ``InternalServerError(original_exception=...)`` itself: the
    500 handler gets that object (it is an HTTPException), not a new wrapper."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            return f"{type(e.original_exception).__name__} {e.description}", 500

        err = InternalServerError("custom description", original_exception=KeyError("k"))
        s.route(s.app, "/", raiser(err), endpoint="index")

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert theirs[0].body == b"KeyError custom description"


async def test_exception_handler_on_code_500_and_class_exception_both() -> None:
    """With ``errorhandler(Exception)`` and ``errorhandler(500)``: an unhandled
    error goes to the Exception one (class lookup in handle_user_exception);
    ``abort(500)`` to the 500 one (code first)."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(Exception)(lambda e: (f"Exception {type(e).__name__}", 500))
        s.app.errorhandler(500)(lambda e: (f"500 {type(e).__name__}", 500))
        s.route(s.app, "/boom", raiser(Boom), endpoint="boom")
        s.route(s.app, "/abort", lambda: s.api.abort(500), endpoint="abort")
        s.route(s.app, "/nf", lambda: s.api.abort(404), endpoint="nf")

    theirs, ours = await run(setup, ["/boom", "/abort", "/nf", "/missing"])
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"Exception Boom",
        b"500 InternalServerError",
        b"Exception NotFound",
        b"Exception NotFound",
    ]


async def test_405_handler_and_generic_handler() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(Forbidden)(lambda e: "forbidden")

        @s.app.errorhandler(HTTPException)
        def generic(e: t.Any) -> t.Any:
            return f"{e.code} {type(e).__name__}", e.code

        s.route(s.app, "/only-get", lambda: "x", endpoint="only_get")

    theirs, ours = await run(setup, [Req("/only-get", method="POST")])
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (405, b"405 MethodNotAllowed")


async def test_url_for_query_string_encoding_in_a_redirect() -> None:
    """Werkzeug keeps ``/:@?;,!$'()*`` unescaped in url_for's query string."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        def go() -> t.Any:
            return api.redirect(
                api.url_for("login", next="/a/b?c=d", s="a:b@c;d,e", sp="x y", u="é", n=None)
            )

        s.route(s.app, "/go", go, endpoint="go")
        s.route(s.app, "/login", lambda: "login", endpoint="login")

    theirs, ours = await run(setup, ["/go"], select=("location",))
    assert ours[0].headers == theirs[0].headers
    assert theirs[0].headers["location"] == ["/login?next=/a/b?c%3Dd&s=a:b@c;d,e&sp=x+y&u=%C3%A9"]


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_before_request_error_of_each_hook_kind_is_handled(hook_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        hook = hook_as(api, hook_kind)

        @app.before_request
        @hook
        def boom() -> None:
            raise SubBoom()

        app.errorhandler(Boom)(lambda e: (f"handled {type(e).__name__}", 409))

        @app.after_request
        @hook
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            return r

        app.teardown_request(hook(lambda exc: ev.append(("teardown", name_of(exc)))))
        return lambda: ev.append("view") or "view"

    theirs, ours = await run_both(setup)
    assert ours == theirs
    assert theirs.events == [("after", 409), ("teardown", "NoneType")]


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_abort_in_after_request_of_each_hook_kind(hook_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        @hook_as(api, hook_kind)
        def after(r: t.Any) -> t.Any:
            if r.status_code == 200:
                api.abort(403)
            return r

        app.errorhandler(500)(lambda e: (f"500 {name_of(e.original_exception)}", 500))
        app.teardown_request(lambda exc: ev.append(("teardown", name_of(exc))))
        return None

    theirs, ours = await run_both(setup)
    assert ours == theirs
    assert (theirs.body, theirs.events) == (b"500 Forbidden", [("teardown", "Forbidden")])


async def test_code_handler_on_blueprint_beats_class_handler_on_app() -> None:
    """A handler for a Werkzeug subclass is registered under its code: the
    blueprint's ``errorhandler(403)`` is searched before the app's
    ``errorhandler(MyForbidden)``."""

    class MyForbidden(Forbidden):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.errorhandler(403)(lambda e: ("bp 403", 403))
        s.app.errorhandler(MyForbidden)(lambda e: ("app MyForbidden", 403))
        s.route(bp, "/x", raiser(MyForbidden), endpoint="x")
        s.route(s.app, "/y", raiser(MyForbidden), endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"bp 403", b"app MyForbidden"]


async def test_app_errorhandler_from_a_blueprint_answers_the_routers_404() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("errors")
        bp.app_errorhandler(404)(lambda e: (f"errors 404 {s.api.request.blueprint}", 404))
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/nowhere"])
    assert ours == theirs
    assert theirs[0].body == b"errors 404 None"


@pytest.mark.parametrize("case", ["none", "int"])
async def test_handler_returning_an_invalid_value_for_a_routing_404(case: str) -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(404)(lambda e: None if case == "none" else 42)

        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            return f"500 {name_of(e.original_exception)}", 500

        s.app.teardown_request(lambda exc: ev.append(name_of(exc)))
        s.route(s.app, "/abort", lambda: s.api.abort(404), endpoint="abort")

    theirs, ours = await run(setup, ["/abort", "/nowhere"])
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [(b"500 TypeError", ["TypeError"])] * 2


async def test_a_raising_500_handler_lets_the_original_error_reach_teardown() -> None:
    """Flask's ``wsgi_app`` keeps ``error = e`` before calling handle_exception:
    when the 500 handler itself raises, teardown still gets the original error,
    ``got_request_exception`` fires once, and the handler's error escapes."""
    import flask.signals
    import httpx

    import fastapi_flaskcompat.signals

    from .twoapps import flask_side, our_side

    results = []
    for side in (flask_side(None), our_side(None)):
        ev: list[t.Any] = []
        sig = (
            flask.signals if side.is_flask else fastapi_flaskcompat.signals
        ).got_request_exception

        def receiver(
            sender: t.Any, exception: BaseException, ev: list[t.Any] = ev, **kw: t.Any
        ) -> None:
            ev.append(("got_request_exception", name_of(exception)))

        sig.connect(receiver, side.app)

        @side.app.errorhandler(500)
        def h500(e: t.Any, ev: list[t.Any] = ev) -> t.Any:
            ev.append("500 handler")
            raise KeyError("500 handler failed")

        side.app.teardown_request(lambda exc, ev=ev: ev.append(("teardown", name_of(exc))))
        side.app.teardown_appcontext(lambda exc, ev=ev: ev.append(("appctx", name_of(exc))))
        side.route(side.app, "/", raiser(Boom("original")), endpoint="index")
        escaped: BaseException | None = None
        try:
            if side.is_flask:
                side.app.test_client().get("/")
            else:
                transport = httpx.ASGITransport(app=side.app.fastapi_app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                    await c.get("/")
        except Exception as e:
            escaped = e
        finally:
            sig.disconnect(receiver, side.app)
        results.append((name_of(escaped), ev))
    theirs, ours = results
    assert theirs == (
        "KeyError",
        [
            ("got_request_exception", "Boom"),
            "500 handler",
            ("teardown", "Boom"),
            ("appctx", "Boom"),
        ],
    )
    assert ours == theirs


async def test_view_calling_the_apps_handle_methods() -> None:
    """Legacy code calls ``current_app.handle_user_exception(e)`` /
    ``handle_http_exception(e)`` / ``handle_exception(e)`` itself. Flask's
    ``handle_exception`` also sends ``got_request_exception`` and runs
    after_request (``finalize_request``) on the 500 response it returns."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        s.app.errorhandler(Boom)(lambda e: ("user handled", 409))
        s.app.errorhandler(404)(lambda e: ("http handled", 404))
        s.app.errorhandler(500)(lambda e: (f"500 {name_of(e.original_exception)}", 500))

        @s.app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            return r

        def user() -> t.Any:
            rv = api.current_app.handle_user_exception(Boom())
            return api.make_response(rv)

        def http() -> t.Any:
            return api.make_response(api.current_app.handle_http_exception(NotFound()))

        def server() -> t.Any:
            return api.current_app.handle_exception(Boom())

        s.route(s.app, "/user", user, endpoint="user")
        s.route(s.app, "/http", http, endpoint="http")
        s.route(s.app, "/server", server, endpoint="server")

    theirs, ours = await run(setup, ["/user", "/http", "/server"])
    assert [(o.status, o.body) for o in ours] == [(o.status, o.body) for o in theirs]
    assert [(o.status, o.body) for o in theirs] == [
        (409, b"user handled"),
        (404, b"http handled"),
        (500, b"500 Boom"),
    ]
    assert [o.events for o in ours] == [o.events for o in theirs]
    assert theirs[2].events == [("after", 500), ("after", 500)]


async def test_session_saved_from_error_handlers() -> None:
    """A session change in an error handler (or the 500 handler) is saved."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        @s.app.errorhandler(Boom)
        def handle(e: t.Any) -> t.Any:
            api.session["seen"] = "boom"
            return "handled", 409

        @s.app.errorhandler(500)
        def h500(e: t.Any) -> t.Any:
            api.session["seen"] = "500"
            return "five hundred", 500

        s.route(s.app, "/boom", raiser(Boom), endpoint="boom")
        s.route(s.app, "/key", raiser(KeyError), endpoint="key")

    theirs, ours = await run(
        setup, ["/boom", "/key"], select=("set-cookie",), config={"SECRET_KEY": "k"}
    )
    assert [(o.status, bool(o.headers["set-cookie"])) for o in ours] == [
        (o.status, bool(o.headers["set-cookie"])) for o in theirs
    ]
    assert [bool(o.headers["set-cookie"]) for o in theirs] == [True, True]


async def test_app_before_request_error_on_a_blueprint_route_runs_blueprint_after() -> None:
    """Flask knows the blueprint at push: when an app before_request fails (handled
    or unhandled), the blueprint's after_request and teardown still run."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp", url_prefix="/bp")

        @s.app.before_request
        def gate() -> None:
            if api.request.path.endswith("boom"):
                raise Boom()
            if api.request.path.endswith("key"):
                raise KeyError("unhandled")
            api.abort(401)

        s.app.errorhandler(Boom)(lambda e: ("app handled", 409))

        @bp.after_request
        def bp_after(r: t.Any) -> t.Any:
            ev.append(("bp after", r.status_code))
            return r

        bp.teardown_request(lambda exc: ev.append(("bp teardown", name_of(exc))))
        s.route(bp, "/boom", lambda: "x", endpoint="boom")
        s.route(bp, "/key", lambda: "x", endpoint="key")
        s.route(bp, "/abort", lambda: "x", endpoint="abort")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/boom", "/bp/key", "/bp/abort"])
    assert ours == theirs
    assert [o.events for o in theirs] == [
        [("bp after", 409), ("bp teardown", "NoneType")],
        [("bp after", 500), ("bp teardown", "KeyError")],
        [("bp after", 401), ("bp teardown", "NoneType")],
    ]
