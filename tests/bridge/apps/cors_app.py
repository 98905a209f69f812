"""A Flask-CORS app: CORS on /api/* for one origin, a view-level ``cross_origin``."""

from __future__ import annotations

import typing as t

from flask import abort, request
from flask_cors import CORS, cross_origin

from ..harness import Route, Scenario

ALLOWED = "https://app.example"


def init_app(app: t.Any) -> None:
    CORS(
        app,
        resources={r"/api/*": {"origins": [ALLOWED]}},
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


scenario = Scenario(
    import_name=__name__,
    init_app=init_app,
    routes=[
        Route("/api/data", "data", data, ("GET", "POST")),
        Route("/api/forbidden", "forbidden", forbidden),
        Route("/public", "public", public),
        Route("/open", "open_view", open_view, ("GET", "PUT")),
    ],
)
