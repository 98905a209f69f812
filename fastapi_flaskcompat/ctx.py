"""Application and request contexts, as in Flask's ``ctx.py``."""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterator
from contextvars import Token
from functools import cached_property, update_wrapper
from types import TracebackType

from .globals import _cv_app, _cv_request

if t.TYPE_CHECKING:
    from starlette.types import Receive, Scope

    from .app import FlaskCompat
    from .wrappers import Request

F = t.TypeVar("F", bound=Callable[..., t.Any])

_sentinel: t.Any = object()


class _AppCtxGlobals:
    """The object behind ``g``: a plain namespace with a few dict-like helpers."""

    # No Python __getattr__/__delattr__ here: either puts every attribute read
    # or write on CPython's slow slot path. The ``g`` proxy gives Flask's
    # bare-name AttributeError instead.
    if t.TYPE_CHECKING:
        # Lets type checkers accept ``g.anything``, as Flask's class does.
        def __getattr__(self, name: str) -> t.Any: ...
        def __setattr__(self, name: str, value: t.Any) -> None: ...

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return f"<fastapi_flaskcompat.g of {ctx.app.name!r}>"
        return object.__repr__(self)


class AppContext:
    """Holds ``current_app`` and ``g``. Pushed once per request by the middleware."""

    def __init__(self, app: FlaskCompat) -> None:
        self.app = app
        self.g = app.app_ctx_globals_class()

    @cached_property
    def _cv_tokens(self) -> list[Token[AppContext]]:
        # Made by the first push(): the middleware never pushes, so it never pays.
        return []

    def push(self) -> None:
        self._cv_tokens.append(_cv_app.set(self))

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = None
                self.app.do_teardown_appcontext_sync(exc)
        finally:
            _cv_app.reset(self._cv_tokens.pop())

    async def async_pop(self, exc: BaseException | None = None) -> None:
        try:
            if len(self._cv_tokens) == 1:
                await self.app.do_teardown_appcontext(exc)
        finally:
            _cv_app.reset(self._cv_tokens.pop())

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self, tp: type | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pop(value)

    async def __aenter__(self) -> AppContext:
        self.push()
        return self

    async def __aexit__(
        self, tp: type | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.async_pop(value)


class RequestContext:
    """Holds the request (built on first use), ``session`` and per-request callbacks."""

    # Class-level defaults: the middleware makes one per request and sets only
    # what it has; the rest costs nothing unless used.
    _request: Request | None = None
    _copied = False
    _after_request_functions: tuple[Callable[..., t.Any], ...] = ()

    def __init__(
        self,
        app: FlaskCompat,
        scope: Scope,
        receive: Receive | None = None,
        request: Request | None = None,
    ) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        if request is not None:
            self._request = request

    @cached_property
    def _cv_tokens(self) -> list[tuple[Token[RequestContext], AppContext | None]]:
        return []

    @property
    def request(self) -> Request:
        request = self._request
        if request is None:
            request = self._request = self.app.request_class(self.scope, self.receive)
        return request

    @property
    def session(self) -> t.Any:
        try:
            return self.scope["session"]
        except KeyError:
            raise RuntimeError(
                "The session is unavailable because no session middleware is installed."
                " Add starlette.middleware.sessions.SessionMiddleware to the app"
                " (app.add_middleware(SessionMiddleware, secret_key=...))."
            ) from None

    def copy(self) -> RequestContext:
        """A new context for the same request, to push in another thread or task."""
        copy = self.__class__(self.app, self.scope, self.receive, self._request)
        copy._copied = True
        return copy

    def push(self) -> None:
        app_ctx: AppContext | None = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            app_ctx.push()
        else:
            app_ctx = None
        self._cv_tokens.append((_cv_request.set(self), app_ctx))

    def _runs_teardown(self) -> bool:
        # A copy that shares the request's app context (a task, anyio.to_thread)
        # shares its `g`: tearing down there would close the request's resources.
        return len(self._cv_tokens) == 1 and (not self._copied or self._cv_tokens[0][1] is not None)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        clear_request = self._runs_teardown()
        try:
            if clear_request:
                if exc is _sentinel:
                    exc = None
                self.app.do_teardown_request_sync(exc)
        finally:
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                app_ctx.pop(exc)

    async def async_pop(self, exc: BaseException | None = None) -> None:
        clear_request = self._runs_teardown()
        try:
            if clear_request:
                await self.app.do_teardown_request(exc)
        finally:
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                await app_ctx.async_pop(exc)

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self, tp: type | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pop(value)

    async def __aenter__(self) -> RequestContext:
        self.push()
        return self

    async def __aexit__(
        self, tp: type | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.async_pop(value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.scope.get('path')!r} [{self.scope.get('method')}]>"


def has_request_context() -> bool:
    """True inside a request (or a ``test_request_context``)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """True inside an application context."""
    return _cv_app.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's after_request hooks."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    ctx._after_request_functions += (f,)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` (sync or async) so it runs in a copy of the current request context.

    As in Flask, the copy carries ``request`` and ``session``; ``g`` belongs to
    the app context, which is shared only where the caller's context already
    has it (tasks, ``anyio.to_thread``). Combine with
    ``copy_current_app_context`` to carry ``g`` into a plain thread.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    return _wrap_in_context(f, ctx.copy)


def copy_current_app_context(f: F) -> F:
    """Wrap ``f`` (sync or async) so it runs in the current app context, ``g`` included."""
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_app_context' can only be used when an application context is active."
        )
    return _wrap_in_context(f, lambda: _SharedAppContext(ctx))


class _SharedAppContext:
    """Pushes an existing app context (same ``g``) without tearing it down on exit."""

    __slots__ = ("ctx", "token")

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> None:
        self.token = _cv_app.set(self.ctx)

    def __exit__(self, *exc: object) -> None:
        _cv_app.reset(self.token)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()


def _wrap_in_context(f: F, make_ctx: Callable[[], t.Any]) -> F:
    import inspect

    if inspect.iscoroutinefunction(f):

        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            async with make_ctx():
                return await f(*args, **kwargs)

        return t.cast(F, update_wrapper(async_wrapper, f))

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with make_ctx():
            return f(*args, **kwargs)

    return t.cast(F, update_wrapper(wrapper, f))
