"""Proxy access cost in ns/op, each implementation inside its own live context."""

from __future__ import annotations

import contextlib
import random
import statistics
import timeit
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .variants import Unavailable, _lib, cvx_registry

#: The same statements for every implementation with Flask's API (this library, Flask, Quart).
FLASK_API = {
    "g.x read": "g.x",
    "g.x write": "g.x = 1",
    "request.args.get": "request.args.get('q')",
    "request.headers[...]": "request.headers['x-token']",
    "current_app.config[...]": "current_app.config['DEBUG']",
    "has_request_context()": "has_request_context()",
}
OPS = tuple(FLASK_API)
FLASK = "Flask (Werkzeug LocalProxy)"
BRIDGE = "flask.* through the bridge (on FlaskCompat)"
LIB_G_OBJECT = "flaskcompat's g object, no proxy"
PLAIN_OBJECT = "plain object, no proxy"
FLOOR_PROXY = "floor: minimal Python proxy"
BUILDER_ORDER = (
    "flaskcompat",
    BRIDGE,
    FLASK,
    "Quart",
    "starlette-context",
    "fastapi-globals",
    "contextvars-extras",
    "bare ContextVar",
    FLOOR_PROXY,
    LIB_G_OBJECT,
    PLAIN_OBJECT,
)
LIB = "flaskcompat"


@dataclass
class Impl:
    name: str
    namespace: dict[str, Any]
    statements: dict[str, str]  # op -> statement, timed with `namespace` as globals
    enter: Callable[[], contextlib.AbstractAsyncContextManager[Any]]
    setup: str = "pass"  # run inside the context before timing, e.g. so `g.x` exists


@dataclass
class MicroResult:
    # impl -> op -> ns/op, one value per round
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)
    # Python-level attribute hooks on the class of the library's g object: each one moves
    # every get or set onto CPython's slow slot path.
    g_class_hooks: list[str] = field(default_factory=list)

    def median(self, impl: str, op: str) -> float | None:
        values = self.samples.get(impl, {}).get(op)
        return statistics.median(values) if values else None


def _sync_cm(
    factory: Callable[[], contextlib.AbstractContextManager[Any]],
) -> Callable[[], contextlib.AbstractAsyncContextManager[Any]]:
    @contextlib.asynccontextmanager
    async def cm() -> AsyncIterator[None]:
        with factory():
            yield

    return cm


def _flask_api(module: Any) -> dict[str, Any]:
    """The names FLASK_API's statements use, taken from ``module``."""
    return {name: getattr(module, name) for name in ("g", "request", "current_app")} | {
        "has_request_context": module.has_request_context
    }


def _lib_impl() -> Impl:
    fc = _lib()
    from fastapi import FastAPI

    compat = fc.FlaskCompat(FastAPI())
    compat.config["DEBUG"] = False

    def enter() -> contextlib.AbstractContextManager[Any]:
        return compat.test_request_context("/item", query_string="q=1", headers={"X-Token": "abc"})

    return Impl("flaskcompat", _flask_api(fc), FLASK_API, _sync_cm(enter), "g.x = 1")


def _bridge_impl() -> Impl:
    """Unedited Flask code on FastAPI: Flask's own proxies, resolved by the bridge."""
    fc = _lib()
    try:
        import flask
    except ImportError as exc:
        raise Unavailable("flask not installed") from exc
    from fastapi import FastAPI

    compat = fc.FlaskCompat(FastAPI(), bridge_flask=True)
    compat.config["DEBUG"] = False

    def enter() -> contextlib.AbstractContextManager[Any]:
        return compat.test_request_context("/item", query_string="q=1", headers={"X-Token": "abc"})

    return Impl(BRIDGE, _flask_api(flask), FLASK_API, _sync_cm(enter), "g.x = 1")


def _lib_g_object_impl() -> Impl:
    """The object behind the library's ``g``, without the proxy: what its class costs."""
    lib = _lib_impl()
    return Impl(
        LIB_G_OBJECT,
        lib.namespace,
        {"g.x read": "obj.x", "g.x write": "obj.x = 1"},
        lib.enter,
        "obj = g._get_current_object(); obj.x = 1",
    )


def _plain_object_impl() -> Impl:
    return Impl(
        PLAIN_OBJECT,
        {"Namespace": _Namespace},
        {"g.x read": "obj.x", "g.x write": "obj.x = 1"},
        _sync_cm(contextlib.nullcontext),
        "obj = Namespace(); obj.x = 1",
    )


def _flask_impl() -> Impl:
    try:
        import flask
    except ImportError as exc:
        raise Unavailable("flask not installed") from exc
    app = flask.Flask("micro")

    def enter() -> contextlib.AbstractContextManager[Any]:
        return app.test_request_context("/item?q=1", headers={"X-Token": "abc"})

    return Impl(FLASK, _flask_api(flask), FLASK_API, _sync_cm(enter), "g.x = 1")


def _quart_impl() -> Impl:
    try:
        import quart
    except ImportError as exc:
        raise Unavailable("quart not installed") from exc
    app = quart.Quart("micro")

    def enter() -> contextlib.AbstractAsyncContextManager[Any]:
        return app.test_request_context(  # type: ignore[return-value]
            "/item", query_string={"q": "1"}, headers={"X-Token": "abc"}
        )

    return Impl("Quart", _flask_api(quart), FLASK_API, enter, "g.x = 1")


def _starlette_context_impl() -> Impl:
    try:
        from starlette_context import context, request_cycle_context
    except ImportError as exc:
        raise Unavailable("starlette-context not installed") from exc

    def enter() -> contextlib.AbstractContextManager[Any]:
        return request_cycle_context({"x": 1})

    stmts = {
        "g.x read": "context['x']",
        "g.x write": "context['x'] = 1",
        "has_request_context()": "context.exists()",
    }
    return Impl("starlette-context", {"context": context}, stmts, _sync_cm(enter))


def _fastapi_globals_impl() -> Impl:
    try:
        from fastapi_globals import g
    except ImportError as exc:
        raise Unavailable("fastapi-globals not installed") from exc
    g.x = 1
    return Impl(
        "fastapi-globals",
        {"g": g},
        {"g.x read": "g.x", "g.x write": "g.x = 1"},
        _sync_cm(contextlib.nullcontext),
    )


def _cvx_impl() -> Impl:
    reg = cvx_registry()
    reg.q = "1"
    return Impl(
        "contextvars-extras",
        {"g": reg},
        {"g.x read": "g.q", "g.x write": "g.q = '1'"},
        _sync_cm(contextlib.nullcontext),
    )


_bare_var: ContextVar[Any] = ContextVar("bare")
_floor_var: ContextVar[Any] = ContextVar("floor_proxy")


class _Namespace:
    pass


class _FloorProxy:
    """The least a Python-level proxy can do: one ContextVar.get() and one getattr/setattr."""

    __slots__ = ()

    def __getattribute__(self, key: str) -> Any:
        return getattr(_floor_var.get(), key)

    def __setattr__(self, key: str, value: Any) -> None:
        setattr(_floor_var.get(), key, value)


def _floor_proxy_impl() -> Impl:
    ns = _Namespace()
    ns.x = 1  # type: ignore[attr-defined]
    _floor_var.set(ns)
    return Impl(
        FLOOR_PROXY,
        {"g": _FloorProxy()},
        {"g.x read": "g.x", "g.x write": "g.x = 1"},
        _sync_cm(contextlib.nullcontext),
    )


def _bare_impl() -> Impl:
    _bare_var.set(1)
    return Impl(
        "bare ContextVar",
        {"v": _bare_var},
        {"g.x read": "v.get()", "g.x write": "v.set(1)"},
        _sync_cm(contextlib.nullcontext),
    )


BUILDERS: list[Callable[[], Impl]] = [
    _lib_impl,
    _bridge_impl,
    _flask_impl,
    _quart_impl,
    _starlette_context_impl,
    _fastapi_globals_impl,
    _cvx_impl,
    _bare_impl,
    _floor_proxy_impl,
    _lib_g_object_impl,
    _plain_object_impl,
]


async def run(*, rounds: int, number: int, seed: int = 2) -> MicroResult:
    result = MicroResult(settings={"rounds": rounds, "number": number})
    impls: list[Impl] = []
    for build in BUILDERS:
        try:
            impls.append(build())
        except Unavailable as exc:
            result.skipped[build.__name__.strip("_").removesuffix("_impl")] = str(exc)
    for impl in impls:
        if impl.name == LIB_G_OBJECT:
            async with impl.enter():
                cls = type(impl.namespace["g"]._get_current_object())
            hooks = ("__getattr__", "__getattribute__", "__setattr__", "__delattr__")
            result.g_class_hooks = [h for h in hooks if h in vars(cls)]
        if impl.name == BRIDGE:
            # The bridge's flask.g must be the library's g, or the row times something else.
            async with impl.enter():
                theirs = impl.namespace["g"]._get_current_object()
                if theirs is not _lib().g._get_current_object():
                    raise AssertionError("flask.g through the bridge is not the library's g")
    cells = [(impl, op) for impl in impls for op in impl.statements]
    # Every statement must work once before it is timed: a proxy that raises is not fast.
    for impl, op in cells:
        async with impl.enter():
            namespace = dict(impl.namespace)
            exec(impl.setup, namespace)
            exec(impl.statements[op], namespace)
    rng = random.Random(seed)
    for _ in range(rounds):
        # The loop's own cost, measured each round, is taken off every statement.
        empty = timeit.Timer("pass").timeit(number) / number * 1e9
        rng.shuffle(cells)
        for impl, op in cells:
            async with impl.enter():
                timer = timeit.Timer(
                    impl.statements[op], setup=impl.setup, globals=dict(impl.namespace)
                )
                seconds = timer.timeit(number)
            ns = max(seconds / number * 1e9 - empty, 0.0)
            result.samples.setdefault(impl.name, {}).setdefault(op, []).append(ns)
    return result
