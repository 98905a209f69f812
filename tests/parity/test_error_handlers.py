"""Flask error handlers, run side by side under Flask and FlaskCompat.

Ported from Flask 3.1's tests/test_user_error_handler.py (all of it) and the
error-handling cases of tests/test_basic.py (test_error_handling,
test_error_handling_processing, test_baseexception_error_handling,
test_user_error_handling, test_http_error_subclass_handling,
test_errorhandler_precedence, test_trap_bad_request_key_error,
test_trapping_of_all_http_exceptions, test_error_handler_after_processor_error,
test_teardown_request_handler_error). Each case asserts both sides answer
alike and, on Flask's side, the literal answer of Flask's own test.

Flask's tests run with ``app.testing = True`` unless they set it False;
these run without it (both sides answer with a response, as in
production), and where Flask's test expects an exception to escape, the
``raised`` harness checks the same exception reaches the server here.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)

from .harness import exc_info
from .twoapps import Req, Side, flask_side, our_side, raised, run

pytestmark = pytest.mark.anyio


def report_error(e: BaseException) -> str:
    """Flask's TestGenericHandlers.report_error."""
    original = getattr(e, "original_exception", None)
    if original is not None:
        return f"wrapped {type(original).__name__}"
    return f"direct {type(e).__name__}"


def raiser(exc: BaseException | type[BaseException]) -> t.Callable[[], t.Any]:
    def view() -> t.Any:
        raise exc

    return view


# -- tests/test_user_error_handler.py ---------------------------------------------


def test_error_handler_no_match_registration_errors() -> None:
    class CustomException(Exception):
        pass

    messages = []
    for side in (flask_side(None), our_side(None)):
        app = side.app
        messages.append(
            [
                exc_info(lambda app=app: app.register_error_handler(CustomException(), None)),
                exc_info(lambda app=app: app.register_error_handler(list, None)),
                exc_info(lambda app=app: app.register_error_handler(999, None)),
            ]
        )
    theirs, ours = messages
    assert ours == theirs
    assert theirs[0][0] == "TypeError"
    assert "CustomException() is an instance, not a class." in theirs[0][1]
    assert theirs[1] == (
        "ValueError",
        "'list' is not a subclass of Exception. Handlers can only be registered for"
        " Exception classes or HTTP error codes.",
    )
    assert theirs[2][0] == "ValueError"
    assert "Use a subclass of HTTPException" in theirs[2][1]


async def test_error_handler_no_match() -> None:
    class CustomException(Exception):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        app = s.app

        @app.errorhandler(CustomException)
        def custom_exception_handler(e: Exception) -> str:
            assert isinstance(e, CustomException)
            return "custom"

        @app.errorhandler(500)
        def handle_500(e: t.Any) -> str:
            assert isinstance(e, InternalServerError)
            if e.original_exception is not None:
                return f"wrapped {type(e.original_exception).__name__}"
            return "direct"

        s.route(app, "/custom", raiser(CustomException), endpoint="custom_test")
        s.route(app, "/keyerror", raiser(KeyError), endpoint="key_error")
        s.route(app, "/abort", lambda: s.api.abort(500), endpoint="do_abort")

    theirs, ours = await run(setup, ["/custom", "/keyerror", "/abort"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"custom", b"wrapped KeyError", b"direct"]
    assert [o.status for o in theirs] == [200, 200, 200]


async def test_error_handler_subclass() -> None:
    class ParentException(Exception):
        pass

    class ChildExceptionUnregistered(ParentException):
        pass

    class ChildExceptionRegistered(ParentException):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(ParentException)
        def parent_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "parent"

        @s.app.errorhandler(ChildExceptionRegistered)
        def child_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "child-registered"

        s.route(s.app, "/parent", raiser(ParentException), endpoint="parent_test")
        s.route(s.app, "/child-unregistered", raiser(ChildExceptionUnregistered), endpoint="u")
        s.route(s.app, "/child-registered", raiser(ChildExceptionRegistered), endpoint="r")

    theirs, ours = await run(setup, ["/parent", "/child-unregistered", "/child-registered"])
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [
        (b"parent", ["ParentException"]),
        (b"parent", ["ChildExceptionUnregistered"]),
        (b"child-registered", ["ChildExceptionRegistered"]),
    ]


async def test_error_handler_http_subclass() -> None:
    class ForbiddenSubclassRegistered(Forbidden):
        pass

    class ForbiddenSubclassUnregistered(Forbidden):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(403)
        def code_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "forbidden"

        @s.app.errorhandler(ForbiddenSubclassRegistered)
        def subclass_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "forbidden-registered"

        s.route(s.app, "/forbidden", raiser(Forbidden), endpoint="forbidden_test")
        s.route(s.app, "/forbidden-registered", raiser(ForbiddenSubclassRegistered), endpoint="r")
        s.route(
            s.app, "/forbidden-unregistered", raiser(ForbiddenSubclassUnregistered), endpoint="u"
        )

    paths = ["/forbidden", "/forbidden-unregistered", "/forbidden-registered"]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [
        (b"forbidden", ["Forbidden"]),
        (b"forbidden", ["ForbiddenSubclassUnregistered"]),
        (b"forbidden-registered", ["ForbiddenSubclassRegistered"]),
    ]


async def test_error_handler_blueprint() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")

        @bp.errorhandler(500)
        def bp_exception_handler(e: Exception) -> str:
            return "bp-error"

        s.route(bp, "/error", raiser(InternalServerError), endpoint="bp_test")

        @s.app.errorhandler(500)
        def app_exception_handler(e: Exception) -> str:
            return "app-error"

        s.route(s.app, "/error", raiser(InternalServerError), endpoint="app_test")
        s.register(s.app, bp, url_prefix="/bp")

    theirs, ours = await run(setup, ["/error", "/bp/error"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"app-error", b"bp-error"]


async def test_default_error_handler() -> None:
    """An ``errorhandler(HTTPException)`` also answers the router's own 404
    (``/undefined`` has no route: FastAPI's "no route" here)."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")

        @bp.errorhandler(HTTPException)
        def bp_exception_handler(e: Exception) -> str:
            ev.append(("bp-default", type(e).__name__))
            return "bp-default"

        @bp.errorhandler(Forbidden)
        def bp_forbidden_handler(e: Exception) -> str:
            assert isinstance(e, Forbidden)
            return "bp-forbidden"

        s.route(bp, "/undefined", raiser(NotFound), endpoint="bp_registered_test")
        s.route(bp, "/forbidden", raiser(Forbidden), endpoint="bp_forbidden_test")

        @s.app.errorhandler(HTTPException)
        def catchall_exception_handler(e: Exception) -> str:
            ev.append(("default", type(e).__name__))
            return "default"

        @s.app.errorhandler(Forbidden)
        def catchall_forbidden_handler(e: Exception) -> str:
            assert isinstance(e, Forbidden)
            return "forbidden"

        s.route(s.app, "/forbidden", raiser(Forbidden), endpoint="forbidden")
        s.route(s.app, "/slash/", lambda: "slash", endpoint="slash")
        s.register(s.app, bp, url_prefix="/bp")

    paths = ["/bp/undefined", "/bp/forbidden", "/undefined", "/forbidden", "/slash/"]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"bp-default",
        b"bp-forbidden",
        b"default",
        b"forbidden",
        b"slash",
    ]
    assert [o.events for o in theirs][:3] == [
        [("bp-default", "NotFound")],
        [],
        [("default", "NotFound")],
    ]


async def test_default_error_handler_leaves_the_slash_redirect_alone() -> None:
    """Flask's last assertion: the redirect adding a slash is no error for an
    ``errorhandler(HTTPException)``. Intended difference: Flask answers it
    with Werkzeug's 308, FastAPI with its ``redirect_slashes`` 307."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(HTTPException)
        def catchall_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "default"

        s.route(s.app, "/slash/", lambda: "slash", endpoint="slash")

    theirs, ours = await run(setup, ["/slash"], select=("location",))
    assert (theirs[0].status, ours[0].status) == (308, 307)
    assert theirs[0].events == ours[0].events == []
    assert [o.headers["location"][0].endswith("/slash/") for o in (*theirs, *ours)] == [True] * 2


GENERIC_PATHS = ["/custom", "/error", "/abort", "/raise", "/not-found"]


class Custom(Exception):
    pass


def generic_routes(s: Side) -> None:
    """Flask's TestGenericHandlers.app fixture."""
    s.route(s.app, "/custom", raiser(Custom), endpoint="do_custom")
    s.route(s.app, "/error", raiser(KeyError), endpoint="do_error")
    s.route(s.app, "/abort", lambda: s.api.abort(500), endpoint="do_abort")
    s.route(s.app, "/raise", raiser(InternalServerError), endpoint="do_raise")


@pytest.mark.parametrize("to_handle", [InternalServerError, 500])
async def test_handle_class_or_code(to_handle: t.Any) -> None:
    """``InternalServerError`` and ``500`` are aliases: both receive only
    ``InternalServerError``, which may wrap another error."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        generic_routes(s)

        @s.app.errorhandler(to_handle)
        def handle_500(e: Exception) -> str:
            assert isinstance(e, InternalServerError)
            return report_error(e)

    theirs, ours = await run(setup, GENERIC_PATHS[:4], config={"PROPAGATE_EXCEPTIONS": False})
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"wrapped Custom",
        b"wrapped KeyError",
        b"direct InternalServerError",
        b"direct InternalServerError",
    ]


async def test_handle_generic_http() -> None:
    """``HTTPException`` receives only HTTP exceptions, routing 404s included."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        generic_routes(s)

        @s.app.errorhandler(HTTPException)
        def handle_http(e: t.Any) -> str:
            assert isinstance(e, HTTPException)
            return str(e.code)

    paths = ["/error", "/abort", "/not-found"]
    theirs, ours = await run(setup, paths, config={"PROPAGATE_EXCEPTIONS": False})
    assert ours == theirs
    assert [o.body for o in theirs] == [b"500", b"500", b"404"]


async def test_handle_generic() -> None:
    """``Exception`` handles every exception directly, HTTP exceptions too."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        generic_routes(s)

        @s.app.errorhandler(Exception)
        def handle_exception(e: Exception) -> str:
            return report_error(e)

    paths = ["/custom", "/error", "/abort", "/not-found"]
    theirs, ours = await run(setup, paths, config={"PROPAGATE_EXCEPTIONS": False})
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"direct Custom",
        b"direct KeyError",
        b"direct InternalServerError",
        b"direct NotFound",
    ]


# -- the error-handling cases of tests/test_basic.py -------------------------------


async def test_error_handling() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        app, api = s.app, s.api

        @app.errorhandler(404)
        def not_found(e: Exception) -> t.Any:
            return "not found", 404

        @app.errorhandler(500)
        def internal_server_error(e: Exception) -> t.Any:
            return "internal server error", 500

        @app.errorhandler(Forbidden)
        def forbidden(e: Exception) -> t.Any:
            return "forbidden", 403

        s.route(app, "/", lambda: api.abort(404), endpoint="index")
        s.route(app, "/error", raiser(ZeroDivisionError), endpoint="error")
        s.route(app, "/forbidden", lambda: api.abort(403), endpoint="error2")

    theirs, ours = await run(setup, ["/", "/error", "/forbidden", "/no-route"])
    assert ours == theirs
    assert [(o.status, o.body) for o in theirs] == [
        (404, b"not found"),
        (500, b"internal server error"),
        (403, b"forbidden"),
        (404, b"not found"),
    ]


async def test_error_handling_processing() -> None:
    """after_request runs on the 500 handler's response."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(500)
        def internal_server_error(e: Exception) -> t.Any:
            return "internal server error", 500

        s.route(s.app, "/", raiser(ZeroDivisionError), endpoint="broken_func")

        @s.app.after_request
        def after_request(resp: t.Any) -> t.Any:
            resp.mimetype = "text/x-special"
            return resp

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert (theirs[0].headers["content-type"], theirs[0].body) == (
        ["text/x-special; charset=utf-8"],
        b"internal server error",
    )


async def test_baseexception_error_handling() -> None:
    """A ``BaseException`` is no error to handle: it escapes to the server.

    Intended difference (docs/design.md, "Cancellation and other
    BaseExceptions are not errors for teardown"): Flask's teardown receives
    the KeyboardInterrupt, ours ``None``."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(Exception)(lambda e: "handled")
        s.app.teardown_request(lambda exc: ev.append(type(exc).__name__))
        s.route(s.app, "/", raiser(KeyboardInterrupt), endpoint="broken_func")

    theirs, ours = await raised(setup, ["/"])
    assert [type(e) for e in ours] == [type(e) for e in theirs] == [KeyboardInterrupt]

    events: list[list[t.Any]] = []
    for side in (flask_side(None), our_side(None)):
        ev: list[t.Any] = []

        def setup_side(s: Side, _: list[t.Any], ev: list[t.Any] = ev) -> None:
            setup(s, ev)

        setup_side(side, [])
        with pytest.raises(KeyboardInterrupt):
            if side.is_flask:
                side.app.test_client().get("/")
            else:
                import httpx

                transport = httpx.ASGITransport(app=side.app.fastapi_app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                    await c.get("/")
        events.append(ev)
    assert events == [["KeyboardInterrupt"], ["NoneType"]]


async def test_user_error_handling() -> None:
    class MyException(Exception):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(MyException)
        def handle_my_exception(e: Exception) -> str:
            assert isinstance(e, MyException)
            return "42"

        s.route(s.app, "/", raiser(MyException), endpoint="index")

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (200, b"42")


async def test_http_error_subclass_handling() -> None:
    class ForbiddenSubclass(Forbidden):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(ForbiddenSubclass)
        def handle_forbidden_subclass(e: Exception) -> str:
            assert isinstance(e, ForbiddenSubclass)
            return "banana"

        @s.app.errorhandler(403)
        def handle_403(e: Exception) -> str:
            assert not isinstance(e, ForbiddenSubclass)
            assert isinstance(e, Forbidden)
            return "apple"

        s.route(s.app, "/1", raiser(ForbiddenSubclass), endpoint="index1")
        s.route(s.app, "/2", lambda: s.api.abort(403), endpoint="index2")
        s.route(s.app, "/3", raiser(Forbidden), endpoint="index3")

    theirs, ours = await run(setup, ["/1", "/2", "/3"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"banana", b"apple", b"apple"]


async def test_errorhandler_precedence() -> None:
    class E1(Exception):
        pass

    class E2(Exception):
        pass

    class E3(E1, E2):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(E2)(lambda e: "E2")
        s.app.errorhandler(Exception)(lambda e: "Exception")
        s.route(s.app, "/E1", raiser(E1), endpoint="raise_e1")
        s.route(s.app, "/E3", raiser(E3), endpoint="raise_e3")

    theirs, ours = await run(setup, ["/E1", "/E3"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"Exception", b"E2"]


def trap_setup(s: Side, ev: list[t.Any]) -> None:
    def fail() -> t.Any:
        s.api.request.form["missing_key"]

    s.route(s.app, "/key", fail, endpoint="fail")
    s.route(s.app, "/abort", lambda: s.api.abort(400), endpoint="allow_abort")


@pytest.mark.parametrize(
    ("debug", "trap", "expect_key", "expect_abort"),
    [(False, None, True, True), (True, None, False, True), (False, True, False, False)],
)
async def test_trap_bad_request_key_error(
    debug: bool, trap: bool | None, expect_key: bool, expect_abort: bool
) -> None:
    config = {"DEBUG": debug, "TRAP_BAD_REQUEST_ERRORS": trap}
    theirs, ours = await raised(trap_setup, ["/key", "/abort"], config=config)
    assert [type(e) for e in ours] == [type(e) for e in theirs]
    key_error, abort_error = theirs
    if expect_key:
        assert key_error is None
    else:
        # What escapes is the BadRequestKeyError, describing the missing key.
        assert isinstance(key_error, BadRequestKeyError)
        for e in (key_error, ours[0]):
            assert isinstance(e, BadRequestKeyError)
            assert "missing_key" in e.get_description()
    if expect_abort:
        assert abort_error is None
    else:
        assert isinstance(abort_error, BadRequest)

    # The responses, not testing: an error that escapes is a 500 (in debug
    # mode Flask re-raises it to the server, as above, and gives no response).
    paths = ["/abort"] if debug else ["/key", "/abort"]
    theirs_r, ours_r = await run(trap_setup, paths, config=config)
    if not debug:
        if expect_key:
            assert ours_r[0] == theirs_r[0]
            assert theirs_r[0].status == 400
            assert b"missing_key" not in theirs_r[0].body
        else:
            # The default 500 is Werkzeug's InternalServerError page, as Flask's.
            assert ours_r[0] == theirs_r[0]
            assert theirs_r[0].status == 500
    if expect_abort:
        assert ours_r[-1] == theirs_r[-1]
        assert theirs_r[-1].status == 400
    else:
        assert (theirs_r[-1].status, ours_r[-1].status) == (500, 500)


async def test_trapping_of_all_http_exceptions() -> None:
    """With TRAP_HTTP_EXCEPTIONS an HTTP error is an ordinary exception: it
    escapes unless an error handler takes it (by code still, as Flask)."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(403)(lambda e: ("handled anyway", 403))
        s.route(s.app, "/fail", lambda: s.api.abort(404), endpoint="fail")
        s.route(s.app, "/forbidden", lambda: s.api.abort(403), endpoint="forbidden")

    config = {"TRAP_HTTP_EXCEPTIONS": True}
    theirs, ours = await raised(setup, ["/fail", "/forbidden"], config=config)
    assert [type(e) for e in ours] == [type(e) for e in theirs] == [NotFound, type(None)]
    # Not testing: the trapped NotFound is an unhandled error, a 500.
    theirs_r, ours_r = await run(setup, ["/fail", "/forbidden"], config=config)
    assert (theirs_r[0].status, ours_r[0].status) == (500, 500)
    assert ours_r[1] == theirs_r[1]
    assert (theirs_r[1].status, theirs_r[1].body) == (403, b"handled anyway")


@pytest.mark.parametrize("trigger", ["before", "after"])
async def test_error_handler_after_processor_error(trigger: str) -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.before_request
        def before_request() -> None:
            if trigger == "before":
                raise ZeroDivisionError

        @s.app.after_request
        def after_request(response: t.Any) -> t.Any:
            ev.append(("after", response.status_code))
            if trigger == "after" and response.status_code == 200:
                raise ZeroDivisionError
            return response

        s.route(s.app, "/", lambda: "Foo", endpoint="index")

        @s.app.errorhandler(500)
        def internal_server_error(e: t.Any) -> t.Any:
            ev.append(("500", type(e.original_exception).__name__))
            return "Hello Server Error", 500

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (500, b"Hello Server Error")
    first = [("after", 200)] if trigger == "after" else []
    assert theirs[0].events == [*first, ("500", "ZeroDivisionError"), ("after", 500)]


async def test_teardown_request_handler_error() -> None:
    """Every teardown_request function gets the original exception, although
    an earlier one raised and caught another."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        for _ in range(2):

            @s.app.teardown_request
            def teardown_request(exc: BaseException | None) -> None:
                ev.append(type(exc).__name__)
                try:
                    raise TypeError()
                except Exception:
                    pass

        s.route(s.app, "/", raiser(ZeroDivisionError), endpoint="fails")

    theirs, ours = await run(setup, ["/"])
    assert (ours[0].status, ours[0].events) == (theirs[0].status, theirs[0].events)
    assert theirs[0].events == ["ZeroDivisionError"] * 2
    # The default 500 is Werkzeug's InternalServerError page, as Flask's.
    assert b"<title>500 Internal Server Error</title>" in theirs[0].body
    assert ours[0].body == theirs[0].body


async def test_routing_errors_reach_handlers_as_flasks() -> None:
    """The router's 404/405 (FastAPI's here) reach a handler as Werkzeug's
    exceptions, with Werkzeug's descriptions and the allowed methods."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        @s.app.errorhandler(HTTPException)
        def handle(e: t.Any) -> t.Any:
            # Flask adds HEAD and OPTIONS to a GET route's methods; FastAPI doesn't.
            methods = sorted(set(getattr(e, "valid_methods", None) or ()) - {"HEAD", "OPTIONS"})
            ev.append((type(e).__name__, e.code, e.description, methods))
            return e.description, e.code

        s.route(s.app, "/items", lambda: "items", endpoint="items")

    theirs, ours = await run(setup, ["/nope", Req("/items", method="DELETE")])
    assert ours == theirs
    assert [o.events for o in theirs] == [
        [("NotFound", 404, NotFound.description, [])],
        [("MethodNotAllowed", 405, MethodNotAllowed.description, ["GET"])],
    ]


async def test_a_trapped_http_error_reaches_a_generic_handler() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.app.errorhandler(Exception)(lambda e: (f"generic {type(e).__name__}", 500))
        s.route(s.app, "/fail", lambda: s.api.abort(404), endpoint="fail")

    theirs, ours = await run(setup, ["/fail"], config={"TRAP_HTTP_EXCEPTIONS": True})
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body) == (500, b"generic NotFound")
