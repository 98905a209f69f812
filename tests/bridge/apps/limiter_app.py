"""A Flask-Limiter app: a default limit, a tighter per-route one, an exempt route."""

from __future__ import annotations

import time
import typing as t

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ..harness import Route, Scenario

limiter = Limiter(
    get_remote_address,
    default_limits=["3 per minute"],
    storage_uri="memory://",
    headers_enabled=True,
)


def init_app(app: t.Any) -> None:
    # A fresh in-memory storage per app: init_app builds it.
    limiter.init_app(app)


@limiter.limit("2 per minute")
def tight() -> t.Any:
    return {"tight": request.endpoint}


def default() -> t.Any:
    return {"default": request.endpoint}


@limiter.exempt
def free() -> t.Any:
    return {"free": True}


@limiter.limit("1 per minute", key_func=lambda: request.args.get("key", ""))
def keyed() -> t.Any:
    return {"key": request.args.get("key")}


def client_address() -> str:
    """The client as the proxy in front of the app names it."""
    return request.headers.get("X-Forwarded-For") or get_remote_address()


def limit_for(address: str) -> int:
    """Each client its own allowance: ``10.0.0.<n>`` may make ``n % 4 + 1`` requests."""
    return int(address.rpartition(".")[2]) % 4 + 1


@limiter.limit(lambda: f"{limit_for(client_address())} per minute", key_func=client_address)
def per_client() -> t.Any:
    """Lets other requests run between the limit check and the response headers."""
    time.sleep(0.003)
    return {"client": client_address()}


scenario = Scenario(
    import_name=__name__,
    init_app=init_app,
    routes=[
        Route("/tight", "tight", tight),
        Route("/default", "default", default),
        Route("/free", "free", free),
        Route("/keyed", "keyed", keyed),
        Route("/per-client", "per_client", per_client),
    ],
)
