"""The one pure ASGI middleware: push contexts, run hooks, pop contexts.

Plain ``scope/receive/send``, never ``BaseHTTPMiddleware``: that one runs
the app in another task with a copied context, which breaks propagation.
"""

from __future__ import annotations

import contextlib
import typing as t
from collections.abc import Awaitable, Generator

import anyio
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .body import Body, BodyTooLarge, open_body
from .ctx import AppContext, RequestContext
from .globals import _cv_app, _cv_request
from .wrappers import Response

if t.TYPE_CHECKING:
    from .app import FlaskCompat


class FlaskCompatMiddleware:
    """Installed by ``FlaskCompat(app)``; not meant to be added by hand."""

    def __init__(self, app: ASGIApp, compat: FlaskCompat) -> None:
        self.app = app
        self.compat = compat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self.handle_websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        compat = self.compat
        # None unless the request has a body: then the app receives through the recorder.
        body = open_body(compat, scope, receive)
        if body is not None:
            receive = body.receive
        ctx = RequestContext(compat, scope, receive)
        app_token = _cv_app.set(AppContext(compat))
        request_token = _cv_request.set(ctx)
        responder = _Responder(ctx, send)
        error: Exception | None = None
        try:
            if body is not None and body.preload and await self.preload(body, scope, responder):
                return
            if not compat._before_steps or not await self.preprocess(scope, receive, responder):
                await self.app(scope, receive, responder.send)
        except Exception as exc:
            error = exc
            if not responder.started and not self.debug:
                await self.handle_exception(exc, scope, receive, responder)
            raise
        finally:
            try:
                if compat._has_teardown:
                    await self.teardown(error)
            finally:
                if body is not None:
                    body.close(ctx._request)
                _cv_request.reset(request_token)
                _cv_app.reset(app_token)

    async def handle_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """WebSockets get both contexts and teardown; Flask has no hooks for them."""
        compat = self.compat
        app_token = _cv_app.set(AppContext(compat))
        request_token = _cv_request.set(RequestContext(compat, scope, receive))
        error: Exception | None = None
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            error = exc
            raise
        finally:
            try:
                if compat._has_teardown:
                    await self.teardown(error)
            finally:
                _cv_request.reset(request_token)
                _cv_app.reset(app_token)

    @property
    def debug(self) -> bool:
        # Debug apps let Starlette's ServerErrorMiddleware render the traceback page.
        return self.compat.debug or bool(getattr(self.compat.fastapi_app, "debug", False))

    async def preload(self, body: Body, scope: Scope, responder: _Responder) -> bool:
        """Receive a body legacy code will parse, before any hook; True when the request
        ends here (413, or the client left mid-body and nobody is there to answer)."""
        try:
            return not await body.load()
        except BodyTooLarge as exc:
            await self.handle_user_exception(exc, scope, body.receive, responder)
            return True

    async def preprocess(self, scope: Scope, receive: Receive, responder: _Responder) -> bool:
        """Run before_request hooks; True when they produced the response."""
        try:
            rv = await self.compat.preprocess_request()
        except Exception as exc:
            await self.handle_user_exception(exc, scope, receive, responder)
            return True
        if rv is None:
            return False
        await self.compat.make_response(rv)(scope, receive, responder.send)
        return True

    async def handle_user_exception(
        self, exc: Exception, scope: Scope, receive: Receive, responder: _Responder
    ) -> None:
        """Answer with the app's FastAPI handler for ``exc``, as ExceptionMiddleware
        would had the hook run inside it; without one, ``exc`` is unhandled."""
        handler = self.compat.find_exception_handler(exc)
        if handler is None:
            raise exc
        request = StarletteRequest(scope, receive)
        response = await self.compat.call_exception_handler(handler, request, exc)
        await response(scope, receive, responder.send)

    async def teardown(self, error: Exception | None) -> None:
        """teardown_request then teardown_appcontext, even when the request is
        cancelled before or during them."""
        # The shield costs ~4 us on asyncio: skip it when no hook can suspend
        # (all are `nonblocking`), as nothing can be interrupted then.
        shield = self.compat._teardown_suspends
        with anyio.CancelScope(shield=True) if shield else contextlib.nullcontext():
            await self.compat.do_teardown_request(error)
            await self.compat.do_teardown_appcontext(error)

    async def handle_exception(
        self, exc: Exception, scope: Scope, receive: Receive, responder: _Responder
    ) -> None:
        """Flask's ``handle_exception``: the 500 handler sees ``g``, after_request
        runs on its response; the caller re-raises so the server logs it."""
        compat = self.compat
        responder.pending = None
        handler = compat.find_server_error_handler()
        if handler is None:
            response: t.Any = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            response = await compat.call_exception_handler(
                handler, StarletteRequest(scope, receive), exc
            )
        await response(scope, receive, responder.send)


class _Done:
    """An awaitable that is already finished."""

    def __await__(self) -> Generator[None, None, None]:
        return
        yield


_DONE = _Done()


class _Responder:
    """Wraps ``send`` to run after_request hooks once the response is known."""

    __slots__ = ("ctx", "discard", "pending", "send_downstream", "started")

    def __init__(self, ctx: RequestContext, send: Send) -> None:
        self.ctx = ctx
        self.send_downstream = send
        self.pending: Message | None = None
        self.started = False
        self.discard = False

    def send(self, message: Message) -> Awaitable[None]:
        # A plain function handing back the awaitable to await: no coroutine
        # of its own per ASGI message, on every request's hot path.
        if message["type"] == "http.response.start":
            if self.ctx.app._after_steps or self.ctx._after_request_functions:
                self.pending = message
                return _DONE
            self.started = True
            return self.send_downstream(message)
        if self.pending is not None:
            return self.finish(message)
        if self.discard:
            return _DONE
        return self.send_downstream(message)

    async def finish(self, first: Message) -> None:
        """Run the hooks on the held-back start message plus the first body message."""
        start, self.pending = self.pending, None
        assert start is not None
        streaming = first["type"] != "http.response.body" or first.get("more_body", False)
        original = Response.from_asgi(start, None if streaming else first.get("body", b""))
        response = await self.ctx.app.process_response(original, self.ctx)
        self.started = True
        await self.send_downstream(response.asgi_start())
        if streaming and response is original:
            await self.send_downstream(first)
            return
        # A hook replaced the body (or the whole response): send ours, drop the app's.
        self.discard = streaming
        await response.send_body(self.send_downstream)
