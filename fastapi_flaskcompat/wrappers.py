"""Flask's ``Request`` and ``Response``, on Werkzeug, speaking ASGI.

``Request`` is Werkzeug's sans-IO request built from the ASGI scope, so
``args``, ``headers``, ``cookies``, ``user_agent``... are Werkzeug's own.
It is built only when code touches ``request``.
"""

from __future__ import annotations

import contextvars
import json
import queue
import threading
import typing as t
from functools import cached_property
from io import BytesIO
from urllib.parse import unquote_to_bytes, urljoin

import anyio
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send
from werkzeug.datastructures import Headers, ImmutableHeadersMixin
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    HTTPException,
    MethodNotAllowed,
    NotFound,
)
from werkzeug.http import remove_entity_headers
from werkzeug.sansio.request import Request as SansIORequest
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse
from werkzeug.wsgi import get_input_stream

from .body import BODY_KEY, Body, UnrecordedStream
from .globals import _get_ctx
from .routing import match_route, route_methods


class RequestHeaders(ImmutableHeadersMixin, Headers):  # type: ignore[misc]
    """``request.headers`` as Flask has them from WSGI's ``EnvironHeaders``:
    read-only, names Title-Cased, one entry per name (a header sent on several
    lines joined, as WSGI servers join them), ``X_Thing`` finding ``X-Thing``,
    and a missing name a plain ``KeyError``."""

    #: Blank ``Content-Type``/``Content-Length`` (lowered): found by a lookup, not
    #: listed, as in the environ.
    blank: frozenset[str] = frozenset()

    def _get_key(self, key: str) -> str:
        if not isinstance(key, str):
            raise BadRequestKeyError(key)
        ikey = key.replace("_", "-").lower()
        for k, v in self._list:
            if k.lower() == ikey:
                return v
        if ikey in self.blank:
            return ""
        raise KeyError(key)

    def copy(self) -> t.NoReturn:
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __or__(self, other: t.Any) -> t.NoReturn:
        raise TypeError(f"cannot create {type(self).__name__!r} copies")


#: Raw header names as Flask spells them (``x-api_key`` → ``X-Api-Key``): most
#: requests send the same few dozen. Bounded: names come from clients.
_NAMES: dict[bytes, str] = {}
_NAMES_MAX = 512


def _scope_headers(scope: Scope) -> RequestHeaders:
    # The server parsed these: skip Headers' per-item checks (most of the
    # cost of building a request, as WSGI's EnvironHeaders skips them too).
    joined: dict[str, str] = {}
    blank: list[str] = []
    names = _NAMES
    for raw_name, raw_value in scope["headers"]:
        name = names.get(raw_name)
        if name is None:
            name = raw_name.decode("latin-1").replace("_", "-").title()
            if len(names) < _NAMES_MAX:
                names[raw_name] = name
        value = raw_value.decode("latin-1")
        seen = joined.get(name)
        if seen is not None:
            # WSGI servers join repeated lines with a comma; cookies (HTTP/2
            # sends one field per cookie) with "; ", as RFC 9113 says.
            joined[name] = f"{seen}{'; ' if name == 'Cookie' else ','}{value}"
        elif value or name not in ("Content-Type", "Content-Length"):
            joined[name] = value
        else:
            blank.append(name.lower())
    headers = RequestHeaders()
    headers._list = list(joined.items())
    if blank:
        headers.blank = frozenset(blank)
    return headers


def _wsgi_path(scope: Scope, root_path: str, path: str) -> str:
    """``PATH_INFO``: the request path's bytes read as latin-1 (PEP 3333), from
    the bytes the client sent, so that invalid UTF-8 survives as in WSGI."""
    raw: bytes | None = scope.get("raw_path")
    script = root_path.encode()
    if raw is not None:
        sent = unquote_to_bytes(raw.partition(b"?")[0])
        if sent.startswith(script):
            return sent[len(script) :].decode("latin-1")
    return path.encode().decode("latin-1")


class _JSONModule:
    """``Request.json_module``: the stdlib's, except that JSON nested deeper
    than the parser's recursion limit is invalid JSON (a ``ValueError``, so
    Werkzeug answers 400, or None with ``silent=True``), not a
    ``RecursionError`` escaping ``get_json()`` as a 500."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _as_werkzeug_server_passes(query: bytes) -> bytes:
    """A raw query that is not UTF-8 (Werkzeug's ``args`` would raise
    ``UnicodeDecodeError``, a 500), as Werkzeug's server hands it to Flask:
    each byte read as a latin-1 character, then UTF-8 encoded (the WSGI
    "encoding dance"), so ``?q=\xe9`` gives ``"é"``. Valid UTF-8 is kept, as
    every other server passes it."""
    try:
        query.decode()
    except UnicodeDecodeError:
        return query.decode("latin-1").encode()
    return query


class Request(WerkzeugRequest):
    """The request object legacy code sees as ``request``.

    Body access (``get_data``, ``form``, ``files``, ``get_json``...) is
    Werkzeug's WSGI request code reading ``environ["wsgi.input"]``, which
    is the body recorded by ``body.Body``; limits come from the app config
    as in Flask.
    """

    shallow = False
    json_module = _JSONModule  # type: ignore[assignment]  # Werkzeug types it as a module

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        root_path: str = scope.get("root_path", "")
        path: str = scope["path"]
        # ASGI paths include root_path; Werkzeug's path is the part after it.
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        server = scope.get("server")
        client = scope.get("client")
        query_string: bytes = scope.get("query_string", b"")
        if not query_string.isascii():
            query_string = _as_werkzeug_server_passes(query_string)
        SansIORequest.__init__(
            self,
            method=scope.get("method", "GET"),
            scheme=scope.get("scheme", "http"),
            server=(server[0], server[1]) if server else None,
            root_path=root_path,
            path=path,
            query_string=query_string,
            headers=_scope_headers(scope),
            remote_addr=client[0] if client else None,
        )
        self.scope = scope
        self.receive = receive

    @cached_property
    def starlette_request(self) -> StarletteRequest:
        """The Starlette request for the same scope, for new code."""
        body: Body | None = self.scope.get(BODY_KEY)
        if body is not None:
            # Its own replay cursor: it reads the whole body whoever read first.
            return StarletteRequest(self.scope, body.make_receive())
        if self.receive is None:
            return StarletteRequest(self.scope)
        return StarletteRequest(self.scope, self.receive)

    @cached_property
    def _route(self) -> tuple[BaseRoute | None, dict[str, t.Any]]:
        route = self.scope.get("route")
        if route is not None and "path_params" in self.scope:
            return route, dict(self.scope["path_params"])
        match = match_route(self.scope)
        return match.route, match.params

    @property
    def url_rule(self) -> BaseRoute | None:
        """The matched Starlette route (Flask: the ``Rule``), or None."""
        return self._route[0]

    @property
    def view_args(self) -> dict[str, t.Any] | None:
        """The path parameters of the matched route, as Flask's ``view_args``."""
        route, params = self._route
        return None if route is None else params

    @property
    def endpoint(self) -> str | None:
        """The matched route's name (FastAPI: the endpoint function's name)."""
        route = self._route[0]
        return getattr(route, "name", None) if route is not None else None

    @cached_property
    def _blueprint_route(self) -> BaseRoute | None:
        # A wrong method (a 405) is in no blueprint: Flask matched no endpoint, so
        # neither the blueprint's hooks nor its error handlers apply. OPTIONS keeps
        # its route: Flask's automatic OPTIONS matches the rule.
        route = self._route[0]
        methods = getattr(route, "methods", None)
        if not methods or self.method in methods or self.method == "OPTIONS":
            return route
        return None

    @property
    def blueprint(self) -> str | None:
        """The registered (dotted) name of the blueprint of the matched route, or None."""
        return getattr(self._blueprint_route, "blueprint_name", None) or None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint and its parents, innermost first (Flask's order)."""
        return list(getattr(self._blueprint_route, "blueprints", ()))

    # Aliases Werkzeug defines on its WSGI request, not on the sans-IO one.
    @property
    def script_root(self) -> str:
        """Alias for ``root_path``."""
        return self.root_path

    @cached_property
    def routing_exception(self) -> HTTPException | None:
        """Flask's: the error routing found for this request (``NotFound``,
        ``MethodNotAllowed``), raised at dispatch; None when a route matched."""
        match = match_route(self.scope)
        if match.full:
            return None
        if match.route is None:
            return NotFound()
        return MethodNotAllowed(valid_methods=sorted(route_methods(self.scope)))

    @property
    def url_root(self) -> str:
        """Alias for ``root_url``: scheme, host and root path."""
        return self.root_url

    @cached_property
    def environ(self) -> dict[str, t.Any]:  # type: ignore[override]  # Werkzeug: an attribute
        """A WSGI environ for this request, built on first use."""
        scope = self.scope
        server = scope.get("server") or ("localhost", 80)
        client = scope.get("client")
        # What gunicorn and Werkzeug's server put there: the target as sent.
        raw_path: bytes = scope.get("raw_path") or self.full_path.encode()
        target = raw_path.decode("latin-1")
        if self.query_string:
            target += "?" + self.query_string.decode("latin-1")
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": self.method,
            # WSGI strings: the path's bytes as latin-1, as a WSGI server gives them.
            "SCRIPT_NAME": self.root_path.encode().decode("latin-1"),
            "PATH_INFO": _wsgi_path(scope, self.root_path, self.path),
            "QUERY_STRING": self.query_string.decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": self.remote_addr,
            "REMOTE_PORT": str(client[1]) if client else "",
            "REQUEST_URI": target,
            "RAW_URI": target,
            "werkzeug.request": self,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.errors": None,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input": self._input,
            "asgi.scope": scope,
        }
        if "Transfer-Encoding" in self.headers:
            # As Werkzeug's server: lets Werkzeug read a body without Content-Length.
            environ["wsgi.input_terminated"] = True
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = f"HTTP_{name}"
            environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    # -- body: Werkzeug's get_data/form/files/json on the recorded body ------

    @cached_property
    def _input(self) -> t.IO[bytes]:
        """``wsgi.input``: the recorded body, read synchronously."""
        body: Body | None = self.scope.get(BODY_KEY)
        if body is not None:
            return t.cast(t.IO[bytes], body.stream())
        if self.content_length or "Transfer-Encoding" in self.headers:
            return t.cast(t.IO[bytes], UnrecordedStream())
        return BytesIO()

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """Werkzeug's ``stream`` (``get_input_stream``), without building the whole environ."""
        environ = self.__dict__.get("environ")
        if environ is None:
            headers = self.headers
            environ = {
                "wsgi.input": self._input,
                "CONTENT_LENGTH": headers.get("Content-Length"),
                "HTTP_TRANSFER_ENCODING": headers.get("Transfer-Encoding"),
            }
            if environ["HTTP_TRANSFER_ENCODING"] is not None:
                environ["wsgi.input_terminated"] = True
        return get_input_stream(environ, max_content_length=self.max_content_length)

    async def load_body(self) -> None:
        """Receive the whole body, so sync code on the event loop can read it."""
        body: Body | None = self.scope.get(BODY_KEY)
        if body is not None and not await body.load():
            raise ClientDisconnected()

    @property
    def want_form_data_parsed(self) -> bool:
        return bool(self.headers.get("Content-Type"))

    # Flask 3.1: each limit defaults to the app's config, settable per request.
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    @property
    def max_content_length(self) -> int | None:
        """``MAX_CONTENT_LENGTH`` from the app config, unless set on this request."""
        if self._max_content_length is not None:
            return self._max_content_length
        ctx = _get_ctx(None)
        if ctx is None:
            return WerkzeugRequest.max_content_length
        return t.cast("int | None", ctx.app.config["MAX_CONTENT_LENGTH"])

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
        body: Body | None = self.scope.get(BODY_KEY)
        if body is not None:
            # The recorder applies the limit in force when something reads the body.
            body.set_limit(self.max_content_length)

    @property
    def max_form_memory_size(self) -> int | None:
        """``MAX_FORM_MEMORY_SIZE`` from the app config, unless set on this request."""
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        ctx = _get_ctx(None)
        if ctx is None:
            return WerkzeugRequest.max_form_memory_size
        return t.cast("int | None", ctx.app.config["MAX_FORM_MEMORY_SIZE"])

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property  # type: ignore[override]
    def max_form_parts(self) -> int | None:
        """``MAX_FORM_PARTS`` from the app config, unless set on this request."""
        if self._max_form_parts is not None:
            return self._max_form_parts
        ctx = _get_ctx(None)
        if ctx is None:
            return WerkzeugRequest.max_form_parts
        return t.cast("int | None", ctx.app.config["MAX_FORM_PARTS"])

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Flask's: a bare 400 for invalid JSON (the parser's message only in debug)."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ebr:
            ctx = _get_ctx(None)
            if ctx is not None and ctx.app.debug:
                raise
            raise BadRequest() from ebr


class Response(WerkzeugResponse, StarletteResponse):
    """Flask's response class, which FastAPI can also return directly.

    It is a Werkzeug response (``headers``, ``set_cookie``, ``get_data``,
    ``status``...) and a Starlette response, so an endpoint can
    ``return jsonify(...)`` and ``after_request`` hooks get Flask's API.
    """

    default_mimetype: str | None = "text/html"
    background: BackgroundTask | None = None
    # Shadows Starlette's read-only ``headers`` property: Werkzeug's Headers win.
    headers: Headers = None  # type: ignore[assignment]

    @classmethod
    def from_asgi(cls, start: Message, body: bytes | None) -> Response:
        """Build from an ``http.response.start`` message; ``body=None`` means streaming."""
        # The app already produced valid headers: skip Headers' per-item checks,
        # which cost more than the rest of this method (runs once per request).
        headers = Headers()
        headers._list = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        if body is None:
            response = cls(status=start["status"], headers=headers)
            response.response = _StreamPending()
            # Makes get_data() raise instead of consuming the stream.
            response.direct_passthrough = True
            return response
        # A list, not bytes: keeps the app's Content-Length instead of recomputing it.
        return cls([body], status=start["status"], headers=headers)

    @classmethod
    def from_starlette(cls, response: StarletteResponse) -> Response:
        """Convert a Starlette response with a body (not a streaming one)."""
        if isinstance(response, cls):
            return response
        body = getattr(response, "body", None)
        if body is None:
            raise TypeError(
                f"Cannot hand a {type(response).__name__} to after_request hooks as a"
                " Flask response: it has no body. Return a fastapi_flaskcompat.Response."
            )
        converted = cls.from_asgi(
            {"status": response.status_code, "headers": response.raw_headers}, bytes(body)
        )
        converted.background = response.background
        return converted

    def _bodiless(self) -> bool:
        status = self.status_code
        return status < 200 or status == 204 or status == 304

    def asgi_start(self) -> Message:
        """The ``http.response.start`` message for this response.

        Headers get the fixes Werkzeug's ``get_wsgi_headers`` applies for
        Flask: no Content-Length on 1xx/204, no entity headers on 304, and
        Content-Length computed for a buffered body that lacks one.
        """
        headers = self.headers
        location = headers.get("Location")
        content_location = headers.get("Content-Location")
        if location is not None or content_location is not None:
            headers = Headers(headers)
            if location is not None:
                # As Werkzeug sends it: a URI, absolute when the response asks.
                location = iri_to_uri(location)
                if self.autocorrect_location_header:
                    ctx = _get_ctx(None)
                    if ctx is not None and ctx.request_ctx is not None:
                        base = iri_to_uri(ctx.request_ctx.request.base_url)
                        location = urljoin(base, location)
                headers["Location"] = location
            if content_location is not None:
                headers["Content-Location"] = iri_to_uri(content_location)
        if self._bodiless():
            headers = Headers(headers)
            if self.status_code == 304:
                remove_entity_headers(headers)
            else:
                headers.remove("Content-Length")
        elif (
            self.automatically_set_content_length
            and self.is_sequence
            and "Content-Length" not in headers
        ):
            headers = Headers(headers)
            headers["Content-Length"] = str(sum(len(x) for x in self.iter_encoded()))
        return {
            "type": "http.response.start",
            "status": self.status_code,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }

    async def send_body(self, send: Send) -> None:
        """Send the body: one message, or chunk by chunk when streamed."""
        if self._bodiless():
            await send({"type": "http.response.body", "body": b""})
            return
        if not self.is_streamed:
            await send({"type": "http.response.body", "body": self.get_data()})
            return
        async for chunk in iterate_in_threadpool(self.iter_encoded()):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        await send(self.asgi_start())
        await self.send_body(send)
        if self.background is not None:
            await self.background()


class _StreamPending:
    """Stands for a body the app is still streaming: it cannot be read in a hook,
    only wrapped lazily (Flask-Compress: ``response.response = compress(
    response.iter_encoded())``); the wrapper then pulls the app's chunks from
    its :class:`StreamRelay`."""

    relay: StreamRelay | None = None

    def __iter__(self) -> t.Iterator[bytes]:
        if self.relay is not None:
            return self.relay.app_chunks()
        raise RuntimeError(
            "The body of a streaming response cannot be read or replaced in after_request;"
            " change its status, headers or cookies instead, or wrap it lazily"
            " (response.response = transform(response.iter_encoded()))."
        )


def relay_if_wrapped(response: Response, pending: object) -> StreamRelay | None:
    """For ``response`` made by :meth:`Response.from_asgi` for a stream (``pending``
    its ``response.response`` then), after the hooks ran on it: a relay when a hook
    gave it another body, which wraps the app's chunks or replaces them; else None."""
    if response.response is pending or type(pending) is not _StreamPending:
        return None
    return StreamRelay(response, pending)


#: What a relay's thread reports: it wants the app's next chunk, or it is done.
_HUNGRY, _FINISHED, _END = object(), object(), object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class StreamRelay:
    """Feeds the chunks the app streams through the iterator an after_request hook
    put around them, as a WSGI server iterates a Flask response whose body a hook
    wrapped. That iterator pulls its input, so it runs in a thread of its own
    (in a copy of the request's context); each chunk the app sends goes in, and
    what the iterator yields for it goes out before the app's ``send`` returns,
    which keeps the app's pace (no unbounded buffering)."""

    def __init__(self, response: Response, pending: _StreamPending) -> None:
        self._into: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._out: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._ready = False  # the thread asked for its first chunk (or finished)
        self._finished = False
        pending.relay = self
        self._thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._pump, response),
            name="fastapi-flaskcompat stream relay",
            daemon=True,
        )
        self._thread.start()

    def _pump(self, response: Response) -> None:
        try:
            for chunk in response.iter_encoded():
                self._out.put(chunk)
        except BaseException as error:  # handed to the app's send, which raises it
            self._out.put(_Failed(error))
        finally:
            close = getattr(response.response, "close", None)
            if close is not None:
                close()
            self._out.put(_FINISHED)

    def app_chunks(self) -> t.Iterator[bytes]:
        """The app's body as the wrapper iterates it (in the relay's thread)."""
        while True:
            self._out.put(_HUNGRY)
            chunk = self._into.get()
            if chunk is _END:
                return
            yield chunk

    def _exchange(self, chunk: t.Any) -> list[bytes]:
        """In a worker thread: hand ``chunk`` over, collect what the wrapper
        yields until it wants the next one (or ends)."""
        out: list[bytes] = []
        if not self._ready:
            self._ready = True
            out += self._collect()
        if not self._finished:
            self._into.put(chunk)
            out += self._collect()
        return out

    def _collect(self) -> list[bytes]:
        out: list[bytes] = []
        while True:
            item = self._out.get()
            if item is _HUNGRY:
                return out
            if item is _FINISHED:
                self._finished = True
                return out
            if type(item) is _Failed:
                self._finished = True
                self._out.get()  # its _FINISHED
                raise item.error
            out.append(item)

    def send_through(self, downstream: Send) -> Send:
        """The ``send`` for the app's body messages."""

        async def send(message: Message) -> None:
            if message["type"] != "http.response.body":
                return
            body = message.get("body", b"")
            chunks = await anyio.to_thread.run_sync(self._exchange, body) if body else []
            more = message.get("more_body", False)
            if not more:
                chunks += await anyio.to_thread.run_sync(self._exchange, _END)
            for chunk in chunks:
                if chunk:
                    await downstream(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            if not more:
                await downstream({"type": "http.response.body", "body": b""})

        return send

    async def aclose(self) -> None:
        """End the wrapper (the app stopped streaming) and wait for its thread,
        before the request's context is popped: the wrapper may hold it pushed."""
        with anyio.CancelScope(shield=True):
            if not self._finished:
                await anyio.to_thread.run_sync(self._exchange, _END)
            await anyio.to_thread.run_sync(self._thread.join)
