"""A Flask-HTTPAuth app: basic and token auth, each with a sync and an async callback."""

from __future__ import annotations

import time
import typing as t

import anyio
from flask import g, request
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

from ..harness import Route, Scenario

PASSWORDS = {"ann": "ann-pw", "bob": "bob-pw", **{f"u{i}": f"u{i}-pw" for i in range(50)}}
TOKENS = {f"token-{user}": user for user in PASSWORDS}

basic = HTTPBasicAuth()
basic_async = HTTPBasicAuth(realm="async")
token = HTTPTokenAuth("Bearer")
token_async = HTTPTokenAuth("Bearer", realm="async")


@basic.verify_password
def verify_password(username: str, password: str) -> str | None:
    if username and PASSWORDS.get(username) == password:
        return username
    return None


@basic_async.verify_password
async def verify_password_async(username: str, password: str) -> str | None:
    await anyio.lowlevel.checkpoint()
    if username and PASSWORDS.get(username) == password:
        return username
    return None


@token.verify_token
def verify_token(value: str) -> str | None:
    return TOKENS.get(value)


@token_async.verify_token
async def verify_token_async(value: str) -> str | None:
    await anyio.lowlevel.checkpoint()
    return TOKENS.get(value)


@basic.login_required
def basic_view() -> t.Any:
    return {"user": basic.current_user(), "username": basic.username()}


@basic_async.login_required
def basic_async_view() -> t.Any:
    return {"user": basic_async.current_user()}


@token.login_required
def token_view() -> t.Any:
    return {"user": token.current_user()}


@token_async.login_required
def token_async_view() -> t.Any:
    return {"user": token_async.current_user()}


def _slow_whoami(auth: HTTPBasicAuth) -> t.Any:
    """Reads the user, lets other requests run, reads it again."""
    first = auth.current_user()
    time.sleep(0.005)
    header = request.authorization.username
    return {"first": first, "second": g.flask_httpauth_user, "header": header}


@basic.login_required
def slow_basic_view() -> t.Any:
    return _slow_whoami(basic)


@basic_async.login_required
def slow_basic_async_view() -> t.Any:
    return _slow_whoami(basic_async)


scenario = Scenario(
    import_name=__name__,
    routes=[
        Route("/basic", "basic", basic_view),
        Route("/basic-async", "basic_async", basic_async_view),
        Route("/token", "token", token_view),
        Route("/token-async", "token_async", token_async_view),
        Route("/slow-basic", "slow_basic", slow_basic_view),
        Route("/slow-basic-async", "slow_basic_async", slow_basic_async_view),
    ],
)
