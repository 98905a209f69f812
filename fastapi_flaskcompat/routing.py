"""Finding the route a request will reach, before Starlette's router runs.

``before_request`` hooks read ``request.endpoint`` and ``request.view_args``
(as Flask matches the URL when the request context is pushed), but the
middleware runs ahead of routing. This repeats the router's matching, only
when a hook or helper asks.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope


def match_route(scope: Scope) -> tuple[BaseRoute | None, dict[str, Any]]:
    """Return the route that ``scope`` reaches and its path parameters.

    A method mismatch still names the route (Flask's ``url_rule`` for a 405);
    no route at all gives ``(None, {})``.
    """
    router = getattr(scope.get("app"), "router", None)
    if router is None:
        return None, {}
    return _match(router.routes, dict(scope))


def _match(
    routes: list[BaseRoute], scope: dict[str, Any]
) -> tuple[BaseRoute | None, dict[str, Any]]:
    partial: tuple[BaseRoute, dict[str, Any]] | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        params = {**scope.get("path_params", {}), **child_scope.get("path_params", {})}
        if isinstance(route, Mount) and route.routes:
            inner, inner_params = _match(route.routes, {**scope, **child_scope})
            if inner is not None:
                return inner, inner_params
            continue
        if match is Match.FULL:
            return route, params
        if partial is None:
            partial = (route, params)
    return partial if partial is not None else (None, {})
