"""Finding the route a request will reach, before Starlette's router runs.

``before_request`` hooks read ``request.endpoint`` and ``request.view_args``
(as Flask matches the URL when the request context is pushed), and the
body preload needs to know whether any route will read the body, but the
middleware runs ahead of routing. This repeats the router's matching, only
when something asks, once per request (the result is kept in the scope).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

#: Where the match is kept in the ASGI scope.
MATCH_KEY = "fastapi_flaskcompat.match"


class RouteMatch(NamedTuple):
    route: BaseRoute | None
    params: dict[str, Any]
    #: False for a method mismatch (the route of a 405) or no route at all.
    full: bool


_NO_ROUTE = RouteMatch(None, {}, False)


def match_route(scope: Scope) -> RouteMatch:
    """The route ``scope`` reaches and its path parameters.

    A method mismatch still names the route (Flask's ``url_rule`` for a 405).
    """
    match: RouteMatch | None = scope.get(MATCH_KEY)
    if match is None:
        router = getattr(scope.get("app"), "router", None)
        match = _NO_ROUTE if router is None else _match(router.routes, dict(scope))
        scope[MATCH_KEY] = match
    return match


def _match(routes: list[BaseRoute], scope: dict[str, Any]) -> RouteMatch:
    partial: RouteMatch | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        params = {**scope.get("path_params", {}), **child_scope.get("path_params", {})}
        if isinstance(route, Mount) and route.routes:
            inner = _match(route.routes, {**scope, **child_scope})
            if inner.route is not None:
                return inner
            continue
        if match is Match.FULL:
            return RouteMatch(route, params, True)
        if partial is None:
            partial = RouteMatch(route, params, False)
    return partial if partial is not None else _NO_ROUTE
