"""Hooks: order, short-circuit, return-value conversion, after_request edits,
teardown arguments. Ported from Flask 3.1's tests/test_basic.py
(test_request_processing, test_after_request_processing,
test_before_after_request_order, test_teardown_request_handler*,
test_response_types, test_response_type_errors, test_make_response*).
"""

from __future__ import annotations

import logging
import re
import typing as t

import flask
import pytest
from fastapi.responses import PlainTextResponse
from support import client_for
from werkzeug.datastructures import Headers

from .harness import (
    ENDPOINT_KINDS,
    HOOK_KINDS,
    Api,
    build_compat,
    build_flask,
    exc_info,
    hook_as,
    run_both,
)

pytestmark = pytest.mark.anyio

SELECT = ("content-type", "content-length", "x-a", "set-cookie", "x-order")


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_before_request_order_and_short_circuit(hook_kind: str) -> None:
    """The first before_request returning a value wins: later hooks and the
    view don't run, after_request runs on that response, teardown runs."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        hook = hook_as(api, hook_kind)

        @app.before_request
        @hook
        def b1() -> None:
            ev.append("b1")

        @app.before_request
        @hook
        def b2() -> t.Any:
            ev.append("b2")
            return "stopped", 403

        @app.before_request
        @hook
        def b3() -> None:
            ev.append("b3")

        @app.after_request
        @hook
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code, response.get_data()))
            return response

        @app.teardown_request
        @hook
        def teardown(exc: t.Any) -> None:
            ev.append(("teardown", exc))

        def view() -> str:
            ev.append("view")
            return "view"

        return view

    theirs, ours = await run_both(setup, select=SELECT)
    assert ours == theirs
    assert theirs.events == ["b1", "b2", ("after", 403, b"stopped"), ("teardown", None)]


def _json_body(api: Api) -> t.Any:
    return {"b": [1, 2], "a": "é"}


# Each returns what a view / before_request hook returns (api is flask or ours).
RETURN_VALUES: dict[str, t.Callable[[Api], t.Any]] = {
    "str": lambda api: "text",
    "bytes": lambda api: b"bytes",
    "dict": _json_body,
    "list": lambda api: [1, "two", None],
    "body_status": lambda api: ("created", 201),
    "body_status_str": lambda api: ("created", "201 CREATED"),
    "body_status_custom_str": lambda api: ("odd", "299 ODD"),
    "body_status_none": lambda api: ("body", None),
    "body_status_headers": lambda api: ("body", 202, {"X-A": "1"}),
    "body_headers_dict": lambda api: ("body", {"X-A": "1"}),
    "body_headers_list": lambda api: ("body", [("X-A", "1"), ("X-A", "2")]),
    "body_headers_obj": lambda api: ("body", Headers([("X-A", "h")])),
    "body_headers_content_type": lambda api: ("x", {"Content-Type": "text/plain"}),
    "dict_status": lambda api: ({"a": 1}, 201),
    "list_status_headers": lambda api: ([1], 418, [("X-A", "tea")]),
    "iterator": lambda api: iter([b"a", b"b"]),
    "response": lambda api: api.Response("resp", status=203, headers={"X-A": "r"}),
    "response_status": lambda api: (api.Response("resp"), 204),
    "response_headers": lambda api: (api.Response("resp", status=206), {"X-A": "2"}),
    "jsonify_status": lambda api: (api.jsonify(ok=True), 400),
    "make_response": lambda api: api.make_response("made", 404, {"X-A": "m"}),
    "make_response_none": lambda api: api.make_response(),
    "make_response_tuple": lambda api: api.make_response(("made", 207)),
}


@pytest.mark.parametrize("case", list(RETURN_VALUES))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_view_return_value_conversion(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: RETURN_VALUES[case](api)

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    assert ours == theirs


@pytest.mark.parametrize("case", list(RETURN_VALUES))
async def test_before_request_return_value_conversion(case: str) -> None:
    """Intended difference: a custom reason phrase ("299 ODD") does not reach
    after_request (ASGI carries the status code only: "299 UNKNOWN")."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.before_request(lambda: RETURN_VALUES[case](api))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append((response.status, response.mimetype))
            return response

    theirs, ours = await run_both(setup, select=SELECT)
    if case == "body_status_custom_str":
        assert theirs.events == [("299 ODD", "text/html")]
        assert ours.events == [("299 UNKNOWN", "text/html")]
        theirs.events = ours.events
    assert ours == theirs
    assert theirs.events


async def test_before_request_returning_a_starlette_response() -> None:
    """No Flask counterpart: a Starlette response from before_request is sent
    as is, and after_request sees it as a Flask-style response."""
    from .harness import compat_observe

    events: list[t.Any] = []

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        app.before_request(lambda: PlainTextResponse("plain", status_code=409))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append((response.status, response.get_data()))
            response.headers["X-A"] = "seen"
            return response

    ours = await compat_observe(build_compat(setup, events), events, select=SELECT)
    assert (ours.status, ours.body, ours.headers["x-a"]) == (409, b"plain", ["seen"])
    assert events == [("409 CONFLICT", b"plain")]


BAD_RETURN_VALUES: dict[str, t.Any] = {
    "none": None,
    "one_tuple": ("a",),
    "four_tuple": ("a", 200, {}, "x"),
    "int": 42,
    "object": object(),
    "bad_header_tuple": ("a", 200, 5),
}


@pytest.mark.parametrize("case", list(BAD_RETURN_VALUES))
def test_make_response_type_errors(case: str) -> None:
    """Exception type and message equal to Flask's ``app.make_response``."""
    rv = BAD_RETURN_VALUES[case]
    results = []
    flask_app = build_flask(lambda api, app, ev: None, [])
    compat = build_compat(lambda api, app, ev: None, [])
    for app in (flask_app, compat):
        with app.test_request_context("/"):
            results.append(exc_info(lambda app=app: app.make_response(rv)))
    theirs, ours = results
    assert ours == theirs
    assert theirs is not None and theirs[0] in ("TypeError", "ValueError", "AttributeError")


@pytest.mark.parametrize("case", ["none", "one_tuple", "int"])
async def test_bad_before_request_value_is_a_500(case: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        app.before_request(lambda: BAD_RETURN_VALUES[case] if case != "none" else (None, 200))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code))
            return response

        app.teardown_request(lambda exc: ev.append(("teardown", type(exc).__name__, str(exc))))

    theirs, ours = await run_both(setup, select=())
    assert (ours.status, ours.events, ours.body) == (theirs.status, theirs.events, theirs.body)
    assert theirs.status == 500 and theirs.events[0] == ("after", 500)
    assert theirs.events[1][1] == "TypeError"


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_after_request_reverse_order_and_edits(hook_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        hook = hook_as(api, hook_kind)

        @app.after_request
        @hook
        def registered_first(response: t.Any) -> t.Any:
            ev.append("first")
            response.headers["X-Order"] = response.headers.get("X-Order", "") + "first"
            response.set_data(response.get_data() + b"+first")
            return response

        @app.after_request
        @hook
        def registered_second(response: t.Any) -> t.Any:
            ev.append("second")
            response.status_code = 202
            response.headers["X-Order"] = "second,"
            response.set_cookie("sid", "abc", httponly=True, path="/p", max_age=60)
            response.delete_cookie("old")
            return response

        def view() -> str:
            @api.after_this_request
            def this_request(response: t.Any) -> t.Any:
                ev.append("this_request")
                response.headers["X-A"] = "this"
                return response

            return "body"

        return view

    theirs, ours = await run_both(setup, select=(*SELECT, "expires"))
    for observation in (theirs, ours):
        # Expires= is now + max_age: the two runs may straddle a second.
        observation.headers["set-cookie"] = [
            re.sub(r"Expires=[^;]+", "Expires=<now+60>", c)
            for c in observation.headers["set-cookie"]
        ]
    assert ours == theirs
    assert theirs.events == ["this_request", "second", "first"]
    assert theirs.body == b"body+first"
    assert theirs.status == 202
    assert theirs.headers["x-order"] == ["second,first"]
    assert len(theirs.headers["set-cookie"]) == 2


async def test_after_request_replaces_the_response() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        @app.after_request
        def replace(response: t.Any) -> t.Any:
            return api.make_response(({"was": response.status_code}, 410, {"X-A": "new"}))

    theirs, ours = await run_both(setup, select=SELECT)
    assert ours == theirs
    assert theirs.status == 410


async def test_after_request_must_return_a_response() -> None:
    """Intended difference: Flask fails outside its error handling (calling
    ``None`` as the WSGI response: the server answers 500, teardown sees no
    error); ours fails inside the middleware with a message naming the
    mistake: 500, and teardown gets that TypeError."""
    from .harness import compat_observe

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        app.after_request(lambda response: None)
        app.teardown_request(lambda exc: ev.append(exc))

    flask_events: list[t.Any] = []
    flask_app = build_flask(setup, flask_events)
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        flask_app.test_client().get("/")
    assert flask_events == [None]

    events: list[t.Any] = []
    ours = await compat_observe(build_compat(setup, events), events, select=())
    assert ours.status == 500
    assert [type(e) for e in events] == [TypeError]
    assert "after_request function must return a response" in str(events[0])


@pytest.mark.parametrize("hook_kind", HOOK_KINDS)
async def test_teardown_order(hook_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        hook = hook_as(api, hook_kind)
        for name in ("r1", "r2"):
            app.teardown_request(hook(lambda exc, name=name: ev.append((name, exc))))
        for name in ("a1", "a2"):
            app.teardown_appcontext(hook(lambda exc, name=name: ev.append((name, exc))))

    theirs, ours = await run_both(setup)
    assert ours == theirs
    assert theirs.events == [("r2", None), ("r1", None), ("a2", None), ("a1", None)]


def _raising_setup(where: str, exc: BaseException) -> t.Any:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        if where == "before":
            app.before_request(lambda: (_ for _ in ()).throw(exc))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code))
            return response

        app.teardown_request(lambda e: ev.append(("request", e is exc, type(e).__name__)))
        app.teardown_appcontext(lambda e: ev.append(("app", e is exc, type(e).__name__)))

        def view() -> str:
            if where == "view":
                raise exc
            return "ok"

        return view

    return setup


@pytest.mark.parametrize("where", ["before", "view"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_teardown_gets_the_unhandled_exception(where: str, endpoint_kind: str) -> None:
    """Also: after_request runs on the 500 response, Werkzeug's page as Flask's."""
    exc = ZeroDivisionError("boom")
    theirs, ours = await run_both(
        _raising_setup(where, exc), endpoint_kind=endpoint_kind, select=()
    )
    assert (ours.status, ours.events) == (theirs.status, theirs.events)
    assert theirs.events == [
        ("after", 500),
        ("request", True, "ZeroDivisionError"),
        ("app", True, "ZeroDivisionError"),
    ]
    assert ours.body == theirs.body and b"500 Internal Server Error" in ours.body


@pytest.mark.parametrize("where", ["before", "view"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_teardown_gets_none_for_handled_exceptions(where: str, endpoint_kind: str) -> None:
    """A handled exception (Flask errorhandler / FastAPI exception handler)
    is not an error for teardown."""

    class Handled(Exception):
        pass

    exc = Handled("x")

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        view = _raising_setup(where, exc)(api, app, ev)

        def handler(*args: t.Any) -> t.Any:
            ev.append(("handler", api.g.get("marker")))
            return api.make_response(("handled", 409, {"X-A": "h"}))

        app.before_request(lambda: setattr(api.g, "marker", "m") if where == "view" else None)
        if api is flask:
            app.errorhandler(Handled)(handler)
        else:
            app.fastapi_app.add_exception_handler(Handled, handler)
        return view

    theirs, ours = await run_both(setup, endpoint_kind=endpoint_kind, select=SELECT)
    assert ours == theirs
    assert theirs.status == 409
    assert theirs.events[1:] == [
        ("after", 409),
        ("request", False, "NoneType"),
        ("app", False, "NoneType"),
    ]


@pytest.mark.parametrize("where", ["before", "view", "after"])
async def test_abort_gives_the_status_and_teardown_none(where: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        if where == "before":
            app.before_request(lambda: api.abort(401))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code))
            if where == "after" and response.status_code == 200:
                api.abort(418)
            return response

        app.teardown_request(lambda e: ev.append(("teardown", e)))

        def view() -> str:
            if where == "view":
                api.abort(403, description="Not yours.")
            return "ok"

        return view

    theirs, ours = await run_both(setup, select=("content-type", "content-length"))
    if where == "after":
        # Flask: an exception in after_request is unhandled -> 500, and the
        # 418 is never seen. Ours runs after_request in the middleware: same.
        assert (ours.status, ours.events[0]) == (theirs.status, theirs.events[0])
        return
    assert ours == theirs
    assert theirs.events[-1] == ("teardown", None)


async def test_teardown_error_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Intended difference (SPEC: Hooks, "their own errors are logged"):
    Flask 3.1 propagates an error raised in a teardown_request function and
    skips the remaining teardown_request functions (teardown_appcontext still
    runs); ours logs it and runs all the others, and the response is
    unaffected."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        app.teardown_request(lambda exc: ev.append("r1"))  # runs last

        @app.teardown_request
        def broken(exc: t.Any) -> None:
            ev.append("broken")
            raise ValueError("teardown failed")

        app.teardown_appcontext(lambda exc: ev.append("a1"))

    flask_events: list[t.Any] = []
    flask_app = build_flask(setup, flask_events)
    with pytest.raises(ValueError, match="teardown failed"):
        flask_app.test_client().get("/")
    assert flask_events == ["broken", "a1"]

    from .harness import compat_observe

    events: list[t.Any] = []
    compat = build_compat(setup, events)
    with caplog.at_level(logging.ERROR, logger=compat.logger.name):
        ours = await compat_observe(compat, events)
    assert (ours.status, ours.body) == (200, b"view")
    assert events == ["broken", "r1", "a1"]
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ValueError]
    assert len(logged) == 1


@pytest.mark.parametrize(("path", "method"), [("/nope", "GET"), ("/", "POST")])
async def test_after_request_and_teardown_on_routing_errors(path: str, method: str) -> None:
    """Flask runs before/after_request and teardown on 404/405 too.

    Intended differences: the body is FastAPI's JSON (``{"detail": ...}``)
    instead of Werkzeug's HTML page; ``request.endpoint`` is None for a 404
    in both, and for a 405 Flask has no endpoint while ours names the route
    whose path matched (its ``url_rule``)."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        app.before_request(lambda: ev.append(("before", api.request.path)))

        @app.after_request
        def after(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code))
            return response

        app.teardown_request(lambda e: ev.append(("teardown", e)))

    theirs, ours = await run_both(setup, path, method=method, methods=["GET"], select=("allow",))
    assert (ours.status, ours.events) == (theirs.status, theirs.events)

    # Intended difference: Flask adds HEAD and OPTIONS to Allow, FastAPI doesn't.
    def allowed(o: t.Any) -> set[str]:
        return {m.strip() for v in o.headers["allow"] for m in v.split(",")}

    assert allowed(ours) == allowed(theirs) - {"HEAD", "OPTIONS"}
    assert ours.body.startswith(b'{"detail":')


@pytest.mark.parametrize("when", ["before_first_request", "after_first_request"])
async def test_hooks_appended_to_the_registries_directly_run(when: str) -> None:
    """Flask-Caching and others append to ``before_request_funcs[None]`` and
    ``after_request_funcs[None]`` themselves, also once the app has served."""

    def register(app: t.Any, ev: list[t.Any]) -> None:
        app.before_request_funcs.setdefault(None, []).append(lambda: ev.append("before"))

        def after(response: t.Any) -> t.Any:
            ev.append("after")
            response.headers["X-A"] = "appended"
            return response

        app.after_request_funcs[None].append(after)
        app.teardown_request_funcs[None].append(lambda exc: ev.append("teardown"))
        app.teardown_appcontext_funcs.append(lambda exc: ev.append("appcontext"))

    events: dict[str, list[t.Any]] = {}
    observed = {}
    for side in ("flask", "ours"):
        ev: list[t.Any] = []

        def setup(api: Api, app: t.Any, _: list[t.Any], ev: list[t.Any] = ev) -> t.Any:
            if when == "before_first_request":
                register(app, ev)
            return None

        if side == "flask":
            flask_app = build_flask(setup, ev)
            client = flask_app.test_client()
            client.get("/")
            if when == "after_first_request":
                register(flask_app, ev)
            r = client.get("/")
            observed[side] = (r.status_code, r.headers.get("X-A"))
        else:
            compat = build_compat(setup, ev)
            async with client_for(compat.fastapi_app) as client:
                await client.get("/")
                if when == "after_first_request":
                    register(compat, ev)
                r2 = await client.get("/")
            observed[side] = (r2.status_code, r2.headers.get("x-a"))
        events[side] = ev
    assert observed["ours"] == observed["flask"] == (200, "appended")
    assert events["ours"] == events["flask"]
    assert events["flask"][-4:] == ["before", "after", "teardown", "appcontext"]
