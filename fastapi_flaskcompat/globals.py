"""The context variables and the proxies legacy code imports.

One ``ContextVar``, holding the active context object (mutable):
FastAPI runs sync code in a *copy* of the context, so a ``ContextVar.set()``
made there is lost, while a change to the shared object is seen by the
whole request.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .local import make_g_proxy, make_proxy

if TYPE_CHECKING:
    from .app import FlaskCompat
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .wrappers import Request

# Flask's own messages, so `except RuntimeError` guards and docs still apply.
_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""

# One variable for both context kinds: a request's RequestContext is its app
# context too, so a request sets one variable (Flask 3.2 merges them the same way).
_cv_app: ContextVar[AppContext | RequestContext] = ContextVar("fastapi_flaskcompat.ctx")
#: ``_cv_app.get``, bound once. CPython 3.11 compiles ``name.method()`` on an
#: imported name to a plain attribute load, which makes a new bound method on
#: every call (~150 CPU instructions): hot paths call these names instead.
_get_ctx = _cv_app.get


def _request_ctx() -> RequestContext | None:
    """The active request context, or None (an app context names the request it
    was pushed in, if any)."""
    ctx = _get_ctx(None)
    return None if ctx is None else ctx.request_ctx


g: _AppCtxGlobals = make_g_proxy(
    _cv_app, _no_app_msg, "A namespace for data during an application context."
)
current_app: FlaskCompat = make_proxy(
    _cv_app, "app", _no_app_msg, "current_app", "The FlaskCompat of the active app context."
)
request: Request = make_proxy(
    _cv_app, "request", _no_req_msg, "request", "The request being handled."
)
session: Any = make_proxy(_cv_app, "session", _no_req_msg, "session", "The request's session dict.")
