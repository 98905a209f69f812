"""Running Flask's hooks on the event loop.

A phase's hooks are compiled once into steps: async hooks are awaited on the
loop; consecutive blocking sync hooks share ONE threadpool hop; sync hooks
marked ``nonblocking`` run inline on the loop.
"""

from __future__ import annotations

import inspect
import logging
import typing as t
from collections.abc import Callable, Sequence

import anyio.to_thread

F = t.TypeVar("F", bound=Callable[..., t.Any])

_INLINE = "__flaskcompat_nonblocking__"

AWAIT, INLINE, THREAD = "await", "inline", "thread"

Step = tuple[str, tuple[Callable[..., t.Any], ...]]


def nonblocking(f: F) -> F:
    """Mark a sync hook as cheap and non-blocking: run it on the loop, skip the threadpool."""
    setattr(f, _INLINE, True)
    return f


def compile_steps(funcs: Sequence[Callable[..., t.Any]]) -> tuple[Step, ...]:
    """Group ``funcs`` (in call order) into steps, merging neighbours of one kind."""
    steps: list[tuple[str, list[Callable[..., t.Any]]]] = []
    for f in funcs:
        if inspect.iscoroutinefunction(f):
            kind = AWAIT
        elif getattr(f, _INLINE, False):
            kind = INLINE
        else:
            kind = THREAD
        if steps and steps[-1][0] == kind:
            steps[-1][1].append(f)
        else:
            steps.append((kind, [f]))
    return tuple((kind, tuple(fs)) for kind, fs in steps)


def _first_value(funcs: tuple[Callable[[], t.Any], ...]) -> t.Any:
    for f in funcs:
        rv = f()
        if rv is not None:
            return rv
    return None


async def run_until_value(steps: tuple[Step, ...]) -> t.Any:
    """before_request: call in order; the first non-None return value wins."""
    for kind, funcs in steps:
        if kind is AWAIT:
            for f in funcs:
                rv = await f()
                if rv is not None:
                    return rv
            continue
        if kind is INLINE:
            rv = _first_value(funcs)
        else:
            rv = await anyio.to_thread.run_sync(_first_value, funcs)
        if rv is not None:
            return rv
    return None


def _chain(funcs: tuple[Callable[[t.Any], t.Any], ...], value: t.Any) -> t.Any:
    for f in funcs:
        value = f(value)
    return value


async def run_chain(steps: tuple[Step, ...], value: t.Any) -> t.Any:
    """after_request: each hook receives the previous one's return value."""
    for kind, funcs in steps:
        if kind is AWAIT:
            for f in funcs:
                value = await f(value)
        elif kind is INLINE:
            value = _chain(funcs, value)
        else:
            value = await anyio.to_thread.run_sync(_chain, funcs, value)
    return value


def _call_all(
    funcs: tuple[Callable[[t.Any], t.Any], ...], arg: t.Any, logger: logging.Logger
) -> None:
    for f in funcs:
        try:
            f(arg)
        except Exception:
            logger.exception("Error in teardown function %r", f)


async def run_all(steps: tuple[Step, ...], arg: t.Any, logger: logging.Logger) -> None:
    """teardown: call every hook; an error is logged and never stops the rest."""
    for kind, funcs in steps:
        if kind is AWAIT:
            for f in funcs:
                try:
                    await f(arg)
                except Exception:
                    logger.exception("Error in teardown function %r", f)
        elif kind is INLINE:
            _call_all(funcs, arg, logger)
        else:
            await anyio.to_thread.run_sync(_call_all, funcs, arg, logger)


def run_all_sync(
    funcs: Sequence[Callable[[t.Any], t.Any]], arg: t.Any, logger: logging.Logger
) -> None:
    """teardown from a ``with`` block: sync hooks inline, async ones on a fresh loop."""
    for f in funcs:
        try:
            if inspect.iscoroutinefunction(f):
                _run_coroutine(f, arg)
            else:
                f(arg)
        except Exception:
            logger.exception("Error in teardown function %r", f)


def _run_coroutine(f: Callable[[t.Any], t.Any], arg: t.Any) -> None:
    try:
        anyio.get_cancelled_exc_class()
    except anyio.NoEventLoopError:
        anyio.run(f, arg)
        return
    raise RuntimeError(
        f"Async teardown function {f.__qualname__!r} cannot run from a synchronous"
        " 'with' block inside an event loop; use 'async with' for the context instead."
    )
