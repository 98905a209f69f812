"""Per-request variants: one app per way of keeping request-local state, same endpoint behaviour.

Every variant answers ``GET /item?q=N`` (or ``POST /item`` with a 1 KiB JSON body holding ``q``)
with ``{"q": "N"}``. Library and peer imports happen inside the builders, so the harness runs
with whatever is installed and says what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp

from .harness import Req, Resp, Target

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


def check_echo(req: Req, resp: Resp) -> str | None:
    if resp.status != 200:
        return "status is not 200"
    try:
        data = json.loads(resp.body)
    except ValueError:
        return "body is not JSON"
    if data != {"q": expected_q(req)}:
        return f"expected {{'q': {expected_q(req)!r}}}"
    return None


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


# --- bare FastAPI ---------------------------------------------------------------------------


def _bare_async() -> Target:
    app = FastAPI()

    @app.get("/item")
    async def item(q: str) -> dict[str, str]:
        return {"q": q}

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


# --- this library -----------------------------------------------------------------------------


def _lib() -> Any:
    try:
        import fastapi_flaskcompat
    except ImportError as exc:
        raise Unavailable(f"fastapi_flaskcompat not importable: {exc}") from exc
    if not hasattr(fastapi_flaskcompat, "FlaskCompat"):
        raise Unavailable("fastapi_flaskcompat has no FlaskCompat yet")
    return fastapi_flaskcompat


def _lib_hooks(which: str, kind: str) -> Callable[[], Target]:
    """which: letters of the hooks to register, b(efore) a(fter) t(eardown).
    kind: "none", "async", "sync" (threadpool) or "inline" (sync marked nonblocking)."""

    def build() -> Target:
        fc = _lib()
        app = FastAPI()

        @app.get("/item")
        async def item(q: str) -> dict[str, str]:
            return {"q": q}

        compat = fc.FlaskCompat(app)
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


def _lib_g_and_args() -> Target:
    """The endpoint of a typical ported helper: writes g, reads it and request.args."""
    fc = _lib()
    g, request = fc.g, fc.request
    app = FastAPI()

    @app.get("/item")
    async def item() -> dict[str, str]:
        g.x = 1
        g.q = request.args.get("q")
        return {"q": g.q}

    fc.FlaskCompat(app)
    return Target(asgi=app)


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
    try:
        import flask
    except ImportError as exc:
        raise Unavailable("flask not installed") from exc
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
    try:
        import flask
    except ImportError as exc:
        raise Unavailable("flask not installed") from exc
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

VARIANTS: list[Variant] = [
    Variant(BARE, "bare", BARE, GET, _bare_async),
    Variant(
        "bare FastAPI again (noise floor)", "bare", BARE, GET, _bare_async, "same app built twice"
    ),
    Variant(BARE_SYNC, "bare", BARE_SYNC, GET, _bare_sync),
    Variant(BARE_JSON, "bare", BARE_JSON, POST, _bare_json),
    Variant("floor: pure ASGI, one ContextVar", "floor", BARE, GET, _floor),
    Variant("flaskcompat, no hooks", "flaskcompat", BARE, GET, _lib_hooks("", "none")),
    Variant("flaskcompat, 1 async hook", "flaskcompat", BARE, GET, _lib_hooks("b", "async")),
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
    Variant("flaskcompat, g + request.args", "flaskcompat", BARE, GET, _lib_g_and_args),
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
    Variant(
        "flaskcompat, Flask bridge (flask.g/request)",
        "flaskcompat",
        BARE,
        GET,
        _lib_bridge,
        optional=True,
    ),
    Variant("starlette-context (raw ASGI)", "peer", BARE, GET, _starlette_context(True)),
    Variant("starlette-context (BaseHTTPMiddleware)", "peer", BARE, GET, _starlette_context(False)),
    Variant("fastapi-globals", "peer", BARE, GET, _fastapi_globals),
    Variant("contextvars-extras registry", "peer", BARE, GET, _contextvars_extras),
    Variant("Flask 3 (WSGI callable)", "framework", BARE, GET, _flask, "no server, no threads"),
    Variant("Quart (ASGI callable)", "framework", BARE, GET, _quart),
]
