"""The one pure ASGI middleware: push contexts, run hooks, pop contexts.

Plain ``scope/receive/send``, never ``BaseHTTPMiddleware``: that one runs
the app in another task with a copied context, which breaks propagation.
"""

from __future__ import annotations

import asyncio
import time
import typing as t
from collections.abc import Awaitable, Generator

import anyio
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors, hooks, routing
from .blueprints import BlueprintRoute, run_blueprint_phase
from .body import open_body
from .ctx import RequestContext
from .globals import _get_ctx
from .wrappers import Response, StreamRelay, relay_if_wrapped

if t.TYPE_CHECKING:
    from .app import FlaskCompat


#: Seconds a cancelled request waits for its worker threads before teardown, and
#: the lifespan shutdown for requests to be torn down.
DEFAULT_TEARDOWN_WAIT = 30.0


class FlaskCompatMiddleware:
    """Installed by ``FlaskCompat(app)``; not meant to be added by hand."""

    def __init__(self, app: ASGIApp, compat: FlaskCompat) -> None:
        self.app = app
        self.compat = compat
        #: HTTP requests not yet torn down; the lifespan shutdown waits for them.
        self.in_flight = 0
        # Starlette builds the stack on the first request or the lifespan: routes
        # are declared by then, so blueprints included as routers register now.
        compat.register_included_blueprints()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self.handle_websocket(scope, receive, send)
            elif scope["type"] == "lifespan":
                await self.app(scope, self.lifespan_receive(receive), send)
            else:
                await self.app(scope, receive, send)
            return
        compat = self.compat
        # One pass over the headers, for what every request checks: is there a
        # body (then the app receives through its recorder), and the Host.
        length: bytes | None = None
        chunked = False
        content_type = b""
        host: bytes | None = None
        for name, value in scope["headers"]:
            if name in _HEAD_HEADERS:  # one set lookup per header
                if name == b"host":
                    host = value
                elif name == b"content-length":
                    length = value
                elif name == b"transfer-encoding":
                    chunked = True
                else:
                    content_type = value
        body = None
        if chunked or (length is not None and length != b"0"):
            body = open_body(compat, scope, receive, None if chunked else length, content_type)
            if body is not None:
                receive = body.receive
        # The request context, which also wraps `send` (one object per request).
        ctx = _Responder(compat, scope, receive)
        ctx.send_downstream = send
        ctx.pending = None
        ctx.started = False
        ctx.push()
        error: Exception | None = None
        cancelled = False
        self.in_flight += 1
        try:
            if compat.signalling:
                compat.signal("request_started")
            if body is not None and body.preload is not None and not await body.preload_body():
                return  # the client left mid-body: nobody is there to answer
            plan = compat.app_plan
            rv = None
            if plan.before or plan.url_value_preprocessors:
                rv = await self.preprocess(ctx)
            if rv is None:
                # Flask raises the URL adapter's error at dispatch: after before_request.
                host_error = routing.host_error(compat, scope, host)
                if host_error is not None:
                    raise host_error
                if scope["method"] == "OPTIONS" and self.answers_options(scope):
                    await self.answer_options(ctx)
                    return
                # A hook raised request.max_content_length over what stopped the preload.
                if body is not None and body.paused and not await body.preload_body():
                    return
                app = self.app  # a load, not a method call: quicker
                if scope["method"] == "HEAD" and self.serves_head_as_get(scope):
                    # Flask answers HEAD on every GET rule; FastAPI's routes 405 it.
                    # The app sees a GET (request.method stays HEAD), the server
                    # its HEAD, and no body goes out.
                    ctx.send_downstream = _without_body(send)
                    await app({**scope, "method": "GET"}, receive, ctx.send)
                    return
                await app(scope, receive, ctx.send)
            else:
                await self.send_response(compat.make_response(rv), ctx)
        except Exception as exc:
            error = exc  # for teardown, should the 500 path itself raise
            error = await self.handle_error(exc, ctx)
            if error is exc:
                raise
            if error is not None:
                if error is ctx.finalize_error:
                    raise error from None  # Starlette wrapped it: "response already started"
                raise error from exc  # an error handler failed
        except asyncio.CancelledError:
            cancelled = True  # asyncio only: trio's cancellation never abandons a thread
            raise
        finally:
            try:
                relay = ctx.relay
                if relay is not None:
                    await relay.aclose()
                if cancelled:
                    wait = compat.config.get("FLASKCOMPAT_TEARDOWN_WAIT", DEFAULT_TEARDOWN_WAIT)
                    await ctx.async_pop_cancelled(wait)
                elif not ctx.pop_if_idle():
                    await ctx.async_pop(error)
            finally:
                if body is not None:
                    body.close()
                self.in_flight -= 1

    def lifespan_receive(self, receive: Receive) -> Receive:
        """``receive`` of the lifespan scope: ``lifespan.shutdown`` reaches the app
        only once every request was torn down (at most ``FLASKCOMPAT_TEARDOWN_WAIT``
        seconds): servers leave the event loop once the app's shutdown is done,
        cancelling what still runs, teardowns of cancelled requests included."""

        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and self.in_flight:
                wait = self.compat.config.get("FLASKCOMPAT_TEARDOWN_WAIT", DEFAULT_TEARDOWN_WAIT)
                deadline = None if wait is None else time.monotonic() + wait
                while self.in_flight and (deadline is None or time.monotonic() < deadline):
                    await anyio.sleep(0.02)
            return message

        return lifespan_receive

    async def handle_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """WebSockets get both contexts and teardown; Flask has no hooks for them."""
        ctx = RequestContext(self.compat, scope, receive)
        ctx.push()
        error: Exception | None = None
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            error = exc
            raise
        finally:
            await ctx.async_pop(error)

    def answers_options(self, scope: Scope) -> bool:
        """Flask's automatic ``OPTIONS`` (``PROVIDE_AUTOMATIC_OPTIONS``): for a path
        some route serves, when no route there handles ``OPTIONS`` itself."""
        if not self.compat.config["PROVIDE_AUTOMATIC_OPTIONS"]:
            return False
        match = routing.match_route(scope)
        return match.route is not None and not match.full

    def serves_head_as_get(self, scope: Scope) -> bool:
        """Whether a ``HEAD`` matched a GET route (as Werkzeug's rules do) that
        does not take ``HEAD`` itself (FastAPI's routes would 405 it)."""
        match = routing.match_route(scope)
        return match.full and "HEAD" not in (getattr(match.route, "methods", None) or ("HEAD",))

    async def answer_options(self, ctx: _Responder) -> None:
        """The automatic ``OPTIONS`` answer. Flask dispatches it to the matched
        rule, so a blueprint's route runs that blueprint's before_request first."""
        route = routing.match_route(ctx.scope).route
        rv = None
        if isinstance(route, BlueprintRoute):
            rv = await run_blueprint_phase(ctx, route)
        compat = self.compat
        response = (
            compat.make_default_options_response() if rv is None else compat.make_response(rv)
        )
        await self.send_response(response, ctx)

    async def preprocess(self, ctx: RequestContext) -> t.Any:
        """The app's url_value_preprocessors and before_request hooks; the first
        value a hook returns, or None.

        Blueprints' run once the router picked their route, except when a
        blueprint has a url_value_preprocessor and the app a before_request hook:
        Flask runs all preprocessors first, so then the whole phase runs here,
        for the route matched ahead of the router."""
        compat = self.compat
        if compat.prematch:
            plan = ctx.plan
            ctx.blueprint_phase_done = True
            uvps = plan.url_value_preprocessors + plan.blueprint_url_value_preprocessors
            before = plan.before + plan.blueprint_before
        else:
            plan = compat.app_plan
            uvps, before = plan.url_value_preprocessors, plan.before
        if uvps:
            req = ctx.request
            await hooks.run_each(uvps, req.endpoint, req.view_args)
        return await hooks.run_until_value(before)

    async def handle_error(self, exc: Exception, ctx: _Responder) -> Exception | None:
        """Flask's ``handle_user_exception`` then ``handle_exception``: None when a
        handler answered ``exc`` (no error for teardown), else the unhandled error,
        after the 500 response went out."""
        if ctx.started:
            return exc
        if ctx.finalize_error is not None:
            # Flask answers an after_request error with the 500 path only; Starlette
            # may have wrapped it on the way ("response already started").
            exc = ctx.finalize_error
        elif exc is not ctx.handler_error:
            # Reached by exceptions from hooks (which run outside FastAPI) and by
            # those FastAPI let through; an error raised by a handler is unhandled.
            try:
                response = await errors.respond(self.compat, _starlette_request(ctx), exc)
            except Exception as handler_error:
                exc = handler_error
            else:
                if response is not None:
                    await self.send_response(response, ctx)
                    return None
        await self.handle_exception(exc, ctx)
        return exc

    async def handle_exception(self, exc: Exception, ctx: _Responder) -> None:
        """Flask's ``handle_exception``: the 500 handler sees ``g``, after_request
        runs on its response (its errors logged, as Flask's ``from_error_handler``);
        the caller re-raises so the server logs the exception."""
        ctx.pending = None
        ctx.from_error_handler = True
        request = _starlette_request(ctx)
        response = await errors.handle_exception(self.compat, request, exc)
        if response is not None:
            await self.send_response(response, ctx)

    async def send_response(self, response: t.Any, ctx: _Responder) -> None:
        await response(ctx.scope, ctx.receive, ctx.send)


_HEAD_HEADERS = frozenset((b"host", b"content-length", b"transfer-encoding", b"content-type"))


class _Done:
    """An awaitable that is already finished."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield


_DONE = _Done()


def _without_body(send: Send) -> Send:
    """``send`` for a ``HEAD`` answered as a ``GET``: the headers, no body bytes."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        await send(message)

    return send_head


def _drop(message: Message) -> Awaitable[None]:
    """``send`` for the app's body of a response a hook replaced."""
    return _DONE


class _Responder(RequestContext):
    """The request context the middleware pushes, which also wraps ``send`` to run
    after_request hooks once the response is known. One object, not two: each
    costs ~3.5k instructions to make, on every request. The middleware fills
    its slots before the push."""

    __slots__ = ("pending", "send_downstream", "started")

    #: The server's ``send``; :func:`_drop` once a hook replaced a streamed
    #: response (the app's body is then dropped).
    send_downstream: Send
    pending: Message | None
    started: bool
    # Rarely set, so class defaults: a slot would cost every request a store.
    #: Set on the 500 path (after_request errors are then logged).
    from_error_handler = False
    #: An error raised by after_request: Flask answers it with the 500 path only.
    finalize_error: Exception | None = None
    #: Set when a hook wrapped the app's streamed body; closed before the pop.
    relay: StreamRelay | None = None

    def send(self, message: Message) -> Awaitable[None]:
        # A plain function handing back the awaitable to await: no coroutine
        # of its own per ASGI message, on every request's hot path.
        if message["type"] == "http.response.start":
            if self.needs_response():
                if _streams(message):
                    # Flask runs after_request before a streamed body's first
                    # step: do not wait for the app's first chunk.
                    return self.finish_streaming(message)
                self.pending = message
                return _DONE
            self.started = True
            downstream = self.send_downstream  # a load, not a method call: quicker
            return downstream(message)
        if self.pending is not None:
            return self.finish(message)
        downstream = self.send_downstream
        return downstream(message)

    async def finish(self, first: Message) -> None:
        """Run the hooks on the held-back start message plus the first body message."""
        start, self.pending = self.pending, None
        assert start is not None
        streaming = first["type"] != "http.response.body" or first.get("more_body", False)
        original = self.app.response_class.from_asgi(
            start, None if streaming else first.get("body", b"")
        )
        response = await self.process(original)
        self.started = True
        await self.send_downstream(response.asgi_start())
        if streaming and response is original:
            await self.send_downstream(first)
            return
        # A hook replaced the body (or the whole response): send ours, drop the app's.
        downstream = self.send_downstream
        if streaming:
            self.send_downstream = _drop
        await response.send_body(downstream)

    async def finish_streaming(self, start: Message) -> None:
        """Run the hooks on the start message of a streamed response."""
        original = self.app.response_class.from_asgi(start, None)
        pending = original.response
        response = await self.process(original)
        self.started = True
        await self.send_downstream(response.asgi_start())
        if response is not original:
            # A hook replaced the response: send its body, drop the app's.
            downstream, self.send_downstream = self.send_downstream, _drop
            await response.send_body(downstream)
            return
        # A hook wrapped the app's stream (Flask-Compress) or replaced its body:
        # the app's chunks go through what the hook put there.
        relay = relay_if_wrapped(response, pending)
        if relay is not None:
            self.relay = relay
            self.send_downstream = relay.send_through(self.send_downstream)

    async def process(self, response: Response) -> Response:
        # Every middleware's hooks run in its own contexts: a mounted app's
        # FlaskCompat has its own bound while it sends through ours.
        tokens = self.enter() if _get_ctx(None) is not self else None
        try:
            return await self.app.process_response(response, self)
        except Exception as exc:
            if not self.from_error_handler:
                self.finalize_error = exc
                raise
            self.app.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
            return response
        finally:
            if tokens is not None:
                self.exit(tokens)


def _streams(start: Message) -> bool:
    """Whether a response streams, from its start message: no Content-Length,
    although its status has a body (Starlette and Werkzeug set one on every
    buffered body). Otherwise the first body message tells."""
    status: int = start["status"]
    if status < 200 or status in (204, 304):
        return False
    return all(name != b"content-length" for name, _ in start["headers"])


def _starlette_request(ctx: RequestContext) -> StarletteRequest:
    return StarletteRequest(ctx.scope, t.cast(Receive, ctx.receive))
