"""A Flask-CORS app: CORS on /api/* for one origin, a view-level ``cross_origin``."""

from __future__ import annotations

import re
import time
import typing as t

from flask import abort, request
from flask_cors import CORS, cross_origin

from ..harness import Route, Scenario

ALLOWED = "https://app.example"
#: /tenants/*: any ``https://t<n>.example``, so concurrent clients each have an allowed origin.
TENANTS = re.compile(r"https://t\d+\.example$")


def init_app(app: t.Any) -> None:
    CORS(
        app,
        resources={r"/api/*": {"origins": [ALLOWED]}, r"/tenants/*": {"origins": [TENANTS]}},
        expose_headers=["X-Total"],
        max_age=600,
        supports_credentials=True,
    )


def data() -> t.Any:
    return {"method": request.method}, 200, {"X-Total": "3"}


def forbidden() -> t.Any:
    abort(403)


def public() -> t.Any:
    return {"public": True}


@cross_origin(origins="*", methods=["GET", "PUT"])
def open_view() -> t.Any:
    return {"open": request.method}


def tenant_echo() -> t.Any:
    """Lets other requests run, then says which Origin it was sent."""
    time.sleep(0.005)
    return {"origin": request.headers.get("Origin"), "method": request.method}


scenario = Scenario(
    import_name=__name__,
    init_app=init_app,
    routes=[
        Route("/api/data", "data", data, ("GET", "POST")),
        Route("/api/forbidden", "forbidden", forbidden),
        Route("/public", "public", public),
        Route("/open", "open_view", open_view, ("GET", "PUT")),
        Route("/tenants/echo", "tenant_echo", tenant_echo, ("GET", "POST")),
    ],
)
