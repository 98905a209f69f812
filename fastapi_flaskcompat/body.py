"""Request bodies for synchronous legacy code.

ASGI delivers a body as ``http.request`` messages that must be awaited;
legacy code calls ``request.get_json()`` synchronously. The bridge is a
per-request :class:`Body`, created by the middleware only for requests that
carry a body (a ``Content-Length`` other than 0, or ``Transfer-Encoding``):

* **Recorder.** ``Body`` wraps ``receive``: every chunk any reader pulls from
  the server is recorded once and replayed to every other reader, each with
  its own cursor (the app's ``receive``, ``request.starlette_request``,
  legacy ``request.stream``). So FastAPI's ``Body``/``Form``/``UploadFile``
  parameters, ``await starlette_request.body()`` and legacy code all see the
  complete body, whoever reads first. Chunks reach the app as they arrive:
  streaming stays streaming.
* **Bounded memory.** The recording stays in memory up to
  :data:`SPOOL_SIZE` (Werkzeug's 500 KiB upload threshold) and then spills
  to a temporary file.
* **Preload.** Before ``before_request`` hooks run, the middleware receives
  the body of a request that matched a route (``routing.match_route``; none
  for a 404/405) when its ``Content-Length`` is at most
  ``config["FLASKCOMPAT_PRELOAD_MAX_SIZE"]`` (:data:`DEFAULT_PRELOAD_MAX_SIZE`,
  any type), or, without a length, when its type is one legacy code parses,
  up to the same bound. Sync helpers called on the event loop (from
  ``async def`` code) find it ready. Types: ``config["FLASKCOMPAT_PRELOAD_MIMETYPES"]``,
  an iterable of mimetypes (``*`` globs allowed); default
  :data:`DEFAULT_PRELOAD_MIMETYPES` (JSON, urlencoded forms, multipart). Per
  route: the :func:`body_options` decorator on the endpoint
  (``preload=True``/``False``, ``record=False``).
* **Sync reads.** In a worker thread, the first read of a body not yet
  complete fetches the rest from the event loop (``anyio.from_thread``) and
  every later read, in any thread, uses the recording. On the event-loop
  thread it raises ``RuntimeError`` naming the fixes instead of blocking the
  loop. ``await request.load_body()`` loads it from async code. A plain
  ``threading.Thread`` (not started by anyio) can fetch only once the loop
  has received part of the body; before that the error names
  ``load_body()``. Code that outlives the request (a thread or task it
  started) reads the recording if the body was complete when the request
  ended, else gets a ``RuntimeError`` saying the request has ended.
* **Slow clients.** A body still arriving never holds a worker thread for
  long: small bodies are preloaded on the loop, and a sync read waits at
  most ``config["FLASKCOMPAT_BODY_TIMEOUT"]`` seconds
  (:data:`DEFAULT_BODY_TIMEOUT`; ``None`` waits as long as the client takes)
  for the rest, then raises Werkzeug's ``RequestTimeout`` (408).
* **Limits.** The limit is the request's ``max_content_length`` when
  something reads the body (``MAX_CONTENT_LENGTH`` unless a hook set
  ``request.max_content_length``, as in Flask 3.1), and the 413 comes then,
  never before ``before_request``. A ``Content-Length`` over it is refused
  before anything is read; a chunked body once the received bytes pass it,
  refusing the chunk that crossed it. The preload, which runs before hooks
  can change the limit, stops at the configured one keeping that one chunk,
  and resumes after the hooks if one raised the limit. The 413 is a
  :class:`BodyTooLarge`: Werkzeug's ``RequestEntityTooLarge`` for Flask code
  and a Starlette ``HTTPException`` so FastAPI's body parsing passes it on
  instead of turning it into a 400. A client that disconnects mid-body ends
  the request without a response; legacy readers get Werkzeug's
  ``ClientDisconnected`` (400).
* **Off switch.** ``config["FLASKCOMPAT_BODY"] = False`` creates nothing:
  the app gets the server's ``receive`` untouched, and legacy body access on
  a request with a body raises ``RuntimeError``.

Parsing is Werkzeug's own (``werkzeug.wrappers.Request``): this module only
provides the bytes, as ``environ["wsgi.input"]``.
"""

from __future__ import annotations

import fnmatch
import io
import tempfile
import threading
import typing as t
import weakref
from collections.abc import Callable, Iterable
from functools import lru_cache

import anyio
import anyio.from_thread
import anyio.lowlevel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge, RequestTimeout

from .routing import match_route

if t.TYPE_CHECKING:
    from .app import FlaskCompat

F = t.TypeVar("F", bound=Callable[..., t.Any])

#: Where the request's :class:`Body` lives in the ASGI scope.
BODY_KEY = "fastapi_flaskcompat.body"
#: Bytes kept in memory before the recording spills to a temporary file.
SPOOL_SIZE = 500 * 1024
#: Largest message replayed to an ASGI reader.
REPLAY_CHUNK = 64 * 1024

DEFAULT_PRELOAD_MIMETYPES: tuple[str, ...] = (
    "application/json",
    "application/*+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)

#: Bodies up to this many bytes are received before any hook, whatever their type.
DEFAULT_PRELOAD_MAX_SIZE = 1024 * 1024
#: ``preload`` of a route that asked for its whole body, whatever its size.
PRELOAD_ALL = -1
#: Seconds a synchronous read in a worker thread waits for the rest of a body.
DEFAULT_BODY_TIMEOUT = 30.0

_OPTIONS_ATTR = "__flaskcompat_body__"


class BodyOptions(t.NamedTuple):
    preload: bool | None
    record: bool


def body_options(*, preload: bool | None = None, record: bool = True) -> Callable[[F], F]:
    """Per-route body handling, on the endpoint function::

        @app.post("/import")
        @body_options(preload=True)  # any content type, before hooks run
        async def import_(): ...

        @app.post("/proxy")
        @body_options(record=False)  # raw receive: nothing recorded or replayed
        async def proxy(request: starlette.requests.Request): ...

    ``preload=None`` follows ``FLASKCOMPAT_PRELOAD_MIMETYPES``; ``False``
    never preloads. ``record=False`` leaves the body to the app alone (legacy
    body access raises ``RuntimeError``).
    """
    options = BodyOptions(preload, record)

    def decorator(f: F) -> F:
        setattr(f, _OPTIONS_ATTR, options)
        return f

    return decorator


class BodyTooLarge(RequestEntityTooLarge, StarletteHTTPException):
    """413 Content Too Large, recognised by Flask code and by FastAPI's body parsing."""

    def __init__(self) -> None:
        # Werkzeug's __init__ would call Starlette's through super() without a status.
        StarletteHTTPException.__init__(self, 413, RequestEntityTooLarge.description)
        self.response = None


def _not_on_loop_message(mimetype: str) -> str:
    return (
        "The request body has not been fully received, and it cannot be read"
        " synchronously on the event loop thread (that would block every request)."
        " Bodies up to config['FLASKCOMPAT_PRELOAD_MAX_SIZE'] bytes are received before"
        f" any hook; for this one ({mimetype!r}) either raise that limit, add the type to"
        " config['FLASKCOMPAT_PRELOAD_MIMETYPES'] (bodies of unknown length),"
        " decorate the endpoint with @body_options(preload=True),"
        " run 'await request.load_body()' before calling this code,"
        " or call it from a sync (def) endpoint or dependency, which runs in a worker thread."
    )


_ENDED_MESSAGE = (
    "The request has ended before its body was fully received: code that outlives"
    " the request (a thread or task it started) can read the body only if it was"
    " complete when the request ended. Read it (request.get_data()) in the request first."
)


def _no_loop_message() -> str:
    return (
        "The request body has not been received yet, and this thread cannot reach the"
        " event loop to fetch it (it was not started by anyio/FastAPI). Run"
        " 'await request.load_body()' before starting the thread."
    )


class Body:
    """The recording of one request's body; see the module docstring."""

    __slots__ = (
        "__weakref__",
        "_chunks",
        "_file",
        "_file_lock",
        "_loop_thread",
        "_pulled",
        "_pulling",
        "_token",
        "complete",
        "content_type",
        "disconnected",
        "done",
        "ended",
        "length",
        "limit",
        "paused",
        "pos",
        "preload",
        "size",
        "timeout",
        "too_large",
        "truncated",
        "upstream",
    )

    def __init__(
        self,
        upstream: Receive | None,
        length: int | None = None,
        limit: int | None = None,
        preload: int | None = None,
        content_type: bytes = b"",
        timeout: float | None = None,
    ) -> None:
        self.upstream = upstream
        self.length = length
        #: The request's ``max_content_length``: the config's until a hook sets
        #: ``request.max_content_length``, which calls :meth:`set_limit`.
        self.limit = limit
        #: Over the limit in force (the declared length, or what arrived); kept
        #: up to date where size, limit or truncation change, as readers test it often.
        self.too_large = length is not None and limit is not None and length > limit
        self.preload = preload
        self.content_type = content_type
        #: Seconds a synchronous read may wait for the rest of the body.
        self.timeout = timeout
        self.size = 0
        self.complete = False
        self.disconnected = False
        #: A chunk past the limit was refused: the recording can never be whole.
        self.truncated = False
        #: The preload stopped at the limit; a hook raising it resumes the preload.
        self.paused = False
        #: The request is over: the server's ``receive`` is no longer ours to call.
        self.ended = False
        self._chunks: list[bytes] = []
        self._file: t.IO[bytes] | None = None
        self._file_lock = threading.Lock()
        self._loop_thread = threading.get_ident()
        # Cheap state only: a body the app never receives must cost next to nothing.
        self._pulling = False
        self._pulled: anyio.Event | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        # The app's replay cursor (`receive`); other readers get `make_receive()`.
        self.pos = 0
        self.done = False

    @classmethod
    def from_bytes(cls, data: bytes) -> Body:
        """A complete recording, for ``test_request_context``."""
        body = cls(None, len(data))
        if data:
            body._record(data)
        body.complete = True
        return body

    # -- receiving --------------------------------------------------------

    def set_limit(self, limit: int | None) -> None:
        """The limit in force from now on (``request.max_content_length`` was set)."""
        self.limit = limit
        self.too_large = self.truncated or (
            limit is not None
            and (self.size > limit or (self.length is not None and self.length > limit))
        )

    async def _pull(self, keep: bool = False) -> None:
        """Receive one message from the server into the recording.

        Single flight, without a lock (all callers are on the loop): a reader
        arriving while another receives waits for that message instead.
        A chunk that crosses the limit is refused (413), unless ``keep``: the
        preload runs before hooks that may still raise the limit, so it keeps
        that one chunk and stops.
        """
        if self._pulling:
            if self._pulled is None:
                self._pulled = anyio.Event()
            await self._pulled.wait()
            return
        if self.complete or self.disconnected:
            return
        if self.ended:
            raise RuntimeError(_ENDED_MESSAGE)
        if self.too_large:
            raise BodyTooLarge()
        assert self.upstream is not None
        self._pulling = True
        try:
            message = await self.upstream()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if chunk:
                    limit = self.limit
                    if not keep and limit is not None and self.size + len(chunk) > limit:
                        self.truncated = self.too_large = True
                        raise BodyTooLarge()
                    self._record(chunk)
                if not message.get("more_body", False):
                    self.complete = True
            elif message["type"] == "http.disconnect":
                self.disconnected = True
            if self._token is None and not self.complete:
                # A thread anyio did not start (copy_current_request_context + Thread)
                # needs it to fetch the rest; complete bodies never do.
                self._token = anyio.lowlevel.current_token()
        finally:
            self._pulling = False
            pulled, self._pulled = self._pulled, None
            if pulled is not None:
                pulled.set()

    async def preload_body(self) -> bool:
        """Receive the body before any hook: until it is complete or past the
        ``preload`` bound (so a body at the bound is known to be whole or not);
        False if the client disconnected first. Over ``MAX_CONTENT_LENGTH`` it
        stops: as in Flask, the 413 comes when something reads the body, with
        the limit in force then (a before_request hook may raise it)."""
        bound = self.preload
        self.paused = False
        while not self.complete and (bound == PRELOAD_ALL or self.size <= t.cast(int, bound)):
            if self.disconnected:
                return False
            if self.too_large:
                self.paused = True
                break
            await self._pull(keep=True)
        return not self.disconnected

    async def load(self) -> bool:
        """Receive the rest of the body; False if the client disconnected first."""
        while not self.complete:
            if self.disconnected:
                return False
            await self._pull()
        return True

    async def _load_within(self, timeout: float | None) -> bool:
        with anyio.fail_after(timeout):
            return await self.load()

    async def receive(self) -> Message:
        """The ``receive`` handed to the app."""
        return await self._replay(self)

    def make_receive(self) -> Receive:
        """Another ``receive`` replaying the recording from the start, then the server's."""
        cursor = _Cursor()
        return lambda: self._replay(cursor)

    async def _replay(self, cursor: _Cursor | Body) -> Message:
        if self.too_large:
            # Also when the preload kept a chunk past the limit: none of it goes out.
            raise BodyTooLarge()
        if self.ended and not self.complete:
            raise RuntimeError(_ENDED_MESSAGE)
        if cursor.done:
            if self.disconnected or self.upstream is None:
                return {"type": "http.disconnect"}
            return await self.upstream()
        while cursor.pos >= self.size and not self.complete:
            if self.disconnected:
                return {"type": "http.disconnect"}
            await self._pull()
        chunk = self.read_at(cursor.pos, REPLAY_CHUNK)
        cursor.pos += len(chunk)
        cursor.done = done = self.complete and cursor.pos >= self.size
        return {"type": "http.request", "body": chunk, "more_body": not done}

    # -- the recording ----------------------------------------------------

    def _record(self, chunk: bytes) -> None:
        f = self._file
        if f is None:
            self._chunks.append(chunk)
            if self.size + len(chunk) > SPOOL_SIZE:
                self._spill()
        else:
            with self._file_lock:
                f.seek(0, io.SEEK_END)
                f.write(chunk)
        # Grows only once the bytes are readable: readers trust `size`.
        self.size += len(chunk)
        limit = self.limit
        if limit is not None and self.size > limit:
            self.too_large = True  # a chunk the preload kept

    def _spill(self) -> None:
        f = t.cast(t.IO[bytes], tempfile.TemporaryFile())  # noqa: SIM115  # closed below
        # Closed with this object: a reader may outlive the request (see close()).
        weakref.finalize(self, f.close)
        for chunk in self._chunks:
            f.write(chunk)
        with self._file_lock:
            self._file = f
            self._chunks = []

    def read_at(self, pos: int, n: int) -> bytes:
        """Up to ``n`` recorded bytes from offset ``pos`` (fewer at a chunk edge)."""
        with self._file_lock:
            f = self._file
            if f is not None:
                f.seek(pos)
                return f.read(n)
            start = 0
            for chunk in self._chunks:
                end = start + len(chunk)
                if pos < end:
                    if pos == start and len(chunk) <= n:
                        return chunk
                    return chunk[pos - start : min(end, pos + n) - start]
                start = end
            return b""

    def read_from(self, pos: int) -> bytes:
        """Everything recorded from offset ``pos``."""
        with self._file_lock:
            f = self._file
            if f is not None:
                f.seek(pos)
                return f.read()
            chunks = self._chunks
            if pos == 0 and len(chunks) == 1:
                return chunks[0]
            return b"".join(chunks)[pos:]

    # -- synchronous readers ----------------------------------------------

    def wait_sync(self) -> None:
        """Make the whole body available to synchronous code, or raise Flask's error.

        The wait is bounded by ``timeout`` (``FLASKCOMPAT_BODY_TIMEOUT``): a
        client that stops sending holds a worker thread that long at most,
        then gets Werkzeug's 408.
        """
        if self.too_large:
            raise BodyTooLarge()
        if self.complete:
            return
        if self.ended:
            raise RuntimeError(_ENDED_MESSAGE)
        if not self.disconnected:
            if threading.get_ident() == self._loop_thread:
                raise RuntimeError(_not_on_loop_message(_mimetype(self.content_type)))
            try:
                # Without a token, only anyio's worker threads know the loop.
                anyio.from_thread.run(self._load_within, self.timeout, token=self._token)
            except TimeoutError:
                raise RequestTimeout() from None
            except RuntimeError as e:
                if self._token is not None or self.ended:
                    raise
                raise RuntimeError(_no_loop_message()) from e
        if self.too_large:
            raise BodyTooLarge()
        if not self.complete:
            raise ClientDisconnected()

    def stream(self) -> BodyStream:
        """A new synchronous file-like reader over the whole body."""
        return BodyStream(self)

    def close(self) -> None:
        """End of request. A complete recording stays readable for code that
        still holds the request (a thread it started); it is freed with this
        object (the spill file by its finalizer). An incomplete one is dropped:
        the rest can no longer be received."""
        self.ended = True
        if self.complete:
            return
        with self._file_lock:
            f, self._file = self._file, None
            self._chunks = []
        if f is not None:
            f.close()


class _Cursor:
    __slots__ = ("done", "pos")

    def __init__(self) -> None:
        self.pos = 0
        self.done = False


class BodyStream(io.RawIOBase):
    """``environ["wsgi.input"]``: a blocking reader over the recorded body."""

    def __init__(self, body: Body) -> None:
        self._body = body
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        self._body.wait_sync()
        chunk = self._body.read_at(self._pos, len(buffer))
        n = len(chunk)
        buffer[:n] = chunk
        self._pos += n
        return n

    def readall(self) -> bytes:
        self._body.wait_sync()
        data = self._body.read_from(self._pos)
        self._pos += len(data)
        return data


class UnrecordedStream(io.RawIOBase):
    """``wsgi.input`` of a request with a body this library was told not to record."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        raise RuntimeError(
            "This request's body was not recorded for legacy code: body support is"
            " off (config['FLASKCOMPAT_BODY'] is False) or the endpoint uses"
            " @body_options(record=False). Read it with 'await request.starlette_request.body()'"
            " or turn recording back on."
        )


def _mimetype(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


@lru_cache(maxsize=512)
def _wants_preload(content_type: bytes, patterns: tuple[str, ...]) -> bool:
    mimetype = _mimetype(content_type)
    return bool(mimetype) and any(fnmatch.fnmatchcase(mimetype, p.lower()) for p in patterns)


def open_body(
    app: FlaskCompat,
    scope: Scope,
    receive: Receive,
    length: bytes | None,
    content_type: bytes,
) -> Body | None:
    """The recorder for a request that has a body, stored in the scope.

    The middleware reads the headers once for every request and calls this only
    when they announce a body: ``length`` is the ``Content-Length`` header, None
    for ``Transfer-Encoding`` (its length unknown). None when nothing records it.
    """
    try:
        declared = None if length is None else int(length)
    except ValueError:
        declared = None  # not a number: read as a body of unknown length
    config = app.config
    if not config.get("FLASKCOMPAT_BODY", True):
        return None
    match = match_route(scope)
    options: BodyOptions | None = getattr(
        getattr(match.route, "endpoint", None), _OPTIONS_ATTR, None
    )
    if options is not None and not options.record:
        return None
    preload: int | None = None
    if not match.full:
        pass  # no route (404) or a 405: nothing will read the body
    elif options is not None and options.preload is not None:
        preload = PRELOAD_ALL if options.preload else None
    else:
        max_size: int = config.get("FLASKCOMPAT_PRELOAD_MAX_SIZE", DEFAULT_PRELOAD_MAX_SIZE)
        if max_size <= 0:
            pass  # preloading turned off
        elif declared is not None:
            preload = max_size if declared <= max_size else None
        else:
            patterns: Iterable[str] | None = config.get("FLASKCOMPAT_PRELOAD_MIMETYPES")
            if patterns is None:
                patterns = DEFAULT_PRELOAD_MIMETYPES
            elif type(patterns) is not tuple:
                patterns = tuple(patterns)
            if _wants_preload(content_type, patterns):
                preload = max_size
    body = Body(
        receive,
        declared,
        config.get("MAX_CONTENT_LENGTH"),
        preload,
        content_type,
        config.get("FLASKCOMPAT_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT),
    )
    scope[BODY_KEY] = body
    return body
