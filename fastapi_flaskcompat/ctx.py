"""Application and request contexts, as in Flask's ``ctx.py``.

This module is the one owner of binding contexts: the middleware, test
contexts, ``copy_current_*`` and ``stream_with_context`` all push, pop or
enter through the methods here, so there is one teardown path and one
rule for shielding it from cancellation.

``push()``/``pop()`` are Flask's: the outermost pop runs the teardown
hooks. ``enter()``/``exit()`` only bind and unbind, for code that runs a
piece of a request elsewhere (a generator step, a copied function) and
must never tear it down.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import typing as t
from collections.abc import Callable, Iterator, Sequence
from contextvars import Context, Token
from functools import update_wrapper
from types import TracebackType

import anyio

from .concurrency import is_async_callable
from .globals import _cv_app, _get_ctx, _no_req_msg, _request_ctx
from .sessions import SecureCookieSessionInterface, may_need_saving

if t.TYPE_CHECKING:
    from starlette.types import Receive, Scope

    from .app import FlaskCompat
    from .hooks import HookPlan
    from .wrappers import Request

F = t.TypeVar("F", bound=Callable[..., t.Any])

# Bound once, as ``globals._get_ctx``: every request binds and unbinds.
_set_ctx = _cv_app.set
_reset_ctx = _cv_app.reset

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
        ctx = _get_ctx(None)
        if ctx is not None:
            return f"<fastapi_flaskcompat.g of {ctx.app.name!r}>"
        return object.__repr__(self)


# A binding's token is a Token, or a tuple when the app also binds Flask's own
# context variables (the bridge: ``app.flask_context_vars``).
_Tokens = Token[t.Any] | tuple[Token[t.Any], ...]


def _set_vars(ctx: AppContext | RequestContext, request_too: bool) -> _Tokens:
    """Make ``ctx`` the active context: our variable, and Flask's under the bridge
    (its request variable too for a request context, as Flask 3.1 binds it)."""
    token = _set_ctx(ctx)
    flask_vars = ctx.app.flask_context_vars
    if flask_vars is None:
        return token
    flask_app, flask_request = flask_vars
    if request_too and flask_request is not None:
        return (token, flask_app.set(ctx), flask_request.set(ctx))
    return (token, flask_app.set(ctx))


def _reset_vars(tokens: _Tokens) -> t.Any:
    """Undo :func:`_set_vars`; return what was active (for Flask's wrong-pop check)."""
    current = _get_ctx(None)
    if type(tokens) is not tuple:
        try:
            _reset_ctx(tokens)  # type: ignore[arg-type]
        except ValueError:
            _restore(tokens)  # type: ignore[arg-type]
        return current
    for token in tokens:  # the bridge's: Flask's variables too
        try:
            token.var.reset(token)
        except ValueError:
            _restore(token)
    return current


def _restore(token: Token[t.Any]) -> None:
    # Bound in another thread's copy of the context (Flask's own
    # stream_with_context, its generator stepped in Starlette's worker
    # threads): restore the value from before in this one.
    if token.old_value is not Token.MISSING:
        token.var.set(token.old_value)


def _teardown_guard(plan: HookPlan) -> t.ContextManager[t.Any]:
    """The one shielding rule: teardown is shielded from cancellation whenever a
    hook can suspend (a shield costs ~4 us on asyncio, and with only inline
    hooks nothing can interrupt them)."""
    if plan.teardown_suspends:
        return anyio.CancelScope(shield=True)
    return contextlib.nullcontext()


class AppContext:
    """Holds ``current_app`` and ``g``: for scripts, tests and code run outside a
    request. A request needs none: its :class:`RequestContext` is its app context
    too (one object, one variable per request, as Flask 3.2 merges them)."""

    # Slots are quicker to fill and read; ``__dict__`` keeps room for the
    # attributes extensions set on contexts.
    __slots__ = ("__dict__", "__weakref__", "_cv_tokens", "app", "g", "request_ctx")

    url_adapter: t.Any = None
    #: The request context active where this one was pushed: Flask keeps the
    #: request visible inside ``with app.app_context():`` in a request.
    request_ctx: RequestContext | None

    def __init__(self, app: FlaskCompat, g: _AppCtxGlobals | None = None) -> None:
        self.app = app
        self.g = app.app_ctx_globals_class() if g is None else g
        self.request_ctx = None
        #: One token per push, innermost last: a tuple, as nested pushes are rare.
        self._cv_tokens: tuple[_Tokens, ...] = ()

    @property
    def request(self) -> Request:
        if self.request_ctx is None:
            raise RuntimeError(_no_req_msg)
        return self.request_ctx.request

    @property
    def session(self) -> t.Any:
        if self.request_ctx is None:
            raise RuntimeError(_no_req_msg)
        return self.request_ctx.session

    def push(self) -> None:
        """Bind this context (Flask's ``push``)."""
        if not self._cv_tokens:
            outer = _get_ctx(None)
            self.request_ctx = None if outer is None else outer.request_ctx
        self._cv_tokens += (_set_vars(self, False),)
        if self.app.signalling:
            self.app.signal("appcontext_pushed")

    def _unbind(self) -> None:
        if not self._cv_tokens:
            raise AssertionError(f"Popped wrong app context. ({self!r} is not pushed.)")
        tokens = self._cv_tokens
        self._cv_tokens = tokens[:-1]
        current = _reset_vars(tokens[-1])
        if not self._cv_tokens:
            self.request_ctx = None
        if current is not self:
            raise AssertionError(f"Popped wrong app context. ({current!r} instead of {self!r})")
        if self.app.signalling:
            self.app.signal("appcontext_popped")

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Unbind; the outermost pop runs ``teardown_appcontext`` hooks (sync path)."""
        try:
            if len(self._cv_tokens) == 1:
                self.app.do_teardown_appcontext_sync(None if exc is _sentinel else exc)
        finally:
            self._unbind()

    async def async_pop(self, exc: BaseException | None = None) -> None:
        """``pop`` for async code: async hooks are awaited, sync ones run off the loop."""
        try:
            if len(self._cv_tokens) == 1:
                plan = self.app.hook_plan()
                with _teardown_guard(plan):
                    await self.app.do_teardown_appcontext(exc, plan)
        finally:
            self._unbind()

    def enter(self) -> _Tokens:
        """Bind without push semantics (no teardown on :meth:`exit`)."""
        return _set_vars(self, False)

    def exit(self, tokens: _Tokens) -> None:
        _reset_vars(tokens)

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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext:
    """One request: the request (built on first use), ``session``, the
    per-request callbacks, and its app context's ``current_app`` and ``g``.

    Pushed alone where no app context of its app is active, it is the app
    context too (its outermost pop runs ``teardown_appcontext``); pushed
    inside one, it shares that context's ``g``, as Flask reuses it."""

    # Slots are quicker to fill and read; ``__dict__`` keeps room for the
    # attributes extensions set on contexts (Flask-Limiter does).
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_after_this_request",
        "_cv_tokens",
        "_owns_app_context",
        "_plan",
        "_request",
        "_session",
        "app",
        "blueprint_phase_done",
        "g",
        "receive",
        "scope",
    )

    _request: Request | None
    _after_this_request: list[Callable[[t.Any], t.Any]] | None
    _session: t.Any
    _plan: HookPlan | None
    #: True for a copy (``copy_current_request_context``); a class default, rarely set.
    _copied = False
    #: ``g``: the request's own, or that of the app context it was pushed in.
    g: _AppCtxGlobals
    url_adapter: t.Any = None
    #: Flashed messages, loaded from the session on first use (Flask's attribute).
    flashes: list[tuple[str, str]] | None = None
    #: An exception an error handler raised: unhandled, as in Flask (no handler
    #: sees it; the 500 path does). Set by the error handling, rarely.
    handler_error: Exception | None = None

    def __init__(
        self,
        app: FlaskCompat,
        scope: Scope,
        receive: Receive | None = None,
        request: Request | None = None,
        session: t.Any = None,
    ) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self._request = request
        self._session = session
        #: Set once the blueprints' before phase ran (by the route, or the middleware).
        self.blueprint_phase_done = False
        self._plan = None if app.has_blueprint_hooks else app.app_plan
        self._after_this_request = None
        #: One token per push, innermost last: a tuple, as nested pushes are rare.
        self._cv_tokens: tuple[_Tokens, ...] = ()
        self._owns_app_context = False

    @property
    def request_ctx(self) -> RequestContext:
        """This context (an :class:`AppContext` names the request it runs in)."""
        return self

    @property
    def request(self) -> Request:
        request = self._request
        if request is None:
            make_request = self.app.request_class  # a load, not a method call: quicker
            request = self._request = make_request(self.scope, self.receive)
            # As Flask's create_url_adapter: request.host then checks the Host.
            trusted_hosts = self.app.config["TRUSTED_HOSTS"]
            if trusted_hosts is not None:
                request.trusted_hosts = trusted_hosts
        return request

    @property
    def session(self) -> t.Any:
        """The request's session, opened on first use (Flask opens it at push)."""
        session = self._session
        if session is None:
            session = self._session = self.app.open_request_session(self)
        if hasattr(session, "accessed"):
            session.accessed = True
        return session

    @session.setter
    def session(self, session: t.Any) -> None:
        self._session = session

    @property
    def session_opened(self) -> t.Any:
        """The session if something opened it, else None (does not open it)."""
        return self._session

    @property
    def _after_request_functions(self) -> list[Callable[[t.Any], t.Any]]:
        """Flask's list of ``after_this_request`` callbacks (extensions append to it),
        made on first use: most requests have none."""
        funcs = self._after_this_request
        if funcs is None:
            funcs = self._after_this_request = []
        return funcs

    @property
    def after_this_request_functions(self) -> Sequence[Callable[[t.Any], t.Any]]:
        """The ``after_this_request`` callbacks registered so far, in order."""
        return self._after_this_request or ()

    @property
    def plan(self) -> HookPlan:
        """The hooks of this request's blueprint chain."""
        plan = self._plan
        if plan is None:
            app = self.app
            # Route matching only when some blueprint has hooks, and only when the
            # router did not already reach a route of no blueprint (FastAPI puts
            # the route it matched in the scope; a blueprint's route sets the
            # plan itself when it runs).
            route = self.scope.get("route")
            if app.has_blueprint_hooks and (route is None or getattr(route, "blueprints", None)):
                plan = app.hook_plan(tuple(self.request.blueprints))
            else:
                plan = app.app_plan
            self._plan = plan
        return plan

    @plan.setter
    def plan(self, plan: HookPlan) -> None:
        self._plan = plan

    def needs_response(self) -> bool:
        """Whether anything must see the response before it goes out: after_request
        hooks, ``after_this_request`` callbacks, the session, a signal receiver."""
        plan = self._plan or self.plan
        if plan.has_after or self._after_this_request:
            return True
        app = self.app
        if app.signalling and app.has_receivers("request_finished"):
            return True
        # Cheap cases first: no secret key, Flask's cookie interface, nothing opened.
        if (
            self._session is None
            and not app.config["SECRET_KEY"]
            and type(app.session_interface) is SecureCookieSessionInterface
        ):
            return False
        return may_need_saving(app, self)

    @property
    def plan_chosen(self) -> bool:
        """True once the plan is known (the router reached a route, or it was resolved)."""
        return self._plan is not None

    def copy(self) -> RequestContext:
        """A new context for the same request, to push in another thread or task."""
        copy = self.__class__(self.app, self.scope, self.receive, self._request, self._session)
        copy._copied = True
        copy._plan = self._plan
        return copy

    def as_app_context(self) -> AppContext:
        """An app context with this request's app and ``g`` and no request, to
        enter elsewhere (``copy_current_app_context``); never torn down."""
        return AppContext(self.app, self.g)

    # -- binding -----------------------------------------------------------

    def push(self) -> None:
        """Bind this context; its ``g`` is that of the active app context of the
        same app, or a new one (then this context is the app context too)."""
        # Runs for every request: kept to one variable set and no call but g's.
        app = self.app
        if not self._cv_tokens:
            outer = _get_ctx(None)
            if outer is not None and outer.app is app:
                self.g = outer.g
                self._owns_app_context = False
            else:
                make_g = app.app_ctx_globals_class  # a load, not a method call: quicker
                self.g = make_g()
                self._owns_app_context = True
                if app.signalling:
                    app.signal("appcontext_pushed")
        flask_vars = app.flask_context_vars
        if flask_vars is None:
            self._cv_tokens += (_set_ctx(self),)
        elif flask_vars[1] is not None:  # the bridge on Flask 3.1: _set_vars, inline
            self._cv_tokens += ((_set_ctx(self), flask_vars[0].set(self), flask_vars[1].set(self)),)
        else:
            self._cv_tokens += (_set_vars(self, True),)

    def _runs_teardown(self) -> bool:
        # A copy that shares the request's app context (a task, anyio.to_thread)
        # shares its `g`: tearing down there would close the request's resources.
        return len(self._cv_tokens) == 1 and (not self._copied or self._owns_app_context)

    def _owns_teardown_of_app(self) -> bool:
        return self._owns_app_context and len(self._cv_tokens) == 1

    def _unbind(self, app_ends: bool) -> None:
        if not self._cv_tokens:
            raise AssertionError(f"Popped wrong request context. ({self!r} is not pushed.)")
        tokens = self._cv_tokens
        self._cv_tokens = tokens[:-1]
        current = _reset_vars(tokens[-1])
        if current is not self:
            raise AssertionError(f"Popped wrong request context. ({current!r} instead of {self!r})")
        if app_ends and self.app.signalling:
            self.app.signal("appcontext_popped")

    def _close(self) -> None:
        if self._request is not None:
            self._request.close()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Unbind; the outermost pop runs the teardown hooks (sync path, for ``with``)."""
        if exc is _sentinel:
            exc = None
        app_ends = self._owns_teardown_of_app()
        try:
            if self._runs_teardown():
                try:
                    self.app.do_teardown_request_sync(exc, self.plan)
                    self._close()
                finally:
                    if app_ends:
                        self.app.do_teardown_appcontext_sync(exc)
        finally:
            self._unbind(app_ends)

    def pop_if_idle(self) -> bool:
        """Pop, if the outermost pop has nothing to run (no teardown hook, no signal
        anyone receives): the common request, without a coroutine. False otherwise,
        and nothing is done: use :meth:`async_pop`. For the middleware's own
        context, which is never a copy."""
        tokens = self._cv_tokens
        if len(tokens) != 1:
            return False
        app = self.app
        if app.signalling and app.has_teardown_receivers():
            return False
        if (self._plan or self.plan).has_teardown or _get_ctx(None) is not self:
            return False
        if self._request is not None:
            self._request.close()
        token = tokens[0]
        self._cv_tokens = ()
        if type(token) is tuple:  # the bridge's: Flask's variables too, all bound here
            for each in token:
                each.var.reset(each)
        else:
            _reset_ctx(token)  # type: ignore[arg-type]
        return True

    async def async_pop(self, exc: BaseException | None = None) -> None:
        """Unbind; the outermost pop runs ``teardown_request`` then
        ``teardown_appcontext``, shielded by the one rule, even when the
        request is cancelled before or during them."""
        app = self.app
        app_ends = self._owns_teardown_of_app()
        try:
            if self._runs_teardown():
                plan = self._plan or self.plan
                if plan.has_teardown or (app.signalling and app.has_teardown_receivers()):
                    # One shield for both phases.
                    with _teardown_guard(plan):
                        await app.do_teardown_request(exc, plan)
                        self._close()
                        if app_ends:
                            await app.do_teardown_appcontext(exc, plan)
                elif self._request is not None:
                    self._request.close()  # nothing to run: no coroutine, no shield
        finally:
            self._unbind(app_ends)

    async def async_pop_cancelled(self, wait: float | None) -> None:
        """``async_pop`` for a request that asyncio cancelled natively
        (``Task.cancel()``: uvicorn's graceful-shutdown timeout), which anyio's
        shields do not stop. The request's sync code may then still run in a
        worker thread (``anyio.to_thread`` was abandoned), and a second cancel
        would cut the teardown short. So the teardown hooks wait, at most
        ``wait`` seconds, until no worker thread runs this request's code, and
        run in a task of their own, which cancelling this one does not reach;
        this task waits for it through every further cancel, and unbinds (in
        the context that bound). The caller re-raises the cancellation. Not
        the per-request path (a task costs ~10 us): :meth:`async_pop` is."""
        app_ends = self._owns_teardown_of_app()
        try:
            if self._runs_teardown():

                async def teardown() -> None:
                    await _wait_for_request_threads(self, wait)
                    # async_pop's hooks, in async_pop's order.
                    plan = self.plan
                    with _teardown_guard(plan):
                        await self.app.do_teardown_request(None, plan)
                        self._close()
                        if app_ends:
                            await self.app.do_teardown_appcontext(None, plan)

                task = asyncio.ensure_future(teardown())
                # The anyio shield keeps cancel scopes from re-cancelling us in a loop;
                # asyncio.shield keeps a native cancel from reaching the teardown.
                with anyio.CancelScope(shield=True):
                    while True:
                        try:
                            await asyncio.shield(task)
                            break
                        except asyncio.CancelledError:
                            if task.done():
                                raise  # the teardown task itself was cancelled
        finally:
            self._unbind(app_ends)

    def enter(self) -> _Tokens:
        """Bind this context (its ``g`` included), without push semantics."""
        return _set_vars(self, True)

    def exit(self, tokens: _Tokens) -> None:
        _reset_vars(tokens)

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
        return (
            f"<{type(self).__name__} {self.scope.get('path')!r}"
            f" [{self.scope.get('method')}] of {self.app.name!r}>"
        )


def _request_threads_running(ctx: RequestContext) -> bool:
    """Whether a worker thread started by anyio still runs code of ``ctx``'s request.

    anyio's ``WorkerThread.run`` calls each function as ``context.run(func)``,
    ``context`` being a local of that frame, at the bottom of the thread's
    stack: the request's context object is ``context.get(_cv_app)`` (or a
    copy of it, for the same scope). This reads anyio's private layout; if it
    changes, nothing is found and nobody waits (the old behaviour).
    """
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        f: t.Any = frame
        while f is not None:
            code = f.f_code
            if code.co_name == "run" and "context" in code.co_varnames:
                context = f.f_locals.get("context")
                if isinstance(context, Context):
                    held = context.get(_cv_app)
                    if held is ctx or getattr(held, "scope", None) is ctx.scope:
                        return True
            f = f.f_back
    return False


async def _wait_for_request_threads(ctx: RequestContext, wait: float | None) -> None:
    """Poll until no worker thread runs ``ctx``'s request code, at most ``wait`` s."""
    deadline = None if wait is None else time.monotonic() + wait
    while _request_threads_running(ctx):
        if deadline is not None and time.monotonic() >= deadline:
            ctx.app.logger.warning(
                "Tearing down a cancelled request whose code still runs in a worker"
                " thread after %s s (config['FLASKCOMPAT_TEARDOWN_WAIT'])",
                wait,
            )
            return
        await asyncio.sleep(0.02)


def has_request_context() -> bool:
    """True inside a request (or a ``test_request_context``)."""
    ctx = _get_ctx(None)
    return ctx is not None and ctx.request_ctx is not None


def has_app_context() -> bool:
    """True inside an application context."""
    return _get_ctx(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's after_request hooks."""
    ctx = _request_ctx()
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` (sync or async) so it runs in a copy of the current request context.

    As in Flask, the copy carries ``request`` and ``session``; ``g`` belongs to
    the app context, which is shared only where the caller's context already
    has it (tasks, ``anyio.to_thread``). Combine with
    ``copy_current_app_context`` to carry ``g`` into a plain thread.
    """
    ctx = _request_ctx()
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    return _wrap_in_context(f, ctx.copy)


def copy_current_app_context(f: F) -> F:
    """Wrap ``f`` (sync or async) so it runs in the current app context, ``g`` included."""
    ctx = _get_ctx(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_app_context' can only be used when an application context is active."
        )
    # In a request: its app and `g`, not the request (Flask's app context has none).
    app_ctx = ctx if isinstance(ctx, AppContext) else ctx.as_app_context()
    return _wrap_in_context(f, lambda: _Entered(app_ctx))


class _Entered:
    """Binds an existing app context (same ``g``) and never tears it down."""

    __slots__ = ("ctx", "tokens")

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> None:
        self.tokens = self.ctx.enter()

    def __exit__(self, *exc: object) -> None:
        self.ctx.exit(self.tokens)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()


def _wrap_in_context(f: F, make_ctx: Callable[[], t.Any]) -> F:
    if is_async_callable(f):

        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            async with make_ctx():
                return await f(*args, **kwargs)

        return t.cast(F, update_wrapper(async_wrapper, f))

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with make_ctx():
            return f(*args, **kwargs)

    return t.cast(F, update_wrapper(wrapper, f))
