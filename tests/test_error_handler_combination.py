"""Flask error handlers meeting FastAPI: its routing errors, its
``HTTPException``, its ``exception_handlers``, its dependencies and its
validation errors (docs/decisions.md, "Flask error handlers and FastAPI's
exception handlers", states the rule these tests pin down).

Where Flask has the case, the answer is compared with a ``flask.Flask`` app
running the same handler (``flask_answer``).
"""

from __future__ import annotations

import functools
import threading
import typing as t

import flask
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from support import client_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from fastapi_flaskcompat import Blueprint, FlaskCompat, g, jsonify, request

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


class SubBoom(Boom):
    pass


def make_app() -> tuple[FastAPI, FlaskCompat, list[t.Any]]:
    app = FastAPI()
    compat = FlaskCompat(app)
    events: list[t.Any] = []
    return app, compat, events


async def get(app: FastAPI, path: str, method: str = "GET", **kwargs: t.Any) -> t.Any:
    async with client_for(app) as client:
        return await client.request(method, path, **kwargs)


# -- FastAPI's routing errors -------------------------------------------------------


async def test_flask_404_and_405_handlers_answer_fastapis_routing_errors() -> None:
    app, compat, events = make_app()

    @app.get("/items")
    async def items() -> list[int]:
        return [1]

    @compat.errorhandler(404)
    def not_found(e: NotFound) -> t.Any:
        events.append((type(e).__name__, e.code, request.path))
        return jsonify(error="no such page", path=request.path), 404

    @compat.errorhandler(405)
    async def not_allowed(e: MethodNotAllowed) -> t.Any:
        events.append((type(e).__name__, e.code, sorted(e.valid_methods or [])))
        return {"error": "method"}, 405, {"Allow": ", ".join(e.valid_methods or [])}

    r404 = await get(app, "/nope")
    r405 = await get(app, "/items", method="DELETE")
    assert (r404.status_code, r404.json()) == (404, {"error": "no such page", "path": "/nope"})
    assert (r405.status_code, r405.json(), r405.headers["allow"]) == (
        405,
        {"error": "method"},
        "GET",
    )
    assert events == [("NotFound", 404, "/nope"), ("MethodNotAllowed", 405, ["GET"])]


async def test_without_a_flask_handler_fastapis_routing_errors_are_fastapis() -> None:
    """Intended difference: FastAPI's JSON 404/405, not Werkzeug's HTML page."""
    app, compat, _ = make_app()
    compat.errorhandler(403)(lambda e: ("forbidden", 403))  # unrelated: must not matter
    app.get("/items")(lambda: [1])
    r404, r405 = await get(app, "/nope"), await get(app, "/items", method="POST")
    assert (r404.status_code, r404.json()) == (404, {"detail": "Not Found"})
    assert (r405.status_code, r405.json()) == (405, {"detail": "Method Not Allowed"})


# -- FastAPI's HTTPException, as Flask's handlers see it ----------------------------


def http_exception_app(where: str) -> tuple[FastAPI, list[t.Any]]:
    app, compat, events = make_app()

    def fail() -> t.NoReturn:
        raise FastAPIHTTPException(status_code=409, detail="already there")

    async def dependency() -> None:
        if where == "dependency":
            fail()

    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    def bp_before() -> None:
        if where == "blueprint before_request":
            fail()

    @bp.get("/x", dependencies=[Depends(dependency)])
    async def endpoint() -> str:
        if where == "endpoint":
            fail()
        return "x"

    compat.register_blueprint(bp)

    @compat.errorhandler(HTTPException)
    def handle_http(e: HTTPException) -> t.Any:
        events.append((type(e).__name__, e.code, e.description, request.blueprint))
        return {"code": e.code, "description": e.description}, t.cast(int, e.code)

    return app, events


@pytest.mark.parametrize("where", ["dependency", "endpoint", "blueprint before_request"])
async def test_errorhandler_httpexception_sees_fastapis_as_werkzeugs(where: str) -> None:
    app, events = http_exception_app(where)
    r = await get(app, "/bp/x")
    assert (r.status_code, r.json()) == (409, {"code": 409, "description": "already there"})
    assert events == [("Conflict", 409, "already there", "bp")]


async def test_fastapis_httpexception_without_detail_keeps_werkzeugs_description() -> None:
    """``HTTPException(404)`` has the status phrase as detail: the handler gets
    Werkzeug's own description, as for Flask's ``abort(404)``."""
    app, compat, _events = make_app()

    @app.get("/")
    async def index() -> None:
        raise FastAPIHTTPException(status_code=404)

    compat.errorhandler(404)(lambda e: (e.description, 404))
    r = await get(app, "/")
    assert (r.status_code, r.text) == (404, NotFound.description)


async def test_a_status_werkzeug_has_no_class_for_is_still_an_httpexception() -> None:
    app, compat, _events = make_app()

    @app.get("/")
    async def index() -> None:
        raise FastAPIHTTPException(status_code=499, detail="client closed")

    @compat.errorhandler(HTTPException)
    def handle(e: HTTPException) -> t.Any:
        return f"{e.code} {e.description}", 499

    r = await get(app, "/")
    assert (r.status_code, r.text) == (499, "499 client closed")


# -- Flask's handlers and FastAPI's exception_handlers --------------------------------


def both_registries(app: FastAPI, compat: FlaskCompat, events: list[t.Any]) -> None:
    @app.exception_handler(Boom)
    async def fastapi_boom(req: StarletteRequest, exc: Exception) -> JSONResponse:
        events.append("fastapi Boom")
        return JSONResponse({"by": "fastapi"}, status_code=418)

    @app.exception_handler(StarletteHTTPException)
    async def fastapi_http(req: StarletteRequest, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        events.append(("fastapi http", exc.status_code))
        return JSONResponse({"by": "fastapi", "code": exc.status_code}, status_code=exc.status_code)

    @compat.errorhandler(SubBoom)
    def flask_subboom(e: Exception) -> t.Any:
        events.append("flask SubBoom")
        return {"by": "flask"}, 400

    @compat.errorhandler(404)
    def flask_404(e: Exception) -> t.Any:
        events.append("flask 404")
        return {"by": "flask", "code": 404}, 404

    @app.get("/boom")
    async def boom() -> None:
        raise Boom()

    @app.get("/subboom")
    async def subboom() -> None:
        raise SubBoom()

    @app.get("/http/{code}")
    async def http(code: int) -> None:
        raise FastAPIHTTPException(status_code=code)


@pytest.mark.parametrize(
    ("path", "status", "by", "event"),
    [
        # Only FastAPI's handler matches: it answers.
        ("/boom", 418, "fastapi", "fastapi Boom"),
        # Flask's is registered for the exception's own class: Flask's answers.
        ("/subboom", 400, "flask", "flask SubBoom"),
        # FastAPI's HTTPException: Flask's 404 handler, FastAPI's for other codes.
        ("/http/404", 404, "flask", "flask 404"),
        ("/http/403", 403, "fastapi", ("fastapi http", 403)),
        # The router's own 404 too.
        ("/no-route", 404, "flask", "flask 404"),
    ],
)
async def test_which_registry_answers(path: str, status: int, by: str, event: t.Any) -> None:
    app, compat, events = make_app()
    both_registries(app, compat, events)
    r = await get(app, path)
    assert (r.status_code, r.json()["by"], events) == (status, by, [event])


async def test_flask_wins_for_the_same_exception_class() -> None:
    app, compat, _events = make_app()

    @app.exception_handler(Boom)
    async def fastapi_boom(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return JSONResponse({"by": "fastapi"}, status_code=418)

    compat.errorhandler(Boom)(lambda e: ({"by": "flask"}, 400))

    @app.get("/")
    def index() -> None:
        raise Boom()

    r = await get(app, "/")
    assert (r.status_code, r.json()) == (400, {"by": "flask"})


async def test_fastapis_handler_for_a_status_code_loses_to_flasks_for_that_code() -> None:
    app = FastAPI(exception_handlers={404: lambda req, exc: JSONResponse({"by": "fastapi"}, 404)})
    compat = FlaskCompat(app)
    compat.errorhandler(404)(lambda e: ({"by": "flask"}, 404))
    r = await get(app, "/missing")
    assert (r.status_code, r.json()) == (404, {"by": "flask"})


async def test_a_more_specific_fastapi_handler_beats_a_flask_catch_all() -> None:
    """The handler nearest in the exception's MRO answers, whichever registry
    holds it (Flask's own lookup, over both): a FastAPI handler for ``Boom``
    beats a Flask ``errorhandler(Exception)``; a tie goes to Flask."""
    app, compat, _events = make_app()

    @app.exception_handler(Boom)
    async def fastapi_boom(req: StarletteRequest, exc: Exception) -> JSONResponse:
        return JSONResponse({"by": "fastapi"}, status_code=418)

    compat.errorhandler(Exception)(lambda e: ({"by": "flask", "type": type(e).__name__}, 500))

    @app.get("/boom")
    def boom() -> None:
        raise SubBoom()

    @app.get("/other")
    def other() -> None:
        raise KeyError("k")

    r1, r2 = await get(app, "/boom"), await get(app, "/other")
    assert (r1.status_code, r1.json()) == (418, {"by": "fastapi"})
    assert (r2.status_code, r2.json()) == (500, {"by": "flask", "type": "KeyError"})


# -- RequestValidationError ------------------------------------------------------------


def validation_app() -> tuple[FastAPI, FlaskCompat, list[t.Any]]:
    app, compat, events = make_app()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        events.append(("after", response.status_code))
        return response

    compat.teardown_request(lambda exc: events.append(("teardown", exc)))
    return app, compat, events


async def test_validation_error_is_fastapis_422() -> None:
    app, _compat, events = validation_app()
    r = await get(app, "/items/abc")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "item_id"]
    assert events == [("after", 422), ("teardown", None)]


async def test_validation_error_stays_fastapis_422_with_a_flask_catch_all() -> None:
    """A legacy ``errorhandler(Exception)`` (a 500 for whatever it does not
    know) must not turn bad input into a 500: FastAPI's handler for
    ``RequestValidationError`` is more specific, so it answers."""
    app, compat, events = validation_app()
    compat.errorhandler(Exception)(lambda e: ({"error": "internal"}, 500))
    r = await get(app, "/items/abc")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "item_id"]
    assert events == [("after", 422), ("teardown", None)]


async def test_a_flask_handler_for_request_validation_error_answers_it() -> None:
    app, compat, events = validation_app()

    @compat.errorhandler(RequestValidationError)
    def invalid(e: RequestValidationError) -> t.Any:
        return {"invalid": [err["loc"][-1] for err in e.errors()], "path": request.path}, 400

    r = await get(app, "/items/abc")
    assert (r.status_code, r.json()) == (400, {"invalid": ["item_id"], "path": "/items/abc"})
    assert events == [("after", 400), ("teardown", None)]


# -- contexts, after_request, teardown ---------------------------------------------------


def context_app(raise_in: str) -> tuple[FastAPI, list[t.Any]]:
    app, compat, events = make_app()

    @compat.before_request
    def load() -> None:
        g.user = "ann"

    def dependency() -> str:
        g.tenant = "acme"
        if raise_in == "dependency":
            raise Boom("from dependency")
        return "acme"

    @app.get("/")
    def index(tenant: str = Depends(dependency)) -> str:
        raise Boom("from endpoint")

    @compat.errorhandler(Boom)
    async def handle(e: Exception) -> t.Any:
        events.append(("handler", g.user, g.get("tenant"), str(e), request.endpoint))
        return "handled", 409

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        events.append(("after", response.status_code, g.user))
        response.headers["X-After"] = "1"
        return response

    compat.teardown_request(lambda exc: events.append(("teardown", exc)))
    compat.teardown_appcontext(lambda exc: events.append(("teardown_appcontext", exc)))
    return app, events


@pytest.mark.parametrize("raise_in", ["dependency", "endpoint"])
async def test_handlers_run_in_the_contexts_after_request_sees_their_response(
    raise_in: str,
) -> None:
    app, events = context_app(raise_in)
    r = await get(app, "/")
    assert (r.status_code, r.text, r.headers["x-after"]) == (409, "handled", "1")
    assert events == [
        ("handler", "ann", "acme", f"from {raise_in}", "index"),
        ("after", 409, "ann"),
        ("teardown", None),
        ("teardown_appcontext", None),
    ]


def flask_answer(configure: t.Callable[[t.Any, t.Any], None], path: str = "/") -> t.Any:
    app = flask.Flask(__name__)
    configure(flask, app)
    r = app.test_client().get(path)
    return r.status_code, r.get_data()


async def test_teardown_gets_the_handlers_own_error_as_flask() -> None:
    """A handler that raises leaves an unhandled error: teardown gets it."""

    def configure(api: t.Any, app: t.Any) -> tuple[list[t.Any], t.Any]:
        events: list[t.Any] = []

        def handler(e: Exception) -> t.Any:
            raise ValueError("handler failed")

        app.errorhandler(Boom)(handler)
        app.teardown_request(lambda exc: events.append(repr(exc)))

        def view() -> t.Any:
            raise Boom()

        return events, view

    flask_app = flask.Flask(__name__)
    flask_events, view = configure(flask, flask_app)
    flask_app.add_url_rule("/", "index", view)
    assert flask_app.test_client().get("/").status_code == 500

    app, compat, _ = make_app()
    our_events, view = configure(None, compat)
    app.add_api_route("/", view)
    r = await get(app, "/")
    assert r.status_code == 500
    assert our_events == flask_events == ["ValueError('handler failed')"]


async def test_teardown_gets_the_exception_no_handler_took() -> None:
    app, compat, events = make_app()
    compat.errorhandler(KeyError)(lambda e: "not this one")
    compat.teardown_request(lambda exc: events.append(type(exc).__name__))

    @app.get("/")
    def index(dep: None = Depends(lambda: (_ for _ in ()).throw(Boom()))) -> None:
        return None

    r = await get(app, "/")
    assert (r.status_code, events) == (500, ["Boom"])


# -- sync, async and async-callable handlers ---------------------------------------------


class AsyncCallable:
    def __init__(self, events: list[t.Any]) -> None:
        self.events = events

    async def __call__(self, e: Exception) -> t.Any:
        self.events.append(("object", g.user))
        return "object", 409


@pytest.mark.parametrize("kind", ["sync", "async", "async callable object", "partial"])
async def test_handler_kinds(kind: str) -> None:
    app, compat, events = make_app()
    loop_thread = threading.get_ident()
    compat.before_request(lambda: setattr(g, "user", "ann"))

    def sync_handler(e: Exception, label: str = "sync") -> t.Any:
        events.append((label, g.user, threading.get_ident() != loop_thread))
        return label, 409

    async def async_handler(e: Exception) -> t.Any:
        events.append(("async", g.user, threading.get_ident() != loop_thread))
        return "async", 409

    handler: t.Any = {
        "sync": sync_handler,
        "async": async_handler,
        "async callable object": AsyncCallable(events),
        "partial": functools.partial(sync_handler, label="partial"),
    }[kind]
    compat.register_error_handler(Boom, handler)

    @app.get("/")
    async def index() -> None:
        raise Boom()

    r = await get(app, "/")
    label = "object" if kind == "async callable object" else kind
    assert (r.status_code, r.text) == (409, label)
    # Sync handlers run in the threadpool, async ones on the loop.
    expected = ("object", "ann") if label == "object" else (label, "ann", kind != "async")
    assert events == [expected]


async def test_blueprint_handler_for_a_router_included_with_include_router() -> None:
    """A blueprint registered by ``app.include_router`` has its handlers too,
    ahead of the app's; a plain router's routes get the app's."""
    app, compat, _events = make_app()
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    bp.errorhandler(Boom)(lambda e: "bp handled")
    compat.errorhandler(Boom)(lambda e: "app handled")

    @bp.get("/x")
    async def x() -> None:
        raise Boom()

    plain = APIRouter(prefix="/plain")

    @plain.get("/y")
    async def y() -> None:
        raise Boom()

    app.include_router(bp)
    app.include_router(plain)
    r1, r2 = await get(app, "/bp/x"), await get(app, "/plain/y")
    assert (r1.text, r2.text) == ("bp handled", "app handled")
    # The same scenario under Flask, for the blueprint/app precedence.
    flask_app = flask.Flask(__name__)
    flask_bp = flask.Blueprint("bp", __name__, url_prefix="/bp")
    flask_bp.errorhandler(Boom)(lambda e: "bp handled")
    flask_app.errorhandler(Boom)(lambda e: "app handled")
    flask_bp.add_url_rule("/x", "x", lambda: (_ for _ in ()).throw(Boom()))
    flask_app.add_url_rule("/plain/y", "y", lambda: (_ for _ in ()).throw(Boom()))
    flask_app.register_blueprint(flask_bp)
    c = flask_app.test_client()
    assert (c.get("/bp/x").data, c.get("/plain/y").data) == (b"bp handled", b"app handled")


async def test_a_handler_returning_fastapis_exception_keeps_its_headers() -> None:
    """Flask's common ``if isinstance(e, HTTPException): return e``: FastAPI's
    security dependencies' 401 still carries ``WWW-Authenticate``, and any
    headers of an ``HTTPException(..., headers=)`` are sent, as a Werkzeug
    exception's own headers would be."""
    from fastapi.security import OAuth2PasswordBearer

    app, compat, _ = make_app()
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")

    @app.get("/me")
    async def me(token: str = Depends(oauth2)) -> str:
        return token

    @app.get("/dup")
    async def dup() -> None:
        raise FastAPIHTTPException(409, detail="taken", headers={"X-Reason": "duplicate"})

    @compat.errorhandler(Exception)
    def generic(e: Exception) -> t.Any:
        if isinstance(e, HTTPException):
            return e
        return "internal", 500

    r1, r2 = await get(app, "/me"), await get(app, "/dup")
    assert (r1.status_code, r1.headers["www-authenticate"]) == (401, "Bearer")
    assert (r2.status_code, r2.headers["x-reason"]) == (409, "duplicate")
    assert "taken" in r2.text
    assert r2.headers["content-type"] == "text/html; charset=utf-8"
