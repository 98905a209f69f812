"""``FlaskCompat``: the parts of ``flask.Flask`` that legacy helpers touch."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import sys
import typing as t
from collections.abc import Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.responses import Response as StarletteResponse
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from . import hooks
from .config import Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .wrappers import Request, Response

if t.TYPE_CHECKING:
    from starlette.applications import Starlette

F = t.TypeVar("F", bound=Callable[..., t.Any])

#: Flask 3.1's defaults, so helpers reading ``current_app.config[...]`` find them.
DEFAULT_CONFIG: dict[str, t.Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}


class FlaskCompat:
    """Flask's app-level API for a FastAPI (or Starlette) app.

    ``FlaskCompat(app)`` installs one pure ASGI middleware that pushes an app
    context and a request context for every HTTP and WebSocket request, and
    runs the hooks registered here with Flask's names and order.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    app_ctx_globals_class: type[_AppCtxGlobals] = _AppCtxGlobals
    config_class: type[Config] = Config

    def __init__(
        self,
        app: Starlette | None = None,
        *,
        config: t.Mapping[str, t.Any] | None = None,
        name: str | None = None,
        root_path: str | None = None,
    ) -> None:
        self.fastapi_app: Starlette | None = None
        self.name: str = name or getattr(app, "title", None) or "fastapi_flaskcompat"
        self.root_path = root_path or os.getcwd()
        self.config: Config = self.config_class(self.root_path, DEFAULT_CONFIG)
        if config:
            self.config.update(config)
        self.extensions: dict[str, t.Any] = {}
        self.before_request_funcs: dict[str | None, list[Callable[[], t.Any]]] = {None: []}
        self.after_request_funcs: dict[str | None, list[Callable[[t.Any], t.Any]]] = {None: []}
        self.teardown_request_funcs: dict[str | None, list[Callable[[t.Any], t.Any]]] = {None: []}
        self.teardown_appcontext_funcs: list[Callable[[t.Any], t.Any]] = []
        self._compile_hooks()
        if app is not None:
            self.init_app(app)

    @classmethod
    def install(cls, app: Starlette, **options: t.Any) -> FlaskCompat:
        """One-line set-up: ``FlaskCompat.install(app)``."""
        return cls(app, **options)

    def init_app(self, app: Starlette) -> None:
        """Install the middleware and the handler that turns ``abort()`` into responses."""
        from .middleware import FlaskCompatMiddleware

        self.fastapi_app = app
        app.add_middleware(FlaskCompatMiddleware, compat=self)
        _move_inside_session_middleware(app)
        app.add_exception_handler(HTTPException, _handle_werkzeug_http_exception)
        app.state.flaskcompat = self
        _server_error_handler_once(app)

    def __getattr__(self, name: str) -> t.Any:
        # Legacy code reads app attributes Flask had (app.state, app.routes...):
        # fall through to the FastAPI app this compat serves.
        fastapi_app = self.__dict__.get("fastapi_app")
        if fastapi_app is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(fastapi_app, name)

    def __repr__(self) -> str:
        return f"<FlaskCompat {self.name!r}>"

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        """``config["TESTING"]``."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> t.Any:
        return self.config["SECRET_KEY"]

    @functools.cached_property
    def logger(self) -> logging.Logger:
        """The logger named after the app, as Flask's ``app.logger`` (made once)."""
        logger = logging.getLogger(self.name)
        if self.debug and not logger.level:
            logger.setLevel(logging.DEBUG)
        return logger

    # -- hook registration (Flask's decorator names) --------------------------

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return value becomes the response."""
        self.before_request_funcs.setdefault(None, []).append(f)
        self._compile_hooks()
        return f

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self.after_request_funcs.setdefault(None, []).append(f)
        self._compile_hooks()
        return f

    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context is popped, always."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        self._compile_hooks()
        return f

    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context is popped, always."""
        self.teardown_appcontext_funcs.append(f)
        self._compile_hooks()
        return f

    def _compile_hooks(self) -> None:
        self._before_steps = hooks.compile_steps(self.before_request_funcs.get(None, []))
        self._after_steps = hooks.compile_steps(
            list(reversed(self.after_request_funcs.get(None, [])))
        )
        self._teardown_request = list(reversed(self.teardown_request_funcs.get(None, [])))
        self._teardown_appcontext = list(reversed(self.teardown_appcontext_funcs))
        self._teardown_request_steps = hooks.compile_steps(self._teardown_request)
        self._teardown_appcontext_steps = hooks.compile_steps(self._teardown_appcontext)
        self._has_teardown = bool(self._teardown_request or self._teardown_appcontext)
        self._teardown_suspends = any(
            kind != hooks.INLINE
            for kind, _ in self._teardown_request_steps + self._teardown_appcontext_steps
        )

    # -- the request cycle ----------------------------------------------------

    async def preprocess_request(self) -> t.Any:
        """Run before_request hooks; return the first non-None value."""
        return await hooks.run_until_value(self._before_steps)

    async def process_response(self, response: Response, ctx: RequestContext) -> Response:
        """Run ``after_this_request`` callbacks, then after_request hooks in reverse."""
        if ctx._after_request_functions:
            this_request = hooks.compile_steps(ctx._after_request_functions)
            response = await hooks.run_chain(this_request, response)
        response = await hooks.run_chain(self._after_steps, response)
        if isinstance(response, Response):
            return response
        if isinstance(response, StarletteResponse):
            return self.response_class.from_starlette(response)
        raise TypeError(
            "An after_request function must return a response object, but it returned"
            f" {type(response).__name__}."
        )

    async def do_teardown_request(self, exc: BaseException | None) -> None:
        await hooks.run_all(self._teardown_request_steps, exc, self.logger)

    async def do_teardown_appcontext(self, exc: BaseException | None) -> None:
        await hooks.run_all(self._teardown_appcontext_steps, exc, self.logger)

    def do_teardown_request_sync(self, exc: BaseException | None) -> None:
        hooks.run_all_sync(self._teardown_request, exc, self.logger)

    def do_teardown_appcontext_sync(self, exc: BaseException | None) -> None:
        hooks.run_all_sync(self._teardown_appcontext, exc, self.logger)

    def find_exception_handler(self, exc: Exception) -> Callable[..., t.Any] | None:
        """The FastAPI exception handler for ``exc``, as Starlette would pick it.

        The ``Exception``/500 handler is not returned: that is the server-error path.
        """
        handlers = getattr(self.fastapi_app, "exception_handlers", {})
        if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
            return t.cast(Callable[..., t.Any], handlers[exc.status_code])
        for cls in type(exc).__mro__:
            if cls is Exception:
                break
            if cls in handlers:
                return t.cast(Callable[..., t.Any], handlers[cls])
        return None

    def find_server_error_handler(self) -> Callable[..., t.Any] | None:
        """The app's handler for unhandled exceptions (``500`` or ``Exception``)."""
        handlers = getattr(self.fastapi_app, "exception_handlers", {})
        return t.cast(Callable[..., t.Any] | None, handlers.get(500) or handlers.get(Exception))

    async def call_exception_handler(
        self, handler: Callable[..., t.Any], request: StarletteRequest, exc: Exception
    ) -> StarletteResponse:
        if inspect.iscoroutinefunction(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        return t.cast(StarletteResponse, response)

    def log_exception(self, exc: BaseException) -> None:
        """Log an unhandled exception the way Flask does."""
        self.logger.error("Exception on request", exc_info=(type(exc), exc, exc.__traceback__))

    # -- responses and contexts ----------------------------------------------

    def make_response(self, rv: t.Any) -> StarletteResponse:
        """Convert a view-style return value into a response, exactly as Flask does.

        Starlette responses are returned as they are.
        """
        if isinstance(rv, StarletteResponse):
            return rv
        return make_flask_response(self, rv)

    def app_context(self) -> AppContext:
        """An app context, for ``with``/``async with`` in scripts and tests."""
        return AppContext(self)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a fake request, built by Werkzeug's ``EnvironBuilder``.

        Takes the builder's arguments: ``path``, ``base_url``, ``method``,
        ``headers``, ``query_string``, ``json``, ``data``, ``content_type``...
        """
        from .testing import scope_from_builder

        scope, receive = scope_from_builder(self, *args, **kwargs)
        return RequestContext(self, scope, receive)

    def url_for(self, endpoint: str, **values: t.Any) -> str:
        from .helpers import url_for

        return url_for(endpoint, **values)


def make_flask_response(app: FlaskCompat, rv: t.Any) -> Response:
    """Flask's ``Flask.make_response`` conversion rules, with Flask's ``TypeError``s."""
    from .globals import _cv_request

    status: t.Any = None
    headers: t.Any = None
    if isinstance(rv, tuple):
        len_rv = len(rv)
        if len_rv == 3:
            rv, status, headers = rv
        elif len_rv == 2:
            if isinstance(rv[1], (Headers, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError(
                "The view function did not return a valid response tuple."
                " The tuple must have the form (body, status, headers),"
                " (body, status), or (body, headers)."
            )
    if rv is None:
        ctx = _cv_request.get(None)
        endpoint = ctx.request.endpoint if ctx is not None else None
        raise TypeError(
            f"The view function for {endpoint!r} did not"
            " return a valid response. The function either returned"
            " None or ended without a return statement."
        )
    response: Response
    if isinstance(rv, Response):
        response = rv
    elif isinstance(rv, (str, bytes, bytearray)) or _is_iterator(rv):
        response = app.response_class(rv, status=status, headers=headers)
        status = headers = None
    elif isinstance(rv, (dict, list)):
        from .json import response as json_response

        response = json_response(rv)
    elif isinstance(rv, StarletteResponse):
        response = app.response_class.from_starlette(rv)
    elif isinstance(rv, HTTPException) or callable(rv):
        try:
            response = t.cast(Response, app.response_class.force_type(rv))
        except TypeError as e:
            raise TypeError(
                f"{e}\nThe view function did not return a valid"
                " response. The return type must be a string,"
                " dict, list, tuple with headers or status,"
                " Response instance, or WSGI callable, but it"
                f" was a {type(rv).__name__}."
            ).with_traceback(sys.exc_info()[2]) from None
    else:
        raise TypeError(
            "The view function did not return a valid"
            " response. The return type must be a string,"
            " dict, list, tuple with headers or status,"
            " Response instance, or WSGI callable, but it was a"
            f" {type(rv).__name__}."
        )
    if status is not None:
        if isinstance(status, (str, bytes, bytearray)):
            response.status = status  # type: ignore[assignment]
        else:
            response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _is_iterator(rv: t.Any) -> bool:
    return hasattr(rv, "__next__") and hasattr(rv, "__iter__")


async def _handle_werkzeug_http_exception(
    request: StarletteRequest, exc: Exception
) -> StarletteResponse:
    """``abort(404)`` and raised Werkzeug exceptions give Flask's response."""
    assert isinstance(exc, HTTPException)
    return t.cast(Response, Response.force_type(exc.get_response()))


_HANDLED = "__flaskcompat_handled__"


def _move_inside_session_middleware(app: Starlette) -> None:
    """Keep a ``SessionMiddleware`` added earlier outside ours.

    As in Flask, the session is saved after ``after_request`` ran; that needs
    the session middleware to wrap ours, whichever was added first.
    """
    from starlette.middleware.sessions import SessionMiddleware

    stack = app.user_middleware
    sessions = [
        i
        for i, m in enumerate(stack)
        if isinstance(m.cls, type) and issubclass(m.cls, SessionMiddleware)
    ]
    if sessions and sessions[-1] > 0:
        stack.insert(sessions[-1], stack.pop(0))


def _server_error_handler_once(app: Starlette) -> None:
    """Make the app's ``500``/``Exception`` handler run at most once per exception.

    The middleware calls it inside the request contexts (Flask's
    ``handle_exception``) and re-raises for the server; Starlette's
    ServerErrorMiddleware would then call it again outside the contexts, where
    a handler reading ``g`` raises and hides the original error. Starlette
    reads the handler when it builds the middleware stack, so wrap it there.
    """
    build = app.build_middleware_stack
    if getattr(build, _HANDLED, False):
        return

    def build_middleware_stack() -> t.Any:
        handlers = app.exception_handlers
        for key in (500, Exception):
            if key in handlers and not getattr(handlers[key], _HANDLED, False):
                handlers[key] = _once_per_exception(handlers[key])
        return build()

    build_middleware_stack.__dict__[_HANDLED] = True
    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def _once_per_exception(handler: Callable[..., t.Any]) -> Callable[..., t.Any]:
    async def once(request: StarletteRequest, exc: Exception) -> t.Any:
        if getattr(exc, _HANDLED, False):
            # The response went out already; Starlette only re-raises after this.
            return PlainTextResponse("Internal Server Error", status_code=500)
        with contextlib.suppress(AttributeError):
            setattr(exc, _HANDLED, True)
        if inspect.iscoroutinefunction(handler):
            return await handler(request, exc)
        return await run_in_threadpool(handler, request, exc)

    once.__dict__[_HANDLED] = True
    return functools.update_wrapper(once, handler)
