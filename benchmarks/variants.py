"""Per-request variants: one app per way of keeping request-local state, same endpoint behaviour.

Every variant answers ``GET /item?q=N`` (or ``POST /item`` with a 1 KiB JSON body holding ``q``)
with ``{"q": "N"}``. Library and peer imports happen inside the builders, so the harness runs
with whatever is installed and says what is missing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp

from .harness import Check, Req, Resp, Target

GET = "GET"
POST = "POST"


class Unavailable(Exception):
    """The variant cannot run here (package missing or feature not landed yet)."""


def requests_for(method: str, n: int) -> list[Req]:
    if method == POST:
        out = []
        for i in range(n):
            payload = {"q": str(i), "pad": ""}
            pad = 1024 - len(json.dumps(payload))
            payload["pad"] = "x" * pad
            headers = (("x-token", "abc"), ("content-type", "application/json"))
            out.append(
                Req(method=POST, query="", headers=headers, body=json.dumps(payload).encode())
            )
        return out
    return [Req(query=f"q={i}") for i in range(n)]


def expected_q(req: Req) -> str:
    if req.body:
        return str(json.loads(req.body)["q"])
    return req.query.removeprefix("q=")


def check_json(resp: Resp, expected: dict[str, str]) -> str | None:
    """What is wrong with a response that should be 200 with the JSON ``expected``."""
    if resp.status != 200:
        return "status is not 200"
    try:
        data = json.loads(resp.body)
    except ValueError:
        return "body is not JSON"
    if data != expected:
        return f"expected {expected!r}"
    return None


def check_echo(req: Req, resp: Resp) -> str | None:
    return check_json(resp, {"q": expected_q(req)})


@dataclass(frozen=True)
class Variant:
    name: str
    group: str  # "bare", "flaskcompat", "peer", "framework"
    baseline: str  # name of the variant its ratio is taken against
    method: str
    build: Callable[[], Target]
    note: str = ""
    # Optional features may not have landed: NotImplementedError/AttributeError/TypeError
    # then mean "not available" instead of failing the run.
    optional: bool = False
    #: Requests and answer check other than the ``q`` echo (e.g. a logged-in user's).
    make_requests: Callable[[int], list[Req]] | None = None
    checker: Check | None = None

    def requests(self, n: int) -> list[Req]:
        if self.make_requests is not None:
            return self.make_requests(n)
        return requests_for(self.method, n)

    def check(self, req: Req, resp: Resp) -> str | None:
        return (self.checker or check_echo)(req, resp)


# --- bare FastAPI ---------------------------------------------------------------------------


def _bare_async() -> Target:
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        return {"q": q}

    return Target(asgi=app)


def check_no_query(req: Req, resp: Resp) -> str | None:
    return check_json(resp, {"q": "-"})


def _bare_no_query() -> Target:
    """Issue 7's baseline for the g + request.args row: an endpoint that reads no query."""
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        return {"q": "-"}

    return Target(asgi=app)


def _bare_sync() -> Target:
    app = FastAPI()

    @app.get("/item")
    def item(q: str) -> dict[str, str]:
        return {"q": q}

    return Target(asgi=app)


def _bare_json() -> Target:
    app = FastAPI()

    @app.post("/item")
    async def item(request: Request) -> dict[str, str]:
        data = await request.json()
        return {"q": data["q"]}

    return Target(asgi=app)


# --- the floor: the least any middleware-based approach can cost ----------------------------

_floor_var: ContextVar[dict[str, Any]] = ContextVar("floor")


class FloorMiddleware:
    """Pure ASGI middleware that sets and resets one ContextVar per request, nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = _floor_var.set({})
        try:
            await self.app(scope, receive, send)
        finally:
            _floor_var.reset(token)


def _floor() -> Target:
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        return {"q": q}

    app.add_middleware(FloorMiddleware)
    return Target(asgi=app)


_floor_scope: ContextVar[tuple[Any, dict[str, Any]]] = ContextVar("floor_scope")


class FloorScopeMiddleware:
    """Pure ASGI middleware that binds the scope and a fresh dict (a ``g``), nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = _floor_scope.set((scope, {}))
        try:
            await self.app(scope, receive, send)
        finally:
            _floor_scope.reset(token)


def _floor_werkzeug_args() -> Target:
    """A lower bound for the g + request.args row: what any library pays that answers
    ``request.args`` with Werkzeug's request, as the contract requires. One ContextVar,
    Werkzeug's sans-IO request built from the scope with no headers (less than a library
    can do: it must give ``request.headers``), its ``args``, a g write and read."""
    from werkzeug.datastructures import Headers
    from werkzeug.sansio.request import Request as SansIORequest

    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        scope, g = _floor_scope.get()
        request = SansIORequest(
            method=scope["method"],
            scheme=scope["scheme"],
            server=scope["server"],
            root_path=scope["root_path"],
            path=scope["path"],
            query_string=scope["query_string"],
            headers=Headers(),
            remote_addr=scope["client"][0],
        )
        g["x"] = 1
        g["q"] = request.args.get("q")
        return {"q": g["q"]}

    app.add_middleware(FloorScopeMiddleware)
    return Target(asgi=app)


# --- this library -----------------------------------------------------------------------------


def _lib() -> Any:
    try:
        import fastapi_flaskcompat
    except ImportError as exc:
        raise Unavailable(f"fastapi_flaskcompat not importable: {exc}") from exc
    if not hasattr(fastapi_flaskcompat, "FlaskCompat"):
        raise Unavailable("fastapi_flaskcompat has no FlaskCompat yet")
    return fastapi_flaskcompat


def _flask_module() -> Any:
    """Flask, or Unavailable: the Flask rows and the bridge rows need it."""
    try:
        import flask
    except ImportError as exc:
        raise Unavailable("flask not installed") from exc
    return flask


def _echo_compat() -> tuple[Any, FastAPI, Any]:
    """The library, a FastAPI app with the echo endpoint, and its FlaskCompat."""
    fc = _lib()
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        return {"q": q}

    return fc, app, fc.FlaskCompat(app)


def _lib_hooks(which: str, kind: str) -> Callable[[], Target]:
    """which: letters of the hooks to register, b(efore) a(fter) t(eardown).
    kind: "none", "async", "sync" (threadpool) or "inline" (sync marked nonblocking)."""

    def build() -> Target:
        fc, app, compat = _echo_compat()
        if kind == "none":
            return Target(asgi=app)
        mark: Callable[[Any], Any] = lambda f: f  # noqa: E731
        if kind == "inline":
            if not hasattr(fc, "nonblocking"):
                raise Unavailable("fastapi_flaskcompat.nonblocking not available")
            mark = fc.nonblocking
        if kind == "async":

            async def before() -> None:
                return None

            async def after(response: Any) -> Any:
                return response

            async def teardown(exc: BaseException | None) -> None:
                return None

            hooks: tuple[Any, Any, Any] = (before, after, teardown)
        else:

            def before_s() -> None:
                return None

            def after_s(response: Any) -> Any:
                return response

            def teardown_s(exc: BaseException | None) -> None:
                return None

            hooks = (mark(before_s), mark(after_s), mark(teardown_s))
        if "b" in which:
            compat.before_request(hooks[0])
        if "a" in which:
            compat.after_request(hooks[1])
        if "t" in which:
            compat.teardown_request(hooks[2])
        return Target(asgi=app)

    return build


def _lib_sync_endpoint() -> Target:
    fc = _lib()
    app = FastAPI()

    @app.get("/item")
    def item(q: str) -> dict[str, str]:
        return {"q": q}

    fc.FlaskCompat(app)
    return Target(asgi=app)


def _lib_g(sync: bool) -> Callable[[], Target]:
    def build() -> Target:
        fc = _lib()
        g = fc.g
        app = FastAPI()
        if sync:

            @app.get("/item")
            def item_s(q: str) -> dict[str, str]:
                g.q = q
                return {"q": g.q}
        else:

            @app.get("/item")
            async def item(q: str) -> dict[str, str]:
                g.q = q
                return {"q": g.q}

        fc.FlaskCompat(app)
        return Target(asgi=app)

    return build


def _lib_args() -> Target:
    fc = _lib()
    request = fc.request
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        return {"q": request.args.get("q")}

    fc.FlaskCompat(app)
    return Target(asgi=app)


def _lib_g_and_args(bridged: bool) -> Callable[[], Target]:
    """The endpoint of a typical ported helper: writes g, reads it and request.args.
    ``bridged``: the same with the bridge on, what turning it on costs a request."""

    def build() -> Target:
        fc = _lib()
        if bridged:
            _flask_module()
        g, request = fc.g, fc.request
        app = FastAPI()

        @app.get("/item")
        async def item() -> dict[str, str]:
            g.x = 1
            g.q = request.args.get("q")
            return {"q": g.q}

        fc.FlaskCompat(app, bridge_flask=bridged)
        return Target(asgi=app)

    return build


def _lib_json() -> Target:
    fc = _lib()
    request = fc.request
    app = FastAPI()

    @app.post("/item")
    async def item() -> dict[str, str]:
        return {"q": request.get_json()["q"]}

    fc.FlaskCompat(app)
    return Target(asgi=app)


def _lib_bridge() -> Target:
    fc = _lib()
    flask = _flask_module()
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        # Unedited Flask code: flask's own proxies, resolved by the bridge.
        flask.g.q = flask.request.args.get("q")
        return {"q": flask.g.q}

    try:
        fc.FlaskCompat(app, bridge_flask=True)
    except TypeError as exc:
        raise Unavailable(f"bridge_flask not accepted: {exc}") from exc
    return Target(asgi=app)


# --- blueprints and signals (issue 8) ---------------------------------------------------------


async def _noop_before() -> None:
    return None


def _lib_blueprint(hooked_route: bool) -> Callable[[], Target]:
    """One async before_request on a blueprint. hooked_route: the request goes to the
    blueprint's route; else to a route of no blueprint, beside the hooked blueprint."""

    def build() -> Target:
        fc = _lib()
        app = FastAPI()
        bp = fc.Blueprint("bp", __name__, url_prefix="" if hooked_route else "/bp")

        @bp.get("/item")  # type: ignore[untyped-decorator]
        async def bp_item(q: str) -> dict[str, str]:
            return {"q": q}

        bp.before_request(_noop_before)
        if not hooked_route:

            @app.get("/item")
            async def item(q: str) -> dict[str, str]:
                return {"q": q}

        app.include_router(bp)
        fc.FlaskCompat(app)
        return Target(asgi=app)

    return build


def _lib_app_hook_on_router() -> Target:
    """The blueprint row's baseline: the same async before_request on the app, its route
    on a plain ``APIRouter`` included the same way. FastAPI's own matching of an
    included router's route costs more than an app route's, so the blueprint row
    compares like with like."""
    fc = _lib()
    from fastapi import APIRouter

    app = FastAPI()
    router = APIRouter()

    @router.get("/item")
    async def item(q: str) -> dict[str, str]:
        return {"q": q}

    app.include_router(router)
    fc.FlaskCompat(app).before_request(_noop_before)
    return Target(asgi=app)


def _lib_signals_unloaded() -> Target:
    """A bare install (no Flask, no blinker): the signals module never loaded.

    ``signalling`` is the app's switch the request path reads (False while no receiver
    would be called for the app); set False here, it gives this app what a process
    without the signals module gives every app."""
    _, app, compat = _echo_compat()
    compat.signalling = False
    return Target(asgi=app)


def _lib_signal_receivers() -> Target:
    """Receivers on request_started and request_finished, connected for this app only
    and only while its slices run: blinker's receivers are per signal, so a receiver
    left connected would put every app in the process on the signalling path."""
    _lib()
    try:
        from fastapi_flaskcompat import signals
    except ImportError as exc:
        raise Unavailable(f"signals not available: {exc}") from exc
    _, app, compat = _echo_compat()
    seen = [0]

    def on_signal(sender: Any, **kwargs: Any) -> None:
        seen[0] += 1

    @contextlib.contextmanager
    def connected() -> Iterator[None]:
        before = seen[0]
        signals.request_started.connect(on_signal, compat)
        signals.request_finished.connect(on_signal, compat)
        try:
            yield
        finally:
            signals.request_started.disconnect(on_signal, compat)
            signals.request_finished.disconnect(on_signal, compat)
        # The receivers must really fire, or the row prices nothing.
        if seen[0] == before:
            raise AssertionError("the signal receivers never fired")

    return Target(asgi=app, during=connected)


# --- Flask-Login current_user (issue 9): FastAPI + bridge vs a real Flask app ---------------

LOGIN_SECRET = "benchmark-secret"
LOGIN_USER = "ann"


class _LoginSetup:
    """The signed session cookie of a logged-in user, made once by a real Flask app
    (the library reads Flask's cookie format with the same secret key)."""

    cookie: str | None = None


def _flask_login() -> Any:
    try:
        import flask_login  # type: ignore[import-untyped]
    except ImportError as exc:
        raise Unavailable("flask-login not installed") from exc
    return flask_login


def _login_manager(flask_login: Any) -> Any:
    class User(flask_login.UserMixin):  # type: ignore[misc]
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    manager = flask_login.LoginManager()
    manager.user_loader(lambda user_id: User(user_id) if user_id == LOGIN_USER else None)
    manager.bench_user_class = User
    return manager


def login_cookie() -> str:
    if _LoginSetup.cookie is None:
        import flask

        flask_login = _flask_login()
        app = flask.Flask("bench-login-cookie")
        app.config["SECRET_KEY"] = LOGIN_SECRET
        manager = _login_manager(flask_login)
        manager.init_app(app)
        # The benchmark's client address, so session protection's identifier matches.
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            flask_login.login_user(manager.bench_user_class(LOGIN_USER))
            interface: Any = app.session_interface
            serializer = interface.get_signing_serializer(app)
            assert serializer is not None
            _LoginSetup.cookie = serializer.dumps(dict(flask.session))
    return _LoginSetup.cookie


def login_requests(n: int) -> list[Req]:
    headers = (("x-token", "abc"), ("cookie", f"session={login_cookie()}"))
    return [Req(query=f"q={i}", headers=headers) for i in range(n)]


def check_login(req: Req, resp: Resp) -> str | None:
    problem = check_json(resp, {"id": LOGIN_USER})
    if problem is not None:
        return problem
    if any(k.lower() == b"set-cookie" for k, _ in resp.headers):
        return "a read-only request rewrote the session cookie"
    return None


def _bare_login_answer() -> Target:
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        return {"id": LOGIN_USER}

    return Target(asgi=app)


def _lib_login() -> Target:
    fc = _lib()
    flask_login = _flask_login()
    login_cookie()
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        return {"id": flask_login.current_user.id}

    compat = fc.FlaskCompat(app, bridge_flask=True, config={"SECRET_KEY": LOGIN_SECRET})
    _login_manager(flask_login).init_app(compat)
    return Target(asgi=app)


def _flask_bare_login_answer() -> Target:
    flask = _flask_module()
    app = flask.Flask("bench-bare")
    app.config["SECRET_KEY"] = LOGIN_SECRET

    @app.get("/item")
    def item() -> dict[str, Any]:
        return {"id": LOGIN_USER}

    return Target(wsgi=app.wsgi_app)


def _flask_login_app() -> Target:
    import flask

    flask_login = _flask_login()
    login_cookie()
    app = flask.Flask("bench-login")
    app.config["SECRET_KEY"] = LOGIN_SECRET
    _login_manager(flask_login).init_app(app)

    @app.get("/item")
    def item() -> dict[str, Any]:
        return {"id": flask_login.current_user.id}

    return Target(wsgi=app.wsgi_app)


# --- peers ------------------------------------------------------------------------------------


def _starlette_context(raw: bool) -> Callable[[], Target]:
    def build() -> Target:
        try:
            from starlette_context import context
            from starlette_context.middleware import ContextMiddleware, RawContextMiddleware
        except ImportError as exc:
            raise Unavailable("starlette-context not installed") from exc
        app = FastAPI()

        @app.get("/item")
        async def item(q: str) -> dict[str, str]:
            context["q"] = q
            return {"q": context["q"]}

        app.add_middleware(RawContextMiddleware if raw else ContextMiddleware)
        return Target(asgi=app)

    return build


def _fastapi_globals() -> Target:
    try:
        from fastapi_globals import GlobalsMiddleware, g
    except ImportError as exc:
        raise Unavailable("fastapi-globals not installed") from exc
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        g.q = q
        return {"q": g.q}

    app.add_middleware(GlobalsMiddleware)
    return Target(asgi=app)


def cvx_registry() -> Any:
    """A contextvars-extras registry used the way Flask code uses ``g``."""
    try:
        from contextvars_extras import ContextVarsRegistry  # type: ignore[import-untyped]
    except ImportError as exc:
        raise Unavailable("contextvars-extras not installed") from exc

    class G(ContextVarsRegistry):  # type: ignore[misc]
        q: str | None = None
        user: str | None = None

    return G()


def _contextvars_extras() -> Target:
    reg = cvx_registry()
    app = FastAPI()

    # No middleware: it relies on each request task running in its own context copy.
    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        reg.q = q
        return {"q": reg.q}

    return Target(asgi=app)


# --- other frameworks -------------------------------------------------------------------------


def _flask() -> Target:
    flask = _flask_module()
    app = flask.Flask("bench")

    @app.get("/item")
    def item() -> dict[str, Any]:
        flask.g.q = flask.request.args.get("q")
        return {"q": flask.g.q}

    return Target(wsgi=app.wsgi_app)


def _quart() -> Target:
    try:
        import quart
    except ImportError as exc:
        raise Unavailable("quart not installed") from exc
    app = quart.Quart("bench")

    @app.get("/item")
    async def item() -> dict[str, Any]:
        quart.g.q = quart.request.args.get("q")
        return {"q": quart.g.q}

    # Quart types its ASGI signature with its own aliases; it is a plain ASGI app.
    return Target(asgi=app)  # type: ignore[arg-type]


BARE = "bare FastAPI (async)"
BARE_SYNC = "bare FastAPI (sync def)"
BARE_JSON = "bare FastAPI (await request.json())"
BARE_NO_QUERY = "bare FastAPI, reading no query"
BARE_LOGIN = "bare FastAPI (the login rows' request and answer)"
FLASK_BARE_LOGIN = "Flask 3, bare (the login rows' request and answer)"
LIB_NO_HOOKS = "flaskcompat, no hooks"
LIB_APP_HOOK = "flaskcompat, 1 async hook"
LIB_APP_HOOK_ROUTER = "flaskcompat, 1 async hook, route on an included APIRouter"
LIB_BP_HOOK = "flaskcompat, the same hook on a blueprint (its route)"
LIB_BP_BESIDE = "flaskcompat, route of no blueprint beside a hooked blueprint"
LIB_SIGNALS_UNLOADED = "flaskcompat, no hooks, signals never loaded (bare install)"
LIB_SIGNAL_RECEIVERS = "flaskcompat, receivers on request_started + request_finished"
FLOOR_WERKZEUG_ARGS = "floor: one ContextVar + Werkzeug's request, g + request.args"
LIB_G_ARGS = "flaskcompat, g + request.args"
LIB_G_ARGS_BRIDGED = "flaskcompat, g + request.args, bridge on"
LIB_BRIDGE_FLASK_NAMES = "flaskcompat, Flask bridge (flask.g/request)"
LOGIN_FASTAPI = "Flask-Login current_user, FastAPI + bridge"
LOGIN_FLASK = "Flask-Login current_user, Flask 3"

VARIANTS: list[Variant] = [
    Variant(BARE, "bare", BARE, GET, _bare_async),
    Variant(
        "bare FastAPI again (noise floor)", "bare", BARE, GET, _bare_async, "same app built twice"
    ),
    Variant(BARE_NO_QUERY, "bare", BARE_NO_QUERY, GET, _bare_no_query, checker=check_no_query),
    Variant(BARE_SYNC, "bare", BARE_SYNC, GET, _bare_sync),
    Variant(BARE_JSON, "bare", BARE_JSON, POST, _bare_json),
    Variant("floor: pure ASGI, one ContextVar", "floor", BARE, GET, _floor),
    Variant(LIB_NO_HOOKS, "flaskcompat", BARE, GET, _lib_hooks("", "none")),
    Variant(LIB_APP_HOOK, "flaskcompat", BARE, GET, _lib_hooks("b", "async")),
    Variant(LIB_APP_HOOK_ROUTER, "flaskcompat", LIB_APP_HOOK, GET, _lib_app_hook_on_router),
    Variant(LIB_BP_HOOK, "flaskcompat", LIB_APP_HOOK_ROUTER, GET, _lib_blueprint(True)),
    Variant(LIB_BP_BESIDE, "flaskcompat", LIB_NO_HOOKS, GET, _lib_blueprint(False)),
    Variant(LIB_SIGNALS_UNLOADED, "flaskcompat", LIB_NO_HOOKS, GET, _lib_signals_unloaded),
    Variant(LIB_SIGNAL_RECEIVERS, "flaskcompat", LIB_NO_HOOKS, GET, _lib_signal_receivers),
    Variant("flaskcompat, 3 async hooks", "flaskcompat", BARE, GET, _lib_hooks("bat", "async")),
    Variant(
        "flaskcompat, async after_request only", "flaskcompat", BARE, GET, _lib_hooks("a", "async")
    ),
    Variant(
        "flaskcompat, async teardown_request only",
        "flaskcompat",
        BARE,
        GET,
        _lib_hooks("t", "async"),
    ),
    Variant(
        "flaskcompat, 1 sync hook (threadpool)", "flaskcompat", BARE, GET, _lib_hooks("b", "sync")
    ),
    Variant(
        "flaskcompat, 3 sync hooks (threadpool)",
        "flaskcompat",
        BARE,
        GET,
        _lib_hooks("bat", "sync"),
    ),
    Variant(
        "flaskcompat, 1 sync hook (nonblocking)",
        "flaskcompat",
        BARE,
        GET,
        _lib_hooks("b", "inline"),
        optional=True,
    ),
    Variant(
        "flaskcompat, 3 sync hooks (nonblocking)",
        "flaskcompat",
        BARE,
        GET,
        _lib_hooks("bat", "inline"),
        optional=True,
    ),
    Variant("flaskcompat, g write+read", "flaskcompat", BARE, GET, _lib_g(False)),
    Variant("flaskcompat, request.args", "flaskcompat", BARE, GET, _lib_args),
    # Issue 7's pair: against a bare endpoint that reads no query, as the issue measured.
    Variant(FLOOR_WERKZEUG_ARGS, "floor", BARE_NO_QUERY, GET, _floor_werkzeug_args),
    Variant(LIB_G_ARGS, "flaskcompat", BARE_NO_QUERY, GET, _lib_g_and_args(False)),
    Variant("flaskcompat, sync def endpoint", "flaskcompat", BARE_SYNC, GET, _lib_sync_endpoint),
    Variant("flaskcompat, sync def, g write+read", "flaskcompat", BARE_SYNC, GET, _lib_g(True)),
    Variant(
        "flaskcompat, request.get_json() 1 KiB",
        "flaskcompat",
        BARE_JSON,
        POST,
        _lib_json,
        optional=True,
    ),
    Variant(LIB_G_ARGS_BRIDGED, "flaskcompat", LIB_G_ARGS, GET, _lib_g_and_args(True)),
    Variant(
        LIB_BRIDGE_FLASK_NAMES,
        "flaskcompat",
        LIB_G_ARGS,
        GET,
        _lib_bridge,
        "the same endpoint written with flask's names, unedited",
    ),
    Variant("starlette-context (raw ASGI)", "peer", BARE, GET, _starlette_context(True)),
    Variant("starlette-context (BaseHTTPMiddleware)", "peer", BARE, GET, _starlette_context(False)),
    Variant("fastapi-globals", "peer", BARE, GET, _fastapi_globals),
    Variant("contextvars-extras registry", "peer", BARE, GET, _contextvars_extras),
    Variant("Flask 3 (WSGI callable)", "framework", BARE, GET, _flask, "no server, no threads"),
    Variant("Quart (ASGI callable)", "framework", BARE, GET, _quart),
    Variant(
        BARE_LOGIN,
        "bare",
        BARE_LOGIN,
        GET,
        _bare_login_answer,
        make_requests=login_requests,
        checker=check_login,
    ),
    Variant(
        LOGIN_FASTAPI,
        "flaskcompat",
        BARE_LOGIN,
        GET,
        _lib_login,
        make_requests=login_requests,
        checker=check_login,
    ),
    Variant(
        FLASK_BARE_LOGIN,
        "framework",
        FLASK_BARE_LOGIN,
        GET,
        _flask_bare_login_answer,
        make_requests=login_requests,
        checker=check_login,
    ),
    Variant(
        LOGIN_FLASK,
        "framework",
        FLASK_BARE_LOGIN,
        GET,
        _flask_login_app,
        make_requests=login_requests,
        checker=check_login,
    ),
]
