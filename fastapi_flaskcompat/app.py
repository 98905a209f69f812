"""``FlaskCompat``: the parts of ``flask.Flask`` that legacy code touches."""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import typing as t
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from types import ModuleType

from starlette.responses import Response as StarletteResponse
from werkzeug.exceptions import Aborter, BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import BuildError

from . import errors, hooks, responses, sessions
from .config import DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import _request_ctx
from .hooks import HookPlan
from .json import DefaultJSONProvider
from .scaffold import HookList, Scaffold
from .wrappers import Request, Response

if t.TYPE_CHECKING:
    from starlette.applications import Starlette

    from .blueprints import Blueprint

F = t.TypeVar("F", bound=Callable[..., t.Any])

#: Flask's app attributes this library does not provide, and what to use instead.
ABSENT: dict[str, str] = {
    "url_map": "routes are FastAPI's: read them from the FastAPI app (app.routes)",
    "route": "declare routes the FastAPI way (@app.get(...)) or on a Blueprint",
    "add_url_rule": "declare routes the FastAPI way (app.add_api_route(...))",
    "cli": "the Flask CLI is not provided; use your own entry points",
    "run": "serve the FastAPI app with an ASGI server (uvicorn, hypercorn)",
    "wsgi_app": "this is an ASGI app; run a whole Flask app with a WSGI mount instead",
    "test_client": "use httpx.AsyncClient(transport=httpx.ASGITransport(app)) or TestClient",
    "test_cli_runner": "the Flask CLI is not provided",
}

# Set by ``fastapi_flaskcompat.signals`` when imported: until then no receiver
# can exist. Each app's ``signalling`` is True while a receiver would be called for it.
_signals: ModuleType | None = None
_all_signals: tuple[t.Any, ...] = ()


def activate_signals(module: ModuleType, signals: tuple[t.Any, ...]) -> None:
    """Called by the signals module on import, with its signals: from now on,
    signals can be sent."""
    global _signals, _all_signals
    _signals = module
    _all_signals = signals


#: Every FlaskCompat alive: each holds its own signalling switch. Apps are made
#: and receivers connected in any thread: the lock keeps the set whole while read.
_apps: weakref.WeakSet[FlaskCompat] = weakref.WeakSet()
_apps_lock = threading.Lock()


def refresh_signalling() -> None:
    """Called by the signals module when receivers of Flask's signals come and
    go: an app whose switch is on checks for receivers and sends, each request."""
    with _apps_lock:
        apps = list(_apps)
    for app in apps:
        app.signalling = _listened_to(app)


def _listened_to(app: FlaskCompat) -> bool:
    """Whether a live receiver of any of Flask's signals would be called for ``app``."""
    return any(_listens(signal, app) for signal in _all_signals)


def _listens(signal: t.Any, sender: object) -> bool:
    """Whether a live receiver of ``signal`` would be called for ``sender``.

    ``signal.receivers`` alone is not the answer: blinker keeps there a receiver
    disconnected from its one sender, and one connected for another app; a
    weakly held receiver can be gone. ``receivers_for`` skips all three."""
    if not signal.receivers:
        return False
    return next(signal.receivers_for(sender), None) is not None


def _signals_in_use() -> None:
    # Receivers connected to Flask's own signals must fire although our
    # signals module was never imported (they are the same objects).
    if _signals is None and "flask.signals" in sys.modules:
        from . import signals  # noqa: F401  # activates itself


class FlaskCompat(Scaffold):
    """Flask's app-level API for a FastAPI (or Starlette) app.

    ``FlaskCompat(app)`` installs one pure ASGI middleware that pushes an app
    context and a request context for every HTTP and WebSocket request, and
    runs the hooks registered here with Flask's names and order.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    app_ctx_globals_class: type[_AppCtxGlobals] = _AppCtxGlobals
    config_class: type[Config] = Config
    json_provider_class: type[DefaultJSONProvider] = DefaultJSONProvider
    aborter_class: type[Aborter] = Aborter
    #: Options for the Jinja environment (Flask's ``jinja_options``).
    jinja_options: dict[str, t.Any] = {}
    #: Flask's session interface: signed cookies by default.
    session_interface: sessions.SessionInterface = sessions.SecureCookieSessionInterface()
    #: Flask's own (app, request) context variables, which pushes also set when
    #: the Flask bridge is on; None otherwise.
    flask_context_vars: tuple[ContextVar[t.Any], ContextVar[t.Any] | None] | None = None

    #: True while a receiver of one of Flask's signals would be called for this app
    #: (kept by the signals module): the request path checks this attribute before
    #: each signal, so otherwise it pays one read.
    signalling = False

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[str | bytes | None]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME", get_converter=sessions.make_timedelta
    )

    def __init__(
        self,
        app: Starlette | None = None,
        *,
        config: t.Mapping[str, t.Any] | None = None,
        name: str | None = None,
        import_name: str | None = None,
        root_path: str | None = None,
        instance_path: str | None = None,
        static_folder: str | None = "static",
        static_url_path: str | None = None,
        template_folder: str | None = "templates",
        bridge_flask: bool = False,
    ) -> None:
        if root_path is None and import_name is None:
            root_path = os.getcwd()
        super().__init__(import_name or "__main__", root_path)
        # Read on every request, so copied to the instance: CPython 3.11 does not
        # specialise reading a class attribute through an instance (~150 CPU
        # instructions each). A subclass's values are the ones copied.
        self.request_class = self.request_class
        self.response_class = self.response_class
        self.app_ctx_globals_class = self.app_ctx_globals_class
        self.flask_context_vars = self.flask_context_vars
        with _apps_lock:
            _apps.add(self)
        # After joining the set: a receiver connected meanwhile is seen either way.
        self.signalling = _listened_to(self)
        self.fastapi_app: Starlette | None = None
        self.name: str = name or getattr(app, "title", None) or import_name or "fastapi_flaskcompat"
        self.config: Config = self.config_class(self.root_path, DEFAULT_CONFIG)
        if config:
            self.config.update(config)
        #: Flask's attributes extensions read; files are served by FastAPI here.
        self.instance_path = instance_path or os.path.join(self.root_path, "instance")
        self.static_folder = static_folder
        if static_url_path is None and static_folder is not None:
            static_url_path = "/" + os.path.basename(static_folder.rstrip("/"))
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.extensions: dict[str, t.Any] = {}
        self.json = self.json_provider_class(self)
        self.aborter = self.aborter_class()
        self.shell_context_processors: list[Callable[[], dict[str, t.Any]]] = []
        self.url_build_error_handlers: list[Callable[..., t.Any]] = []
        #: Registered blueprints by (dotted) name, as Flask's ``app.blueprints``.
        self.blueprints: dict[str, Blueprint] = {}
        self._view_functions: dict[str, Callable[..., t.Any]] = {}
        self._view_functions_version: t.Any = object()
        self.teardown_appcontext_funcs: HookList[Callable[[t.Any], t.Any]] = HookList(
            self._hooks_changed
        )
        self._plans: dict[tuple[str, ...], HookPlan] = {}
        self._hooks_changed()
        from .templating import default_template_context

        self.template_context_processors[None].append(default_template_context)
        _signals_in_use()
        if bridge_flask:
            from .bridge import install as install_bridge

            install_bridge(self)
        if app is not None:
            self.init_app(app)

    @classmethod
    def install(cls, app: Starlette, **options: t.Any) -> FlaskCompat:
        """One-line set-up: ``FlaskCompat.install(app)``."""
        return cls(app, **options)

    def init_app(self, app: Starlette) -> None:
        """Install the middleware and Flask's error handling on ``app``."""
        from .middleware import FlaskCompatMiddleware

        self.fastapi_app = app
        app.add_middleware(FlaskCompatMiddleware, compat=self)
        sessions.keep_session_middleware_outside(app, FlaskCompatMiddleware)
        errors.install(app, self)
        app.state.flaskcompat = self

    def __repr__(self) -> str:
        return f"<FlaskCompat {self.name!r}>"

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @functools.cached_property
    def logger(self) -> logging.Logger:
        """The logger named after the app, as Flask's ``app.logger`` (made once)."""
        logger = logging.getLogger(self.name)
        if self.debug and not logger.level:
            logger.setLevel(logging.DEBUG)
        return logger

    # -- hooks ----------------------------------------------------------------

    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context is popped, always."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(f)
        return f

    def _hooks_changed(self) -> None:
        if "teardown_appcontext_funcs" not in self.__dict__:
            return  # still in __init__
        self._plans = {}
        registries = (
            self.before_request_funcs,
            self.after_request_funcs,
            self.teardown_request_funcs,
            self.url_value_preprocessors,
        )
        #: True when some blueprint has request hooks: plans then depend on the route.
        self.has_blueprint_hooks = any(
            funcs for registry in registries for key, funcs in registry.items() if key is not None
        )
        # Flask runs every url_value_preprocessor before any before_request hook; with
        # a blueprint's preprocessor and an app hook, the middleware must know the
        # route first to keep that order (it matches it ahead of the router).
        #: True when the middleware runs the blueprints' before phase itself.
        self.prematch = bool(self.before_request_funcs.get(None)) and any(
            funcs for key, funcs in self.url_value_preprocessors.items() if key is not None
        )
        #: The plan of a route of no blueprint, read by the middleware on every request.
        self.app_plan = self.hook_plan()

    def hook_plan(self, blueprints: tuple[str, ...] = ()) -> HookPlan:
        """The compiled hooks for a chain of blueprints (innermost first), cached."""
        plan = self._plans.get(blueprints)
        if plan is None:
            plan = self._plans[blueprints] = HookPlan(
                blueprints,
                self.url_value_preprocessors,
                self.before_request_funcs,
                self.after_request_funcs,
                self.teardown_request_funcs,
                self.teardown_appcontext_funcs,
            )
        return plan

    # -- blueprints ---------------------------------------------------------------

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Serve ``blueprint``'s routes and register its hooks (Flask's
        ``register_blueprint``); ``url_prefix=`` and ``name=`` as in Flask, so one
        blueprint can be registered twice. ``app.include_router(bp)`` works too."""
        self._check_setup_finished("register_blueprint")
        from .blueprints import registration_router

        assert self.fastapi_app is not None, "register_blueprint needs FlaskCompat(app)"
        name = options.get("name", blueprint.name)
        url_prefix = options.get("url_prefix")
        if name in self.blueprints:
            blueprint.register(self, options)  # raises Flask's "already registered"
        blueprint.sync_nested_routes()
        if name == blueprint.name and url_prefix is None:
            self.fastapi_app.include_router(blueprint)  # type: ignore[attr-defined]
        else:
            router = registration_router(blueprint, name, url_prefix)
            self.fastapi_app.include_router(router)  # type: ignore[attr-defined]
        blueprint.register(self, options)

    def register_included_blueprints(self) -> None:
        """Register the blueprints whose routes ``app.include_router`` added (Flask's
        registration: hooks merged, ``record`` functions run). The middleware calls
        it when the app starts serving; a blueprint route also does on first use."""
        from .blueprints import blueprint_routes

        routes = getattr(self.fastapi_app, "routes", [])
        for route in blueprint_routes(routes):
            top = route.blueprints[-1] if route.blueprints else None
            owner = route.owner
            if top is None or owner is None or top in self.blueprints:
                continue
            owner.register(self, {} if top == owner.name else {"name": top})

    def iter_blueprints(self) -> t.Iterator[Blueprint]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    @property
    def view_functions(self) -> dict[str, Callable[..., t.Any]]:
        """Endpoint name to view function, as Flask's (from the FastAPI routes)."""
        from .routing import iter_routes

        router = getattr(self.fastapi_app, "router", None)
        version_of = getattr(router, "_get_routes_version", None)
        version = version_of() if version_of is not None else None
        if version is None or version != self._view_functions_version:
            self._view_functions = {
                name: endpoint
                for route, _ in iter_routes(getattr(router, "routes", []))
                if (name := getattr(route, "name", None))
                and (endpoint := getattr(route, "endpoint", None)) is not None
            }
            self._view_functions_version = version
        return self._view_functions

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Flask's: the app's and the endpoint's blueprints' ``url_defaults`` fill ``values``."""
        from .blueprints import split_blueprint_path

        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            bps = split_blueprint_path(endpoint.rpartition(".")[0])
            names = (None, *reversed(bps))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    # -- the request cycle (Flask's method names) -------------------------------

    async def process_response(self, response: Response, ctx: RequestContext) -> Response:
        """``after_this_request`` callbacks, after_request hooks, then the session."""
        callbacks = ctx.after_this_request_functions
        if callbacks:
            this_request = hooks.compile_steps(callbacks)
            response = await hooks.run_chain(this_request, response)
        plan = ctx.plan
        if plan.has_after:
            response = await hooks.run_chain(plan.after, response)
        return self._save_and_announce(response, ctx)

    def process_response_sync(self, response: Response, ctx: RequestContext) -> Response:
        """:meth:`process_response` for sync code (Flask's, as ``finalize_request``
        calls it); an async hook runs through ``ensure_sync``."""
        callbacks = ctx.after_this_request_functions
        if callbacks:
            response = hooks.run_chain_sync(hooks.compile_steps(callbacks), response)
        plan = ctx.plan
        if plan.has_after:
            response = hooks.run_chain_sync(plan.after, response)
        return self._save_and_announce(response, ctx)

    def _save_and_announce(self, rv: t.Any, ctx: RequestContext) -> Response:
        # The end of process_response, either way: the session, request_finished.
        response: Response
        if isinstance(rv, Response):
            response = rv
        elif isinstance(rv, StarletteResponse):
            response = self.response_class.from_starlette(rv)
        else:
            raise TypeError(
                "An after_request function must return a response object, but it"
                f" returned {type(rv).__name__}."
            )
        sessions.save_request_session(self, ctx, response)
        if self.signalling:
            self.signal("request_finished", response=response)
        return response

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Flask's ``finalize_request``, for code that calls it (sync): ``rv`` as a
        response, through the after_request hooks; with ``from_error_handler``
        their errors are logged, not raised."""
        response = t.cast(Response, self.make_response(rv))
        ctx = _request_ctx()
        if ctx is None:
            return response
        try:
            response = self.process_response_sync(response, ctx)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    async def do_teardown_request(self, exc: BaseException | None, plan: HookPlan) -> None:
        if plan.teardown_request:
            await hooks.run_all(plan.teardown_request, exc, self.logger)
        if self.signalling:
            self.signal("request_tearing_down", exc=exc)

    async def do_teardown_appcontext(self, exc: BaseException | None, plan: HookPlan) -> None:
        if plan.teardown_appcontext:
            await hooks.run_all(plan.teardown_appcontext, exc, self.logger)
        if self.signalling:
            self.signal("appcontext_tearing_down", exc=exc)

    def do_teardown_request_sync(self, exc: BaseException | None, plan: HookPlan) -> None:
        hooks.run_all_sync(plan.teardown_request_funcs, exc, self.logger)
        self.signal("request_tearing_down", exc=exc)

    def do_teardown_appcontext_sync(self, exc: BaseException | None) -> None:
        hooks.run_all_sync(self.app_plan.teardown_appcontext_funcs, exc, self.logger)
        self.signal("appcontext_tearing_down", exc=exc)

    def signal(self, name: str, **kwargs: t.Any) -> None:
        """Send Flask's signal ``name`` from this app, if anything listens."""
        if _signals is None:
            return
        signal = getattr(_signals, name)
        if signal.receivers:
            signal.send(self, _async_wrapper=self.ensure_sync, **kwargs)

    def has_receivers(self, name: str) -> bool:
        """Whether a live receiver of Flask's signal ``name`` would be called for
        this app."""
        return _signals is not None and _listens(getattr(_signals, name), self)

    def has_teardown_receivers(self) -> bool:
        """Whether anything listens to the signals a request's pop sends
        (``request_tearing_down``, ``appcontext_tearing_down``, ``appcontext_popped``):
        without, a pop with no teardown hook has nothing to run."""
        s = _signals
        return s is not None and (
            _listens(s.request_tearing_down, self)
            or _listens(s.appcontext_tearing_down, self)
            or _listens(s.appcontext_popped, self)
        )

    def ensure_sync(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """Flask's ``ensure_sync``: ``func`` as a function sync code can call."""
        from .concurrency import ensure_sync

        return ensure_sync(func)

    def log_exception(self, exc: BaseException) -> None:
        """Log an unhandled exception the way Flask does."""
        ctx = _request_ctx()
        where = "request" if ctx is None else f"{ctx.request.path} [{ctx.request.method}]"
        self.logger.error(f"Exception on {where}", exc_info=(type(exc), exc, exc.__traceback__))

    # -- what extensions call on a Flask app ---------------------------------------

    def shell_context_processor(self, f: F) -> F:
        """Register a function adding names to ``flask shell`` (kept; no CLI here)."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        rv: dict[str, t.Any] = {"app": self, "g": None}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    @functools.cached_property
    def jinja_env(self) -> t.Any:
        """A real Jinja environment (extra ``templates``): see ``templating``."""
        from .templating import create_environment

        return create_environment(self)

    @functools.cached_property
    def jinja_loader(self) -> t.Any:
        """The loader of the app's ``template_folder`` (Flask's)."""
        from .templating import folder_loader

        return folder_loader(self.root_path, self.template_folder)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Flask's: autoescape ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and ``.svg``."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Flask's: the app's, then the request's blueprints' context processors,
        without overriding what the caller passed."""
        names: t.Iterable[str | None] = (None,)
        ctx = _request_ctx()
        if ctx is not None:
            names = (None, *reversed(ctx.request.blueprints))
        orig = context.copy()
        for name in names:
            for func in self.template_context_processors.get(name, ()):
                context.update(self.ensure_sync(func)())
        context.update(orig)

    def make_default_options_response(self) -> Response:
        """Flask's answer to ``OPTIONS`` for a route without its own: 200 with ``Allow``."""
        from .routing import allowed_methods

        ctx = _request_ctx()
        rv = self.response_class()
        if ctx is not None:
            rv.allow.update(allowed_methods(ctx.scope))
        return rv

    def trap_http_exception(self, e: Exception) -> bool:
        """Flask's: whether an HTTP error is treated like any other exception."""
        return errors.trap_http_exception(self, e)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Flask's hook to hide an error from teardown functions (never, by default)."""
        return False

    def handle_http_exception(self, e: HTTPException) -> t.Any:
        """Flask's ``handle_http_exception``, for code that calls it (sync)."""
        if e.code is None:
            return e
        handler = errors.find_error_handler(self, e, _request_blueprints())
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> t.Any:
        """Flask's ``handle_user_exception``, for code that calls it (sync)."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = errors.find_error_handler(self, e, _request_blueprints())
        if handler is None:
            raise e
        return self.ensure_sync(handler)(e)

    def handle_exception(self, e: Exception) -> Response:
        """Flask's ``handle_exception``, for code that calls it (sync): sends
        ``got_request_exception``, re-raises when exceptions propagate (debug),
        logs, and returns the 500 response through after_request."""
        self.signal("got_request_exception", exception=e)
        if errors.propagates(self):
            raise e
        self.log_exception(e)
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = errors.find_error_handler(self, server_error, _request_blueprints())
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Flask's: give ``url_build_error_handlers`` a chance, else raise ``error``."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return t.cast(str, rv)
        raise error

    def async_to_sync(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """Flask's: a sync function running the coroutine function ``func``."""
        from .concurrency import ensure_sync

        return ensure_sync(func)

    # -- responses, sessions and contexts ---------------------------------------

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response (what ``flask.redirect`` calls)."""
        from werkzeug.utils import redirect

        return t.cast(Response, redirect(location, code, Response=self.response_class))

    def make_response(self, rv: t.Any) -> StarletteResponse:
        """Convert a view-style return value into a response, exactly as Flask does.

        Starlette responses are returned as they are.
        """
        if isinstance(rv, StarletteResponse):
            return rv
        return responses.make_response(self, rv)

    def open_request_session(self, ctx: RequestContext) -> t.Any:
        """The session of ``ctx`` (the ``session`` proxy opens it on first use)."""
        return sessions.open_request_session(self, ctx)

    def app_context(self) -> AppContext:
        """An app context, for ``with``/``async with`` in scripts and tests."""
        return AppContext(self)

    def request_context(self, scope: t.Any, receive: t.Any = None) -> RequestContext:
        """The request context for an ASGI ``scope`` (what the middleware pushes)."""
        return RequestContext(self, scope, receive)

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


def _absent(name: str, instead: str) -> property:
    def fail(self: FlaskCompat) -> t.NoReturn:
        raise AttributeError(f"FlaskCompat has no {name!r}: {instead}.")

    return property(fail, doc=f"Not provided: {instead}.")


# Properties, not a __getattr__: a class with __getattr__ slows every attribute
# read on its instances (CPython cannot specialise them), and the request path
# reads several from the app.
for _name, _instead in ABSENT.items():
    setattr(FlaskCompat, _name, _absent(_name, _instead))


def _request_blueprints() -> t.Sequence[str]:
    ctx = _request_ctx()
    return ctx.request.blueprints if ctx is not None else ()
