"""Flask's request-local state (``g``, ``request``, ``current_app``, ``session``)
and request hooks, for FastAPI.

    from fastapi_flaskcompat import FlaskCompat, g, request, current_app

    compat = FlaskCompat(app)   # one line: installs one pure ASGI middleware
"""

from .app import FlaskCompat
from .blueprints import Blueprint
from .body import body_options
from .concurrency import nonblocking
from .config import Config
from .ctx import (
    AppContext,
    RequestContext,
    after_this_request,
    copy_current_app_context,
    copy_current_request_context,
    has_app_context,
    has_request_context,
)
from .globals import current_app, g, request, session
from .helpers import (
    abort,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from .json import jsonify
from .redis_session import RedisSessionInterface
from .templating import render_template, render_template_string
from .wrappers import Request, Response

__all__ = [
    "AppContext",
    "Blueprint",
    "Config",
    "FlaskCompat",
    "RedisSessionInterface",
    "Request",
    "RequestContext",
    "Response",
    "abort",
    "after_this_request",
    "body_options",
    "copy_current_app_context",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "nonblocking",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "session",
    "stream_with_context",
    "url_for",
]
