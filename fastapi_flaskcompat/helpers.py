"""Flask's helper functions: ``abort``, ``make_response``, ``url_for``, ``stream_with_context``."""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterator, Callable, Iterator
from functools import wraps
from urllib.parse import quote, urlencode

from starlette.convertors import FloatConvertor, IntegerConvertor, UUIDConvertor
from starlette.responses import Response as StarletteResponse
from starlette.routing import BaseRoute, Mount, NoMatchFound
from werkzeug.exceptions import abort as _werkzeug_abort
from werkzeug.routing import BuildError

from .ctx import RequestContext
from .globals import _get_ctx, _no_app_msg, _no_req_msg, _request_ctx, current_app
from .routing import iter_routes


def abort(code: int | t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise Werkzeug's ``HTTPException`` for ``code`` (or with a response), as Flask.

    ``FlaskCompat`` registers a FastAPI exception handler for it, so this works
    from endpoints, dependencies and hooks alike.
    """
    _werkzeug_abort(code, *args, **kwargs)


def make_response(*args: t.Any) -> StarletteResponse:
    """Flask's ``make_response``: turn view-style return values into a response."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        return current_app.make_response(args[0])
    return current_app.make_response(args)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build a URL to the route named ``endpoint``, as Flask's ``url_for``.

    Values naming path parameters fill the path; the others become the query
    string (``None`` values are dropped). ``_external=True`` gives an
    absolute URL from the current request (or ``SERVER_NAME``).
    """
    app_ctx = _get_ctx(None)
    if app_ctx is None:
        raise RuntimeError(_no_app_msg)
    req_ctx = _request_ctx()
    config = app_ctx.app.config
    # Flask: relative inside a request (unless a scheme is given), absolute
    # outside one, where SERVER_NAME is required.
    if req_ctx is not None:
        if _external is None:
            _external = _scheme is not None
    else:
        if not config.get("SERVER_NAME"):
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME'"
                " configured. Also configure 'APPLICATION_ROOT' and"
                " 'PREFERRED_URL_SCHEME' as needed."
            )
        if _external is None:
            _external = True
    if _scheme is not None and not _external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")
    if endpoint[:1] == ".":
        # Flask: relative to the current request's blueprint.
        blueprint = req_ctx.request.blueprint if req_ctx is not None else None
        endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
    app = app_ctx.app
    app.inject_url_defaults(endpoint, values)
    try:
        path, query = _build(app.fastapi_app, endpoint, values, _method)
    except BuildError as error:
        # Flask: url_build_error_handlers may give a URL (or re-raise).
        values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
        return app.handle_url_build_error(error, endpoint, values)
    if req_ctx is not None:
        path = req_ctx.request.root_path + path
    else:
        path = config["APPLICATION_ROOT"].rstrip("/") + path
    if query:
        # Werkzeug's URL building leaves the characters a query may hold as they are.
        path += "?" + urlencode(query, safe="!$'()*,/:;?@")
    if _anchor is not None:
        path += "#" + quote(_anchor, safe="!#$&'()*+,/:;=?@")
    if not _external:
        return path
    if req_ctx is not None:
        server_name: str | None = config["SERVER_NAME"]
        if server_name is not None:
            # Flask binds the request's URL adapter to SERVER_NAME, not to the Host.
            scheme = _scheme or req_ctx.request.scheme
            server_name = server_name.lower()
            default_port = {"http": ":80", "https": ":443"}.get(req_ctx.request.scheme)
            if default_port is not None:
                server_name = server_name.removesuffix(default_port)
            return f"{scheme}://{server_name}{path}"
        host_url = req_ctx.request.host_url.rstrip("/")
        if _scheme is not None:
            host_url = _scheme + host_url[host_url.index(":") :]
        return host_url + path
    scheme = _scheme or config["PREFERRED_URL_SCHEME"]
    return f"{scheme}://{config['SERVER_NAME']}{path}"


def _build(
    fastapi_app: t.Any, endpoint: str, values: dict[str, t.Any], method: str | None
) -> tuple[str, list[tuple[str, t.Any]]]:
    """The path to ``endpoint`` and the query pairs, as Werkzeug's ``build``:
    path values quoted by their converter, ``None`` dropped, ``method`` checked."""
    route = _find_route(list(getattr(fastapi_app, "routes", [])), endpoint)
    if route is None:
        raise BuildError(endpoint, values, method)
    methods = getattr(route, "methods", None)
    if method is not None and methods:
        # Werkzeug's rules also take OPTIONS, and HEAD where they take GET.
        allowed = {*methods, "OPTIONS", *(("HEAD",) if "GET" in methods else ())}
        if method.upper() not in allowed:
            raise BuildError(endpoint, values, method)
    convertors: dict[str, t.Any] = getattr(route, "param_convertors", {})
    path_params: dict[str, t.Any] = {}
    filled: dict[str, str] = {}
    query: list[tuple[str, t.Any]] = []
    for name, value in values.items():
        if value is None:
            continue
        convertor = convertors.get(name)
        if convertor is None:
            if isinstance(value, list | tuple):
                query += [(name, v) for v in value if v is not None]
            else:
                query.append((name, value))
        elif isinstance(convertor, IntegerConvertor | UUIDConvertor):
            path_params[name] = value
        else:
            # Starlette refuses "" and "/" in a segment; Werkzeug quotes the value
            # (str(float) for floats). A placeholder keeps Starlette's own prefixes.
            if isinstance(convertor, FloatConvertor):
                path_params[name] = 987654321.5 + len(filled)
                filled[convertor.to_string(path_params[name])] = str(float(value))
            else:
                path_params[name] = placeholder = f"fcparam{len(filled)}x"
                filled[placeholder] = quote(str(value), safe="!$&'()*+,/:;=@")
    try:
        path = str(fastapi_app.url_path_for(endpoint, **path_params))
    except (NoMatchFound, ValueError, AssertionError):
        raise BuildError(endpoint, values, method) from None
    for placeholder, text in filled.items():
        path = path.replace(placeholder, text, 1)
    return path, query


def _find_route(routes: list[BaseRoute], name: str) -> BaseRoute | None:
    for route, _ in iter_routes(routes):
        if getattr(route, "name", None) == name:
            return route
        if isinstance(route, Mount) and route.name and name.startswith(route.name + ":"):
            found = _find_route(route.routes, name[len(route.name) + 1 :])
            if found is not None:
                return found
    return None


def stream_with_context(
    generator_or_function: t.Any,
) -> t.Any:
    """Keep the current request context around a (sync or async) generator.

    The middleware already keeps the context until the response is sent;
    this also covers generators iterated elsewhere (another task or thread).
    Usable on a generator or as a decorator on a generator function.
    """
    if (
        callable(generator_or_function)
        and not hasattr(generator_or_function, "__next__")
        and (not hasattr(generator_or_function, "__anext__"))
    ):
        func = t.cast(Callable[..., t.Any], generator_or_function)

        @wraps(func)
        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))

        return decorator
    req_ctx = _request_ctx()
    if req_ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request"
            " context is active, such as in a view function."
        )
    # The context carries `g` too: the generator may run after the request was popped.
    if hasattr(generator_or_function, "__anext__"):
        return _async_stream(generator_or_function, req_ctx)
    return _sync_stream(iter(generator_or_function), req_ctx)


def _sync_stream(gen: Iterator[t.Any], ctx: RequestContext) -> Iterator[t.Any]:
    # Each step binds the context where it runs: Starlette may run every
    # next() in a different worker thread.
    try:
        while True:
            tokens = ctx.enter()
            try:
                item = next(gen)
            except StopIteration:
                return
            finally:
                ctx.exit(tokens)
            yield item
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            tokens = ctx.enter()
            try:
                close()
            finally:
                ctx.exit(tokens)


async def _async_stream(gen: AsyncIterator[t.Any], ctx: RequestContext) -> AsyncIterator[t.Any]:
    try:
        while True:
            tokens = ctx.enter()
            try:
                item = await gen.__anext__()
            except StopAsyncIteration:
                return
            finally:
                ctx.exit(tokens)
            yield item
    finally:
        aclose = getattr(gen, "aclose", None)
        if aclose is not None:
            tokens = ctx.enter()
            try:
                await aclose()
            finally:
                ctx.exit(tokens)


def flash(message: str, category: str = "message") -> None:
    """Flask's ``flash``: keep ``message`` in the session for the next request."""
    from .globals import session

    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.signalling:
        app.signal("message_flashed", message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Flask's ``get_flashed_messages``: the messages flashed so far, once per request."""
    from .globals import session

    ctx = _request_ctx()
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    flashes = ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [message for _, message in flashes]
    return flashes


def redirect(location: str, code: int = 302, Response: type | None = None) -> t.Any:
    """Flask's ``redirect``: a redirect response (the app's response class)."""
    from werkzeug.utils import redirect as _werkzeug_redirect

    if Response is None:
        app_ctx = _get_ctx(None)
        if app_ctx is not None:
            return app_ctx.app.redirect(location, code)
    return _werkzeug_redirect(location, code, Response=Response)
