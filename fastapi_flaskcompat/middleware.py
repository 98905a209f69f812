"""The one pure ASGI middleware: push contexts, run hooks, pop contexts.

Plain ``scope/receive/send``, never ``BaseHTTPMiddleware``: that one runs
the app in another task with a copied context, which breaks propagation.
"""

from __future__ import annotations

import typing as t

import anyio
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return
        compat = self.compat
        app_ctx = AppContext(compat)
        ctx = RequestContext(compat, scope, receive)
        app_token = _cv_app.set(app_ctx)
        request_token = _cv_request.set(ctx)
        error: BaseException | None = None
        try:
            if scope_type == "http":
                await self.handle_http(ctx, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                if compat._teardown_request_steps or compat._teardown_appcontext_steps:
                    # Teardown runs even when the request was cancelled.
                    with anyio.CancelScope(shield=True):
                        await compat.do_teardown_request(_teardown_error(error))
                        await compat.do_teardown_appcontext(_teardown_error(error))
            finally:
                _cv_request.reset(request_token)
                _cv_app.reset(app_token)

    async def handle_http(
        self, ctx: RequestContext, scope: Scope, receive: Receive, send: Send
    ) -> None:
        compat = self.compat
        responder = _Responder(ctx, send)
        try:
            try:
                rv = await compat.preprocess_request() if compat._before_steps else None
            except Exception as exc:
                handler = compat.find_exception_handler(exc)
                if handler is None:
                    raise
                request = StarletteRequest(scope, receive)
                response = await compat.call_exception_handler(handler, request, exc)
                await response(scope, receive, responder.send)
                return
            if rv is None:
                await self.app(scope, receive, responder.send)
            else:
                await compat.make_response(rv)(scope, receive, responder.send)
        except Exception as exc:
            if responder.started or compat.debug or getattr(compat.fastapi_app, "debug", False):
                raise
            await self.handle_exception(exc, scope, receive, responder)
            raise

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


def _teardown_error(error: BaseException | None) -> BaseException | None:
    # Teardown gets unhandled exceptions; a cancelled or disconnected request is not one.
    if error is None or isinstance(error, Exception):
        return error
    return None


class _Responder:
    """Wraps ``send`` to run after_request hooks once the response is known."""

    __slots__ = ("ctx", "discard", "pending", "send_downstream", "started")

    def __init__(self, ctx: RequestContext, send: Send) -> None:
        self.ctx = ctx
        self.send_downstream = send
        self.pending: Message | None = None
        self.started = False
        self.discard = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self.ctx.app._after_steps or self.ctx._after_request_functions:
                self.pending = message
                return
            self.started = True
            await self.send_downstream(message)
            return
        if self.pending is not None:
            await self.finish(message)
            return
        if not self.discard:
            await self.send_downstream(message)

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
