"""Which handler answers an exception raised while handling a request.

For an exception from a hook, a dependency, an endpoint, or FastAPI itself
(no route, method not allowed, ``HTTPException``):

1. Flask's error handlers (``errorhandler`` on the app and its blueprints),
   Flask's lookup: the request's blueprints then the app, by status code
   then by class MRO. FastAPI's and Starlette's ``HTTPException`` is shown
   to them as the Werkzeug exception of its status code, as Flask would
   raise it. Werkzeug exceptions without a handler are their own response
   (``abort(404)`` gives Werkzeug's page), as in Flask.
2. FastAPI's ``exception_handlers``, Starlette's lookup. For an exception
   that is no HTTP error, a FastAPI handler registered for a class nearer
   in the exception's MRO than the Flask handler's answers instead (Flask's
   own lookup, over both; a tie goes to Flask): FastAPI's 422 for
   ``RequestValidationError`` survives a Flask ``errorhandler(Exception)``.
3. Unhandled: the 500 path (:func:`handle_exception`), Flask's
   ``handle_exception`` inside the request's contexts.

Flask's handlers come first because they are the legacy code's answers,
registered on purpose; FastAPI's stay in place for everything they do not
cover. To get first say also where Starlette catches an exception itself
(inside a route, in ``ExceptionMiddleware``), :func:`install` wraps the
FastAPI app's handlers when Starlette builds its middleware stack.
"""

from __future__ import annotations

import contextlib
import http
import typing as t
from collections.abc import Callable

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.responses import Response as StarletteResponse
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    default_exceptions,
)
from werkzeug.routing import RoutingException

from . import routing
from .concurrency import call
from .globals import _request_ctx
from .scaffold import exception_class_and_code
from .wrappers import Response

if t.TYPE_CHECKING:
    from starlette.applications import Starlette

    from .app import FlaskCompat

Handler = Callable[..., t.Any]

#: How many times the middleware answered this exception and re-raised it
#: for the server; the server-error handler then skips as many calls.
_ANSWERED = "__flaskcompat_answered__"
#: Marks handlers this module wrapped, so a rebuilt stack is not wrapped twice.
_WRAPPED = "__flaskcompat_wrapped__"


class NotHandled(Exception):
    """No Flask error handler for the exception."""


# -- Flask's handlers ----------------------------------------------------------


def as_werkzeug(exc: StarletteHTTPException, scope: t.Any = None) -> HTTPException:
    """FastAPI's/Starlette's ``HTTPException`` as the Werkzeug exception Flask would raise
    (``scope``: the request's, for the methods of a routing 405)."""
    code = exc.status_code
    cls = default_exceptions.get(code)
    # The router's own 404/405 and a bare HTTPException(code) carry only the status
    # phrase (Starlette's default detail): keep Werkzeug's description then.
    description = None if exc.detail in (None, _status_phrase(code)) else str(exc.detail)
    werkzeug_exc: HTTPException
    if cls is MethodNotAllowed:
        allow = (exc.headers or {}).get("Allow", "")
        methods = [m.strip() for m in allow.split(",") if m.strip()] or None
        if scope is not None and _is_routing_405(scope):
            methods = sorted(routing.route_methods(scope)) or methods
        werkzeug_exc = MethodNotAllowed(valid_methods=methods, description=description)
    else:
        if cls is None:
            # A status Werkzeug has no class for: an HTTPException with that code.
            attrs = {"code": code, "description": description}
            cls = type(f"HTTP{code}", (HTTPException,), attrs)
        werkzeug_exc = cls(description=description)
    if exc.headers:
        _keep_headers(werkzeug_exc, exc.headers)
    return werkzeug_exc


def _is_routing_405(scope: t.Any) -> bool:
    """The router's own 405: a route has the path, none the method."""
    match = routing.match_route(scope)
    return match.route is not None and not match.full


def _keep_headers(exc: HTTPException, headers: t.Mapping[str, str]) -> None:
    # FastAPI's security raises HTTPException(401, headers={"WWW-Authenticate": ...}):
    # a handler returning the exception must answer with them, as Werkzeug's would.
    own_headers = exc.get_headers

    def get_headers(environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        out = own_headers(environ, scope)
        present = {name.lower() for name, _ in out}
        return [*out, *((k, v) for k, v in headers.items() if k.lower() not in present)]

    exc.get_headers = get_headers  # type: ignore[method-assign]


def _status_phrase(code: int) -> str | None:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return None


def trap_http_exception(app: FlaskCompat, exc: Exception) -> bool:
    """Flask's ``trap_http_exception``: treat this HTTP error like any exception?"""
    config = app.config
    if config["TRAP_HTTP_EXCEPTIONS"]:
        return True
    trap_bad_request = config["TRAP_BAD_REQUEST_ERRORS"]
    if trap_bad_request is None and app.debug and isinstance(exc, BadRequestKeyError):
        return True
    if trap_bad_request:
        return isinstance(exc, BadRequest)
    return False


def find_error_handler(
    app: FlaskCompat, exc: Exception, blueprints: t.Sequence[str]
) -> Handler | None:
    """Flask's ``_find_error_handler``: blueprints then the app, by code then by class."""
    found = _find_error_handler(app, exc, blueprints)
    return None if found is None else found[0]


def _find_error_handler(
    app: FlaskCompat, exc: Exception, blueprints: t.Sequence[str]
) -> tuple[Handler, int] | None:
    # The handler, and how far up the exception's MRO its class is.
    exc_class, code = exception_class_and_code(type(exc))
    spec = app.error_handler_spec
    names = (*blueprints, None)
    for c in (code, None) if code is not None else (None,):
        for name in names:
            by_code = spec.get(name)
            handler_map = by_code.get(c) if by_code is not None else None
            if not handler_map:
                continue
            for depth, cls in enumerate(exc_class.__mro__):
                handler = handler_map.get(cls)
                if handler is not None:
                    return handler, depth
    return None


def _blueprints() -> t.Sequence[str]:
    # The request's, whether or not the router ran yet (Flask matches at push).
    ctx = _request_ctx()
    return ctx.request.blueprints if ctx is not None else ()


async def handle_http_exception(app: FlaskCompat, exc: HTTPException) -> t.Any:
    """Flask's ``handle_http_exception``: the handler's return value, or the exception."""
    if exc.code is None or isinstance(exc, RoutingException):
        return exc
    handler = find_error_handler(app, exc, _blueprints())
    if handler is None:
        return exc
    return await call(handler, exc)


async def handle_user_exception(app: FlaskCompat, exc: Exception) -> t.Any:
    """Flask's ``handle_user_exception``: a Flask handler's return value, or
    :class:`NotHandled` when no Flask handler takes ``exc`` (then FastAPI's
    handler for it answers: for a Werkzeug exception, by default its own
    response, as Flask answers it).
    """
    if isinstance(exc, BadRequestKeyError) and (app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]):
        exc.show_exception = True
    if isinstance(exc, HTTPException):
        if not trap_http_exception(app, exc):
            if exc.code is None or isinstance(exc, RoutingException):
                raise NotHandled()
            handler = find_error_handler(app, exc, _blueprints())
            if handler is None:
                # The FastAPI handler for it answers: by default the exception's own
                # response, as Flask's; a FastAPI handler the app registered, if any.
                raise NotHandled()
            return await call(handler, exc)
    elif isinstance(exc, StarletteHTTPException) and app.error_handler_spec:
        ctx = _request_ctx()
        flask_exc = as_werkzeug(exc, ctx.request.scope if ctx is not None else None)
        if not trap_http_exception(app, flask_exc):
            handler = find_error_handler(app, flask_exc, _blueprints())
            if handler is not None:
                return await call(handler, flask_exc)
        raise NotHandled()
    found = _find_error_handler(app, exc, _blueprints()) if app.error_handler_spec else None
    if found is None:
        raise NotHandled()
    handler, depth = found
    fastapi_depth = _fastapi_handler_depth(app, exc)
    if fastapi_depth is not None and fastapi_depth < depth:
        # A FastAPI handler for a nearer class (RequestValidationError's, under a
        # Flask errorhandler(Exception)) answers: Flask's own rule, over both.
        raise NotHandled()
    return await call(handler, exc)


# -- FastAPI's handlers ---------------------------------------------------------


def find_fastapi_handler(app: FlaskCompat, exc: Exception) -> Handler | None:
    """The FastAPI exception handler for ``exc``, as Starlette would pick it.

    The ``Exception``/500 handler is not returned: that is the server-error path.
    """
    handlers = _fastapi_handlers(app)
    if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls is Exception:
            break
        if cls in handlers:
            return handlers[cls]
    return None


def _fastapi_handler_depth(app: FlaskCompat, exc: Exception) -> int | None:
    """How far up ``exc``'s MRO the FastAPI handler for it is registered (not
    counting the defaults FlaskCompat installs for HTTP exceptions)."""
    handlers = _fastapi_handlers(app)
    for depth, cls in enumerate(type(exc).__mro__):
        if cls is Exception:
            break
        handler = handlers.get(cls)
        if handler is not None and handler not in _DEFAULT_RESPONSES:
            return depth
    return None


def find_server_error_handler(app: FlaskCompat) -> Handler | None:
    """The FastAPI app's handler for unhandled exceptions (``500`` or ``Exception``)."""
    handlers = _fastapi_handlers(app)
    return handlers.get(500) or handlers.get(Exception)


def _fastapi_handlers(app: FlaskCompat) -> dict[t.Any, Handler]:
    handlers: dict[t.Any, Handler] = getattr(app.fastapi_app, "exception_handlers", {})
    return {k: _unwrapped(v) for k, v in handlers.items()}


def _unwrapped(handler: Handler) -> Handler:
    if getattr(handler, _WRAPPED, False):
        return t.cast(Handler, handler.__dict__["__wrapped__"])
    return handler


async def call_fastapi_handler(
    handler: Handler, request: HTTPConnection, exc: Exception
) -> StarletteResponse:
    return t.cast(StarletteResponse, await call(handler, request, exc))


# -- answering -----------------------------------------------------------------


async def respond(
    app: FlaskCompat, request: StarletteRequest, exc: Exception, fallback: Handler | None = None
) -> StarletteResponse | None:
    """The response for ``exc``: Flask's handlers, then ``fallback`` (or FastAPI's
    lookup); None when nothing handles it."""
    try:
        rv = await handle_user_exception(app, exc)
    except NotHandled:
        pass
    else:
        return app.make_response(rv)
    handler = fallback if fallback is not None else find_fastapi_handler(app, exc)
    if handler is None:
        return None
    if _unwrapped(handler) is _werkzeug_exception_response and trap_http_exception(app, exc):
        # Trapped (Flask's TRAP_* config): no Werkzeug page, the error is unhandled.
        raise exc
    return await call_fastapi_handler(handler, request, exc)


def propagates(app: FlaskCompat) -> bool:
    """Whether unhandled exceptions go to the server without a 500 (Flask's
    ``PROPAGATE_EXCEPTIONS``, by default in debug mode)."""
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        # Flask also propagates when testing; here the server always gets the
        # exception after the 500 went out, and the test client raises it.
        return app.debug or bool(getattr(app.fastapi_app, "debug", False))
    return bool(propagate)


async def handle_exception(
    app: FlaskCompat, request: StarletteRequest, exc: Exception
) -> StarletteResponse | None:
    """Flask's ``handle_exception`` for an unhandled error: the 500 response,
    inside the request's contexts, or None when the error should propagate
    untouched (``PROPAGATE_EXCEPTIONS``, debug mode)."""
    app.signal("got_request_exception", exception=exc)
    if propagates(app):
        return None
    response: StarletteResponse
    server_error = InternalServerError(original_exception=exc)
    handler = find_error_handler(app, server_error, _blueprints())
    if handler is not None:
        response = app.make_response(await call(handler, server_error))
    else:
        fastapi_handler = find_server_error_handler(app)
        if fastapi_handler is not None:
            response = await call_fastapi_handler(fastapi_handler, request, exc)
        else:
            # Flask's own answer: Werkzeug's InternalServerError page.
            response = app.make_response(server_error)
    # The server still gets the exception; its error handler must not answer twice.
    with contextlib.suppress(AttributeError):
        setattr(exc, _ANSWERED, getattr(exc, _ANSWERED, 0) + 1)
    return response


# -- installing on the FastAPI app -----------------------------------------------


def install(fastapi_app: Starlette, compat: FlaskCompat) -> None:
    """Give Flask's handlers first say wherever Starlette catches exceptions."""
    fastapi_app.add_exception_handler(HTTPException, _werkzeug_exception_response)
    build = fastapi_app.build_middleware_stack
    if getattr(build, _WRAPPED, False):
        return

    def build_middleware_stack() -> t.Any:
        handlers = fastapi_app.exception_handlers
        if StarletteHTTPException not in handlers:
            handlers[StarletteHTTPException] = _starlette_http_exception_response
        for key, handler in list(handlers.items()):
            if getattr(handler, _WRAPPED, False):
                continue
            if key in (500, Exception):
                handlers[key] = _answered_once(handler)
            else:
                handlers[key] = _flask_first(compat, handler)
        return build()

    setattr(build_middleware_stack, _WRAPPED, True)
    fastapi_app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def _mark(wrapper: Handler, handler: Handler) -> Handler:
    wrapper.__dict__[_WRAPPED] = True
    wrapper.__wrapped__ = handler  # type: ignore[attr-defined]
    return wrapper


def _flask_first(compat: FlaskCompat, handler: Handler) -> Handler:
    async def flask_first(conn: HTTPConnection, exc: Exception) -> t.Any:
        ctx = _request_ctx()
        if conn.scope["type"] != "http" or ctx is None or ctx.app is not compat:
            return await call(handler, conn, exc)
        if exc is ctx.handler_error:
            raise exc  # from a handler, on its way out through Starlette's outer layers
        try:
            return await respond(compat, t.cast(StarletteRequest, conn), exc, handler)
        except Exception as handler_error:
            # Flask: what a handler raises is unhandled, only the 500 path sees it.
            ctx.handler_error = handler_error
            raise

    return _mark(flask_first, handler)


def _answered_once(handler: Handler) -> Handler:
    async def answered_once(request: StarletteRequest, exc: Exception) -> t.Any:
        answered = getattr(exc, _ANSWERED, 0)
        if answered:
            setattr(exc, _ANSWERED, answered - 1)
            # The response went out already; Starlette only re-raises after this.
            return PlainTextResponse("Internal Server Error", status_code=500)
        return await call(handler, request, exc)

    return _mark(answered_once, handler)


async def _werkzeug_exception_response(request: StarletteRequest, exc: Exception) -> t.Any:
    """``abort(404)`` and raised Werkzeug exceptions give Werkzeug's response, as Flask."""
    assert isinstance(exc, HTTPException)
    return Response.force_type(exc.get_response())


async def _starlette_http_exception_response(request: StarletteRequest, exc: Exception) -> t.Any:
    """Starlette's own answer to its ``HTTPException`` (plain Starlette apps)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):
        return StarletteResponse(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


#: FlaskCompat's stand-ins for Flask's and Starlette's own answers to HTTP errors.
_DEFAULT_RESPONSES: tuple[Handler, ...] = (
    _werkzeug_exception_response,
    _starlette_http_exception_response,
)
