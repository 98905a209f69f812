"""Calling user code that may be sync or async, from the event loop.

Every hook, error handler and callback the library calls goes through the
one check here, so an ``async def``, a ``functools.partial`` of one and an
object with an ``async def __call__`` are all awaited (Starlette's rules),
and plain sync code never blocks the loop: it runs in the threadpool,
unless it is marked :func:`nonblocking`.
"""

from __future__ import annotations

import functools
import inspect
import typing as t
from collections.abc import Callable

import anyio
import anyio.from_thread
import anyio.to_thread

F = t.TypeVar("F", bound=Callable[..., t.Any])

_NONBLOCKING = "__flaskcompat_nonblocking__"

#: How a callable is run: awaited on the loop, called inline on the loop,
#: or called in a worker thread.
AWAIT, INLINE, THREAD = "await", "inline", "thread"


def _unwrap_partial(obj: t.Any) -> t.Any:
    while isinstance(obj, functools.partial):
        obj = obj.func
    return obj


def is_async_callable(obj: t.Any) -> bool:
    """True when calling ``obj`` returns an awaitable (Starlette's rules)."""
    obj = _unwrap_partial(obj)
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def nonblocking(f: F) -> F:
    """Mark a sync hook as cheap and non-blocking: run it on the loop, skip the threadpool."""
    setattr(f, _NONBLOCKING, True)
    return f


def kind_of(f: Callable[..., t.Any]) -> str:
    """:data:`AWAIT`, :data:`INLINE` or :data:`THREAD` for ``f``."""
    if is_async_callable(f):
        return AWAIT
    if getattr(f, _NONBLOCKING, False) or getattr(_unwrap_partial(f), _NONBLOCKING, False):
        return INLINE
    return THREAD


async def call(f: Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Call ``f(*args)`` the way its kind says, from the event loop."""
    kind = kind_of(f)
    if kind is AWAIT:
        return await f(*args)
    if kind is INLINE:
        return f(*args)
    return await anyio.to_thread.run_sync(f, *args)


def ensure_sync(func: Callable[..., t.Any]) -> Callable[..., t.Any]:
    """Flask's ``ensure_sync``: ``func`` as a function sync code can call.

    Sync functions are returned as they are. An async one is wrapped so its
    result, never a coroutine object, is returned: a truthy coroutine
    handed to an auth check would let every password in. The wrapper runs
    the coroutine on the request's event loop from a worker thread, on a
    new loop in a thread without one, and raises on the event-loop thread
    itself, where waiting would block every request.
    """
    if not is_async_callable(func):
        return func

    @functools.wraps(func)
    def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return run_coroutine_sync(func, *args, **kwargs)

    return run


def run_coroutine_sync(func: Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    """Await ``func(*args, **kwargs)`` from synchronous code; see :func:`ensure_sync`."""
    started = False

    async def runner() -> t.Any:
        nonlocal started
        started = True
        return await func(*args, **kwargs)

    try:
        return anyio.from_thread.run(runner)
    except RuntimeError:
        if started:
            raise
    try:
        anyio.get_cancelled_exc_class()
    except anyio.NoEventLoopError:
        return anyio.run(runner)
    name = getattr(func, "__qualname__", repr(func))
    raise RuntimeError(
        f"The async function {name!r} was called from synchronous code running on the"
        " event loop thread, where waiting for it would block every request. Call it"
        " from async code (await it), or run the synchronous caller in a worker thread"
        " (a def endpoint or dependency, or anyio.to_thread.run_sync)."
    )
