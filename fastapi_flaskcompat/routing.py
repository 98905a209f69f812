"""Finding the route a request will reach, before Starlette's router runs.

``before_request`` hooks read ``request.endpoint`` and ``request.view_args``
(as Flask matches the URL when the request context is pushed), and the
body preload needs to know whether any route will read the body, but the
middleware runs ahead of routing. This repeats the router's matching, only
when something asks, once per request (the result is kept in the scope).

It also gives the error Flask's URL adapter binding finds in the request's
``Host`` (:func:`host_error`), which Flask raises at dispatch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.routing import BaseRoute, Match, Mount, compile_path
from starlette.types import Scope
from werkzeug.exceptions import BadHost, HTTPException, SecurityError
from werkzeug.sansio.utils import get_host

if TYPE_CHECKING:
    from .app import FlaskCompat

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
        if router is not None and not match.full and scope.get("method") == "HEAD":
            # Werkzeug's rules take HEAD wherever they take GET (FastAPI's do not:
            # the middleware then serves it as a GET).
            as_get = _match(router.routes, {**scope, "method": "GET"})
            if as_get.full:
                match = as_get
        scope[MATCH_KEY] = match
    return match


def _match(routes: list[BaseRoute], scope: dict[str, Any]) -> RouteMatch:
    partial: RouteMatch | None = None
    for route in routes:
        included = _included_match(route, scope)
        if included is not None:
            if included.full:
                return included
            if included.route is not None and partial is None:
                partial = included
            continue
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


def _included_match(route: BaseRoute, scope: dict[str, Any]) -> RouteMatch | None:
    """A router FastAPI (0.165+) included lazily: its own matching finds the
    route inside (the original route object, which is what handles the request).
    None when ``route`` is no such router."""
    find = getattr(route, "_match", None)
    if find is None or not hasattr(route, "original_router"):
        return None
    match, child_scope, inner, _ = find(scope)
    if match is Match.NONE or inner is None:
        return _NO_ROUTE
    if hasattr(inner, "original_router"):  # nested inclusion
        return _match([inner], scope)
    params = {**scope.get("path_params", {}), **child_scope.get("path_params", {})}
    return RouteMatch(inner, params, match is Match.FULL)


#: Host headers that passed the check without TRUSTED_HOSTS (a pure function of
#: the bytes then): hosts repeat, the check costs ~1 us, a lookup ~50 ns. Bounded,
#: so varied garbage cannot grow it.
_GOOD_HOSTS: set[bytes] = set()
_GOOD_HOSTS_MAX = 256


def host_error(app: FlaskCompat, scope: Scope, header: bytes | None) -> HTTPException | None:
    """The error Flask 3.1 finds in this request's ``Host`` when it binds the
    URL adapter (``Flask.create_url_adapter``), or None. Flask keeps it as the
    request's routing exception and raises it at dispatch, after before_request.
    ``header`` is the request's ``Host`` header (the middleware reads it).

    * ``SecurityError`` (400): ``TRUSTED_HOSTS`` is set and the host is not
      in it (``request.host`` raises it too: the request has ``trusted_hosts``).
    * ``BadHost`` (400): a host Werkzeug cannot IDNA-encode (a label of 64 or
      more characters, an empty label), unless ``SERVER_NAME`` is set (Flask
      then binds to that name, not to the ``Host`` header).
    """
    config = app.config
    trusted = config["TRUSTED_HOSTS"]
    if trusted is None and (
        header is None or header in _GOOD_HOSTS or config["SERVER_NAME"] is not None
    ):
        return None
    server = scope.get("server")
    try:
        host = get_host(
            scope.get("scheme", "http"),
            None if header is None else header.decode("latin-1"),
            (server[0], server[1]) if server else None,
            trusted,
        )
    except SecurityError as e:
        return e
    if config["SERVER_NAME"] is None:
        try:
            host.lower().partition(":")[0].encode("idna")
        except UnicodeError:
            return BadHost()
    if trusted is None and header is not None and len(_GOOD_HOSTS) < _GOOD_HOSTS_MAX:
        _GOOD_HOSTS.add(header)
    return None


def iter_routes(routes: list[BaseRoute]) -> Iterator[tuple[BaseRoute, str]]:
    """Every route the router serves, with its full path, also those of routers
    FastAPI (0.165+) included lazily; mounted apps are not entered (a mounted
    FastAPI app has a FlaskCompat of its own)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        contexts = getattr(route, "effective_route_contexts", None)
        if original is not None and contexts is not None:
            for context in contexts():
                inner = getattr(context, "original_route", None)
                if inner is not None:
                    path = getattr(context, "path", "") or getattr(inner, "path", "")
                    yield inner, path
        else:
            yield route, getattr(route, "path", "")


def allowed_methods(scope: Scope) -> set[str]:
    """Every method some route serves at ``scope``'s path (Flask's
    ``allowed_methods``: with ``HEAD`` for ``GET``, and ``OPTIONS``)."""
    methods = {"OPTIONS", *route_methods(scope)}
    if "GET" in methods:
        methods.add("HEAD")
    return methods


def route_methods(scope: Scope) -> set[str]:
    """The methods the app's routes declare for ``scope``'s path, all routes
    together (a 405 from Starlette names only the first route's)."""
    router = getattr(scope.get("app"), "router", None)
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    methods: set[str] = set()
    for route, full_path in iter_routes(getattr(router, "routes", [])):
        declared = getattr(route, "methods", None)
        if declared and full_path and _path_regex(full_path).match(path):
            methods.update(declared)
    return methods


@lru_cache(maxsize=1024)
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]
