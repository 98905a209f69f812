"""Flask's public API, and what this library offers for each name.

Whether a name is *covered* is never written down here: :class:`Coverage`
reads it from the library at run time (``fastapi_flaskcompat.__all__``, the
attributes of ``FlaskCompat`` and ``Blueprint``, ``fastapi_flaskcompat.signals``),
so the scanner follows the library the day a feature lands. This module
holds only what cannot be introspected: the names Flask has, the caveat of a
covered name, the advice for a name that is not covered, and the names the
Flask bridge makes work for unmodified modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import typing as t
from dataclasses import dataclass

COVERED = "covered"
CAVEAT = "covered with caveat"
BRIDGE = "through the bridge"
MISSING = "not covered"
#: In the order reports list them.
STATUSES = (COVERED, CAVEAT, BRIDGE, MISSING)

#: The names ``flask/__init__.py`` exports in Flask 3.1, plus those older Flask
#: versions exported that legacy code still imports.
FLASK_TOP_LEVEL = frozenset(
    {
        "Blueprint",
        "Config",
        "Flask",
        "Request",
        "Response",
        "abort",
        "after_this_request",
        "appcontext_popped",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "before_render_template",
        "copy_current_request_context",
        "current_app",
        "flash",
        "g",
        "get_flashed_messages",
        "get_template_attribute",
        "got_request_exception",
        "has_app_context",
        "has_request_context",
        "json",
        "jsonify",
        "make_response",
        "message_flashed",
        "redirect",
        "render_template",
        "render_template_string",
        "request",
        "request_finished",
        "request_started",
        "request_tearing_down",
        "send_file",
        "send_from_directory",
        "session",
        "stream_template",
        "stream_template_string",
        "stream_with_context",
        "template_rendered",
        "url_for",
        # Removed in Flask 2.3 / 3.0, still in old code.
        "Markup",
        "escape",
        "_app_ctx_stack",
        "_request_ctx_stack",
        "signals_available",
        "safe_join",
        "json_available",
    }
)

#: Flask's submodules: ``flask.json.dumps`` is a name of its own, ``flask.g`` is not.
FLASK_SUBMODULES = frozenset(
    {
        "app",
        "blueprints",
        "cli",
        "config",
        "ctx",
        "debughelpers",
        "globals",
        "helpers",
        "json",
        "logging",
        "sansio",
        "sessions",
        "signals",
        "templating",
        "testing",
        "typing",
        "views",
        "wrappers",
    }
)

#: Flask's signals (``flask.signals``).
SIGNALS = frozenset(
    {
        "appcontext_popped",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "before_render_template",
        "got_request_exception",
        "message_flashed",
        "request_finished",
        "request_started",
        "request_tearing_down",
        "template_rendered",
    }
)

#: Public attributes of ``flask.Flask`` (3.1, plus ones removed since 2.2).
APP_API = frozenset(
    [
        "aborter",
        "aborter_class",
        "add_template_filter",
        "add_template_global",
        "add_template_test",
        "add_url_rule",
        "after_request",
        "after_request_funcs",
        "app_context",
        "app_ctx_globals_class",
        "async_to_sync",
        "auto_find_instance_path",
        "before_request",
        "before_request_funcs",
        "blueprints",
        "cli",
        "config",
        "config_class",
        "context_processor",
        "create_global_jinja_loader",
        "create_jinja_environment",
        "create_url_adapter",
        "debug",
        "default_config",
        "delete",
        "dispatch_request",
        "do_teardown_appcontext",
        "do_teardown_request",
        "endpoint",
        "ensure_sync",
        "error_handler_spec",
        "errorhandler",
        "extensions",
        "finalize_request",
        "full_dispatch_request",
        "get",
        "get_send_file_max_age",
        "handle_exception",
        "handle_http_exception",
        "handle_url_build_error",
        "handle_user_exception",
        "has_static_folder",
        "import_name",
        "inject_url_defaults",
        "instance_path",
        "iter_blueprints",
        "jinja_env",
        "jinja_environment",
        "jinja_loader",
        "jinja_options",
        "json",
        "json_provider_class",
        "log_exception",
        "logger",
        "make_aborter",
        "make_config",
        "make_default_options_response",
        "make_response",
        "make_shell_context",
        "name",
        "open_instance_resource",
        "open_resource",
        "patch",
        "permanent_session_lifetime",
        "post",
        "preprocess_request",
        "process_response",
        "put",
        "raise_routing_exception",
        "redirect",
        "register_blueprint",
        "register_error_handler",
        "request_class",
        "request_context",
        "response_class",
        "root_path",
        "route",
        "run",
        "secret_key",
        "select_jinja_autoescape",
        "send_static_file",
        "session_interface",
        "shell_context_processor",
        "shell_context_processors",
        "should_ignore_error",
        "static_folder",
        "static_url_path",
        "subdomain_matching",
        "teardown_appcontext",
        "teardown_appcontext_funcs",
        "teardown_request",
        "teardown_request_funcs",
        "template_context_processors",
        "template_filter",
        "template_folder",
        "template_global",
        "template_test",
        "test_cli_runner",
        "test_cli_runner_class",
        "test_client",
        "test_client_class",
        "test_request_context",
        "testing",
        "trap_http_exception",
        "update_template_context",
        "url_build_error_handlers",
        "url_default_functions",
        "url_defaults",
        "url_for",
        "url_map",
        "url_map_class",
        "url_rule_class",
        "url_value_preprocessor",
        "url_value_preprocessors",
        "view_functions",
        "wsgi_app",
        "before_first_request",
        "json_encoder",
        "json_decoder",
        "env",
    ]
)

#: Public attributes of ``flask.Blueprint`` (3.1).
BLUEPRINT_API = frozenset(
    [
        "add_app_template_filter",
        "add_app_template_global",
        "add_app_template_test",
        "add_url_rule",
        "after_app_request",
        "after_request",
        "after_request_funcs",
        "app_context_processor",
        "app_errorhandler",
        "app_template_filter",
        "app_template_global",
        "app_template_test",
        "app_url_defaults",
        "app_url_value_preprocessor",
        "before_app_request",
        "before_request",
        "before_request_funcs",
        "cli",
        "cli_group",
        "context_processor",
        "deferred_functions",
        "delete",
        "endpoint",
        "error_handler_spec",
        "errorhandler",
        "get",
        "get_send_file_max_age",
        "has_static_folder",
        "import_name",
        "jinja_loader",
        "make_setup_state",
        "name",
        "open_resource",
        "patch",
        "post",
        "put",
        "record",
        "record_once",
        "register",
        "register_blueprint",
        "register_error_handler",
        "root_path",
        "route",
        "send_static_file",
        "static_folder",
        "static_url_path",
        "subdomain",
        "teardown_app_request",
        "teardown_request",
        "teardown_request_funcs",
        "template_context_processors",
        "template_folder",
        "url_default_functions",
        "url_defaults",
        "url_prefix",
        "url_value_preprocessor",
        "url_value_preprocessors",
        "url_values_defaults",
        "view_functions",
        "before_app_first_request",
    ]
)

#: Attributes only a blueprint has: seeing one names the receiver a blueprint.
BLUEPRINT_ONLY = BLUEPRINT_API - APP_API

#: What ``FlaskCompat(app, bridge_flask=True)`` makes work inside the requests
#: it handles, for modules that keep ``from flask import ...``: the bridge's own list.
from fastapi_flaskcompat.bridge import BRIDGED  # noqa: E402

_BODY = (
    "a sync helper called from `async def` code reads the body on the event loop: bodies"
    " up to FLASKCOMPAT_PRELOAD_MAX_SIZE (1 MiB) are preloaded, whatever their type; for"
    " larger ones use `@body_options(preload=True)` or `await request.load_body()` first"
)

#: Caveat of a covered name, by the name reports show.
CAVEATS: dict[str, str] = {
    "flask.request": "body reads (get_json, form, files, data, values): " + _BODY,
    "flask.session": (
        "needs a session store: SECRET_KEY in the config or Starlette's SessionMiddleware"
        " on the app (see the migration guide, Sessions); without one, using it raises"
        " RuntimeError"
    ),
    "flask.url_for": (
        "builds from FastAPI route names (the endpoint function's name unless the route has"
        " name=); extra values become the query string"
    ),
    "flask.current_app": (
        "is the FlaskCompat, not a flask.Flask: Flask-only attributes (url_map, cli, route)"
        " are absent"
    ),
    "flask.copy_current_request_context": (
        "as in Flask, a plain thread gets a fresh g; wrap with copy_current_app_context too"
        " to share the request's g"
    ),
    "request.get_json": _BODY,
    "request.json": _BODY,
    "request.form": _BODY,
    "request.files": _BODY,
    "request.data": _BODY,
    "request.values": _BODY,
    "request.get_data": _BODY,
    "request.stream": _BODY,
    "request.url_rule": "a Starlette route, not a Werkzeug Rule: read .path and .name",
    "request.view_args": (
        "Starlette's path parameters: strings unless the path uses a convertor"
        " (`{n:int}`); FastAPI converts later, in the endpoint"
    ),
    "request.endpoint": "the FastAPI route's name",
    "request.environ": "a WSGI-style dict built on first use, not the server's",
    "app.logger": "a logging.Logger named after the app; the server logs unhandled errors",
    "app.make_response": "also accepts Starlette responses, returned as they are",
}

_ROUTES = (
    "routing is FastAPI's: declare the route with @app.get/@app.post (or an APIRouter);"
    " the view body runs unchanged"
)
_NO_BLUEPRINT = (
    "this fastapi_flaskcompat has no Blueprint yet: routes go on a fastapi.APIRouter, and"
    " hooks registered on the FlaskCompat run for every request"
)
_TEMPLATES = (
    "under the bridge Flask's template functions render with the app's Jinja environment;"
    " without it, use starlette.templating.Jinja2Templates"
)
_INTERNALS = (
    "Flask internals (the context stacks were removed in Flask 2.3): use g, current_app,"
    " request, has_app_context() and proxies' _get_current_object()"
)
_SIGNALS = (
    "this fastapi_flaskcompat has no signals yet: call the code from a hook"
    " (before_request/after_request/teardown_request) or a blinker signal of your own"
)

#: What to do instead, by the name reports show (``app.X`` also serves ``blueprint.X``
#: and ``current_app.X``).
ADVICE: dict[str, str] = {
    "flask.Flask": (
        "create the app with FastAPI() and install this library with"
        " compat = FlaskCompat(app, config=...); register hooks on compat"
    ),
    "flask.Blueprint": _NO_BLUEPRINT,
    "flask.json": ("jsonify builds JSON responses; use the stdlib json for dumps/loads"),
    "flask.render_template": _TEMPLATES,
    "flask.render_template_string": _TEMPLATES,
    "flask.stream_template": _TEMPLATES,
    "flask.stream_template_string": _TEMPLATES,
    "flask.get_template_attribute": _TEMPLATES,
    "flask.redirect": (
        "without the bridge: return starlette.responses.RedirectResponse(url, status_code=302)"
    ),
    "flask.flash": "without the bridge: keep the messages in session yourself",
    "flask.get_flashed_messages": "without the bridge: keep the messages in session yourself",
    "flask.send_file": "return starlette.responses.FileResponse",
    "flask.send_from_directory": (
        "mount starlette.staticfiles.StaticFiles, or FileResponse with werkzeug.security.safe_join"
    ),
    "flask.safe_join": "werkzeug.security.safe_join",
    "flask.Markup": "markupsafe.Markup",
    "flask.escape": "markupsafe.escape",
    "flask._app_ctx_stack": _INTERNALS,
    "flask._request_ctx_stack": _INTERNALS,
    "flask.globals._cv_app": _INTERNALS,
    "flask.globals._cv_request": _INTERNALS,
    "flask.globals.app_ctx": _INTERNALS,
    "flask.globals.request_ctx": _INTERNALS,
    "flask.ctx.AppContext": "FlaskCompat.app_context() returns this library's AppContext",
    "flask.ctx.RequestContext": (
        "FlaskCompat.test_request_context() returns this library's RequestContext"
    ),
    "flask.ctx._AppCtxGlobals": "subclass nothing: g is a plain namespace here too",
    "flask.signals_available": "blinker is always there when signals are",
    "flask.json_available": "always true: remove the check",
    "flask.signals.Namespace": "use blinker.Namespace",
    "flask.views.MethodView": _ROUTES,
    "flask.views.View": _ROUTES,
    "flask.sessions.SessionInterface": ("server-side sessions: see the migration guide, Sessions"),
    "flask.sessions.SecureCookieSessionInterface": "see the migration guide, Sessions",
    "flask.testing.FlaskClient": "use starlette.testclient.TestClient or httpx",
    "flask.cli.FlaskGroup": "the Flask CLI is not provided: write a click/typer entry point",
    "flask.cli.with_appcontext": (
        "the Flask CLI is not provided: wrap the command body in `with compat.app_context():`"
    ),
    "flask.cli.AppGroup": "the Flask CLI is not provided: write a click/typer entry point",
    "flask.*": "import the names explicitly, then rewrite",
    "app.route": _ROUTES,
    "app.add_url_rule": _ROUTES,
    "app.get": _ROUTES,
    "app.post": _ROUTES,
    "app.put": _ROUTES,
    "app.delete": _ROUTES,
    "app.patch": _ROUTES,
    "app.endpoint": _ROUTES,
    "app.instance_path": "put the path in the config; FlaskCompat has root_path",
    "app.open_resource": "open the file relative to the package (importlib.resources)",
    "app.open_instance_resource": "open the file from a path in the config",
    "app.view_functions": "FastAPI's app.routes lists the routes and their endpoints",
    "app.url_map": (
        "not provided (routing is FastAPI's): read app.routes; URL converters are Starlette"
        " convertors"
    ),
    "app.cli": "the Flask CLI is not provided: write a click/typer entry point",
    "app.run": "serve with uvicorn (or any ASGI server)",
    "app.test_client": "use starlette.testclient.TestClient or httpx on the FastAPI app",
    "app.test_cli_runner": "the Flask CLI is not provided",
    "app.wsgi_app": "the app is ASGI: wrap it with ASGI middleware",
    "app.errorhandler": (
        "use FastAPI's @app.exception_handler(code_or_exception) on the FastAPI app; g and"
        " request work inside it"
    ),
    "app.register_error_handler": "use FastAPI's app.add_exception_handler(...)",
    "app.app_errorhandler": "use FastAPI's @app.exception_handler(...) on the FastAPI app",
    "app.register_blueprint": (
        "app.include_router(router) on the FastAPI app; a blueprint's hooks go on the FlaskCompat"
    ),
    "app.before_first_request": "removed in Flask 2.3: use a FastAPI lifespan handler",
    "app.before_app_first_request": "removed in Flask 2.3: use a FastAPI lifespan handler",
    "app.before_app_request": _NO_BLUEPRINT,
    "app.after_app_request": _NO_BLUEPRINT,
    "app.teardown_app_request": _NO_BLUEPRINT,
    "app.context_processor": _TEMPLATES,
    "app.app_context_processor": _TEMPLATES,
    "app.template_filter": _TEMPLATES,
    "app.template_global": _TEMPLATES,
    "app.template_test": _TEMPLATES,
    "app.app_template_filter": _TEMPLATES,
    "app.app_template_global": _TEMPLATES,
    "app.jinja_env": _TEMPLATES,
    "app.shell_context_processor": "the Flask CLI (flask shell) is not provided",
    "app.url_value_preprocessor": "use a FastAPI dependency on the routes",
    "app.url_defaults": "pass the values to url_for explicitly",
    "app.json_encoder": "removed in Flask 2.3: configure the JSON provider",
    "app.session_interface": "see the migration guide, Sessions",
    "app.record": "run the setup code where the router is included",
    "app.record_once": "run the setup code where the router is included",
}

#: ``werkzeug.local``: not Flask's names, but legacy code builds its own proxies with it.
WERKZEUG_LOCAL: dict[str, tuple[str, str]] = {
    "LocalProxy": (
        CAVEAT,
        "LocalProxy(callable) over this library's g/request/current_app works as it is;"
        " LocalProxy over a werkzeug Local or Flask's context stacks sees no request here",
    ),
    "Local": (
        MISSING,
        "thread-local state does not follow a request across FastAPI's threadpool: keep it"
        " in g, or in a ContextVar holding a mutable object",
    ),
    "LocalStack": (MISSING, "keep per-request state in g (or a ContextVar)"),
    "LocalManager": (MISSING, "no cleanup needed: the library resets its contexts"),
    "release_local": (MISSING, "no cleanup needed: the library resets its contexts"),
}

EXTENSION_NOTE = (
    "a Flask extension: call its init_app(compat); one that relies on app.url_map, the CLI"
    " or Flask's routing needs a FastAPI-side replacement"
)
_NO_BRIDGE_YET = " (this fastapi_flaskcompat has no bridge_flask yet)"
_GENERIC_MISSING = "not provided by fastapi_flaskcompat; keep Flask for it or port the code"


@dataclass(frozen=True)
class Verdict:
    """A status (one of :data:`STATUSES`) and what to know about it."""

    status: str
    note: str = ""


@dataclass(frozen=True)
class Coverage:
    """What the installed library provides, read from its code.

    Build it with :meth:`from_library`; it is a plain value (picklable), so
    worker processes get the parent's reading.
    """

    exported: frozenset[str]
    app_attrs: frozenset[str]
    blueprint_attrs: frozenset[str] | None
    signals: frozenset[str] | None
    bridge: bool
    request_attrs: frozenset[str]

    @classmethod
    def from_library(cls) -> Coverage:
        import fastapi_flaskcompat as lib

        exported = frozenset(getattr(lib, "__all__", ()))
        from fastapi_flaskcompat.app import ABSENT

        compat = lib.FlaskCompat()
        # Flask's app API only (the snapshot does not follow internals), without
        # what FlaskCompat names only to say it is absent.
        app_attrs = (_public_attributes(type(compat), compat) & APP_API) - frozenset(ABSENT)
        blueprint_attrs = None
        blueprint = getattr(lib, "Blueprint", None) if "Blueprint" in exported else None
        if isinstance(blueprint, type):
            instance = None
            try:
                instance = blueprint("flaskcompat_scan", "flaskcompat_scan")
            except Exception:  # its attributes on the class are enough
                instance = None
            blueprint_attrs = _public_attributes(blueprint, instance) & BLUEPRINT_API
        signals = None
        if importlib.util.find_spec("fastapi_flaskcompat.signals") is not None:
            module = importlib.import_module("fastapi_flaskcompat.signals")
            signals = frozenset(n for n in SIGNALS if hasattr(module, n))
        try:
            params = inspect.signature(lib.FlaskCompat.__init__).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        bridge = "bridge_flask" in params
        try:  # a real request: Werkzeug sets some attributes in __init__
            sample: object | None = compat.test_request_context("/").request
        except Exception:
            sample = None
        request_attrs = _public_attributes(type(sample) if sample else lib.Request, sample)
        return cls(exported, app_attrs, blueprint_attrs, signals, bridge, request_attrs)

    # -- names imported from flask -------------------------------------------

    def flask_name(self, canonical: str) -> Verdict:
        """The verdict for ``flask.X`` or ``flask.sub.X`` (see ``canonical_flask_name``)."""
        parts = canonical.split(".")
        name = parts[-1]
        top = len(parts) == 2
        if name in SIGNALS and (top or parts[1] == "signals"):
            if name in self.exported or (self.signals is not None and name in self.signals):
                return self._covered(canonical)
            return Verdict(MISSING, ADVICE.get(canonical, _SIGNALS))
        if top and name in self.exported:
            return self._covered(canonical)
        if top and name in BRIDGED:
            return self._bridged(ADVICE.get(canonical, ""))
        return Verdict(MISSING, ADVICE.get(canonical, _GENERIC_MISSING))

    def target(self, canonical: str) -> str | None:
        """Where ``rewrite`` imports a covered flask name from, or None to leave it."""
        parts = canonical.split(".")
        name = parts[-1]
        if len(parts) == 2 and name in self.exported:
            return "fastapi_flaskcompat"
        if (
            name in SIGNALS
            and (len(parts) == 2 or parts[1] == "signals")
            and self.signals is not None
            and name in self.signals
        ):
            return "fastapi_flaskcompat.signals"
        return None

    # -- attributes of apps, blueprints and proxies ------------------------------

    def app_attribute(self, attr: str, kind: str) -> Verdict:
        """``kind`` is ``"app"`` (a Flask app, ``current_app``) or ``"blueprint"``."""
        if kind == "blueprint":
            attrs = self.blueprint_attrs
            if attrs is not None and attr in attrs:
                return self._covered("app." + attr)
            advice = ADVICE.get("app." + attr)
            if attrs is None and (advice is None or attr in _HOOKS):
                advice = _NO_BLUEPRINT
            return Verdict(MISSING, advice or _GENERIC_MISSING)
        if attr in self.app_attrs:
            return self._covered("app." + attr)
        return Verdict(MISSING, ADVICE.get("app." + attr, _GENERIC_MISSING))

    def request_attribute(self, attr: str) -> Verdict:
        if attr in self.request_attrs:
            return self._covered("request." + attr)
        return Verdict(MISSING, "fastapi_flaskcompat's request has no such attribute")

    def extension(self, module: str) -> Verdict:
        return self._bridged(EXTENSION_NOTE, "keep the extension")

    def werkzeug_local(self, name: str) -> Verdict:
        status, note = WERKZEUG_LOCAL.get(name, (MISSING, _GENERIC_MISSING))
        return Verdict(status, note)

    def _covered(self, key: str) -> Verdict:
        caveat = CAVEATS.get(key)
        return Verdict(CAVEAT, caveat) if caveat else Verdict(COVERED)

    def _bridged(self, note: str, keep: str = "keep the flask import") -> Verdict:
        how = f"{keep}; FlaskCompat(app, bridge_flask=True) serves it"
        if not self.bridge:
            how += _NO_BRIDGE_YET
        return Verdict(BRIDGE, f"{how}; {note}" if note else how)


#: Hook decorators: on a blueprint without this library's Blueprint, the advice
#: is where to register them instead.
_HOOKS = frozenset(
    {
        "before_request",
        "after_request",
        "teardown_request",
        "before_app_request",
        "after_app_request",
        "teardown_app_request",
    }
)


def _public_attributes(cls: type, instance: object | None) -> frozenset[str]:
    # dir() of the class and the instance's own attributes, without evaluating
    # properties and without FlaskCompat's fall-through to the FastAPI app.
    names = set(dir(cls))
    if instance is not None:
        names.update(getattr(instance, "__dict__", {}))
    return frozenset(n for n in names if not n.startswith("_"))


def canonical_flask_name(module: str, name: str) -> str:
    """The name reports show for ``from <module> import <name>`` (module is flask...).

    Names Flask re-exports at top level are the same object wherever they are
    imported from: ``from flask.globals import g`` is ``flask.g``.
    """
    if module == "flask" or name in FLASK_TOP_LEVEL:
        return "flask." + name
    return f"{module}.{name}"


def as_mapping(coverage: Coverage) -> dict[str, t.Any]:
    """The coverage as JSON-able data (for ``--format json``)."""
    return {
        "exported": sorted(coverage.exported),
        "blueprint": coverage.blueprint_attrs is not None,
        "signals": coverage.signals is not None,
        "bridge_flask": coverage.bridge,
    }
