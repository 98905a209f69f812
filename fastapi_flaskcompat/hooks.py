"""The hook plan: what a request runs, compiled once, and how it runs it.

A :class:`HookPlan` holds every phase for one chain of blueprints (``()``
for a route of no blueprint) in Flask's order: ``url_value_preprocessors``
and ``before_request`` app first, then parent, then child; ``after_request``
and ``teardown_request`` child first, each list reversed. The app caches
one plan per chain and drops them all when any registration changes.

A phase is compiled into steps: async hooks are awaited on the loop;
consecutive blocking sync hooks share ONE threadpool hop; sync hooks marked
``nonblocking`` run inline on the loop. The grouping never reorders.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Callable, Iterable, Mapping, Sequence

import anyio
import anyio.to_thread

from .concurrency import AWAIT, INLINE, ensure_sync, is_async_callable, kind_of

Hook = Callable[..., t.Any]
Step = tuple[str, tuple[Hook, ...]]
Steps = tuple[Step, ...]


def compile_steps(funcs: Iterable[Hook]) -> Steps:
    """Group ``funcs`` (in call order) into steps, merging neighbours of one kind."""
    steps: list[tuple[str, list[Hook]]] = []
    for f in funcs:
        kind = kind_of(f)
        if steps and steps[-1][0] == kind:
            steps[-1][1].append(f)
        else:
            steps.append((kind, [f]))
    return tuple((kind, tuple(fs)) for kind, fs in steps)


def _suspends(steps: Steps) -> bool:
    return any(kind is not INLINE for kind, _ in steps)


class HookPlan:
    """The compiled hooks of one blueprint chain. Immutable once built."""

    __slots__ = (
        "after",
        "before",
        "blueprint_before",
        "blueprint_url_value_preprocessors",
        "blueprints",
        "has_after",
        "has_teardown",
        "teardown_appcontext",
        "teardown_appcontext_funcs",
        "teardown_request",
        "teardown_request_funcs",
        "teardown_suspends",
        "url_value_preprocessors",
    )

    def __init__(
        self,
        blueprints: tuple[str, ...],
        url_value_preprocessors: Mapping[str | None, Sequence[Hook]],
        before_request: Mapping[str | None, Sequence[Hook]],
        after_request: Mapping[str | None, Sequence[Hook]],
        teardown_request: Mapping[str | None, Sequence[Hook]],
        teardown_appcontext: Sequence[Hook],
    ) -> None:
        #: Innermost first, as ``request.blueprints``.
        self.blueprints = blueprints
        outer_first = tuple(reversed(blueprints))
        inner_first = (*blueprints, None)
        # The app's own part runs in the middleware, before routing; a
        # blueprint's part runs once the router has picked its route.
        self.url_value_preprocessors = compile_steps(url_value_preprocessors.get(None, ()))
        self.before = compile_steps(before_request.get(None, ()))
        self.blueprint_url_value_preprocessors = compile_steps(
            _collect(url_value_preprocessors, outer_first)
        )
        self.blueprint_before = compile_steps(_collect(before_request, outer_first))
        self.after = compile_steps(_collect_reversed(after_request, inner_first))
        self.teardown_request_funcs = tuple(_collect_reversed(teardown_request, inner_first))
        self.teardown_appcontext_funcs = tuple(reversed(teardown_appcontext))
        self.teardown_request = compile_steps(self.teardown_request_funcs)
        self.teardown_appcontext = compile_steps(self.teardown_appcontext_funcs)
        self.has_after = bool(self.after)
        self.has_teardown = bool(self.teardown_request_funcs or self.teardown_appcontext_funcs)
        self.teardown_suspends = _suspends(self.teardown_request) or _suspends(
            self.teardown_appcontext
        )


Registry = Mapping[str | None, Sequence[Hook]]


def _collect(registry: Registry, names: Iterable[str | None]) -> list[Hook]:
    return [f for name in names for f in registry.get(name, ())]


def _collect_reversed(registry: Registry, names: Iterable[str | None]) -> list[Hook]:
    return [f for name in names for f in reversed(registry.get(name, ()))]


# -- running a phase -------------------------------------------------------


def _first_value(funcs: tuple[Hook, ...], args: tuple[t.Any, ...]) -> t.Any:
    for f in funcs:
        rv = f(*args)
        if rv is not None:
            return rv
    return None


async def run_until_value(steps: Steps, *args: t.Any) -> t.Any:
    """before_request: call in order; the first non-None return value wins."""
    for kind, funcs in steps:
        if kind is AWAIT:
            for f in funcs:
                rv = await f(*args)
                if rv is not None:
                    return rv
            continue
        if kind is INLINE:
            rv = _first_value(funcs, args)
        else:
            rv = await anyio.to_thread.run_sync(_first_value, funcs, args)
        if rv is not None:
            return rv
    return None


async def run_each(steps: Steps, *args: t.Any) -> None:
    """url_value_preprocessors: call all in order, return values ignored."""
    for kind, funcs in steps:
        if kind is AWAIT:
            for f in funcs:
                await f(*args)
        elif kind is INLINE:
            _call_each(funcs, args)
        else:
            await anyio.to_thread.run_sync(_call_each, funcs, args)


def _call_each(funcs: tuple[Hook, ...], args: tuple[t.Any, ...]) -> None:
    for f in funcs:
        f(*args)


def _chain(funcs: tuple[Hook, ...], value: t.Any) -> t.Any:
    for f in funcs:
        value = f(value)
    return value


async def run_chain(steps: Steps, value: t.Any) -> t.Any:
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


def run_chain_sync(steps: Steps, value: t.Any) -> t.Any:
    """after_request from sync code (a view calling ``handle_exception``): each
    hook through ``ensure_sync``, as Flask calls them."""
    for _kind, funcs in steps:
        for f in funcs:
            value = ensure_sync(f)(value)
    return value


def _call_all(funcs: tuple[Hook, ...], arg: t.Any, logger: logging.Logger) -> None:
    for f in funcs:
        try:
            f(arg)
        except Exception:
            logger.exception("Error in teardown function %r", f)


async def run_all(steps: Steps, arg: t.Any, logger: logging.Logger) -> None:
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


def run_all_sync(funcs: Sequence[Hook], arg: t.Any, logger: logging.Logger) -> None:
    """teardown from a ``with`` block: sync hooks inline, async ones on a fresh loop."""
    for f in funcs:
        try:
            if is_async_callable(f):
                _run_coroutine(f, arg)
            else:
                f(arg)
        except Exception:
            logger.exception("Error in teardown function %r", f)


def _run_coroutine(f: Hook, arg: t.Any) -> None:
    try:
        anyio.get_cancelled_exc_class()
    except anyio.NoEventLoopError:
        anyio.run(f, arg)
        return
    name = getattr(f, "__qualname__", repr(f))
    raise RuntimeError(
        f"Async teardown function {name!r} cannot run from a synchronous"
        " 'with' block inside an event loop; use 'async with' for the context instead."
    )
