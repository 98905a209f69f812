"""Behind a reverse proxy: trusting its forwarding headers is configured outside
this library, as Flask's is outside Flask (Werkzeug's ``ProxyFix``). An ASGI
middleware outside ours rewrites the scope — hypercorn's ``ProxyFixMiddleware``
(ProxyFix's counterpart: ``X-Forwarded-For``/``-Proto``/``-Host``, a number of
trusted hops) or uvicorn's ``ProxyHeadersMiddleware`` (trusted proxy
addresses) — and ``request`` and ``url_for`` then give what Flask behind
``ProxyFix`` gives, in the hooks too."""

from __future__ import annotations

import typing as t

import flask
import httpx
import pytest
from fastapi import FastAPI
from hypercorn.middleware import ProxyFixMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from fastapi_flaskcompat import FlaskCompat, g, request, url_for

pytestmark = pytest.mark.anyio

FORWARDED = {
    "X-Forwarded-For": "198.51.100.9, 203.0.113.7",  # the client, then a hop the proxy added
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example",
}


def seen(endpoint: str) -> dict[str, t.Any]:
    """What legacy helpers read about the client (the same code under both)."""
    return {
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "host": request.host,
        "url_root": request.url_root,
        "external": url_for(endpoint, _external=True),
        "in_hook": g.remote_addr,
    }


def flask_behind_proxyfix() -> t.Any:
    app = flask.Flask(__name__)
    app.config["TRUSTED_HOSTS"] = ["shop.example"]

    @app.before_request
    def remember() -> None:
        flask.g.remote_addr = flask.request.remote_addr

    @app.get("/where")
    def where() -> t.Any:
        return {
            "remote_addr": flask.request.remote_addr,
            "scheme": flask.request.scheme,
            "host": flask.request.host,
            "url_root": flask.request.url_root,
            "external": flask.url_for("where", _external=True),
            "in_hook": flask.g.remote_addr,
        }

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    return app


def ported() -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app, config={"TRUSTED_HOSTS": ["shop.example"]})

    @compat.before_request
    def remember() -> None:
        g.remote_addr = request.remote_addr

    @app.get("/where")
    async def where() -> dict[str, t.Any]:
        return seen("where")

    return app


async def get(app: t.Any, client: str, headers: dict[str, str]) -> dict[str, t.Any]:
    transport = httpx.ASGITransport(app=app, client=(client, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as http:
        response = await http.get("/where", headers=headers)
    assert response.status_code == 200, response.text
    return t.cast(dict[str, t.Any], response.json())


async def test_hypercorn_proxyfix_gives_what_werkzeug_proxyfix_gives_flask() -> None:
    with httpx.Client(
        transport=httpx.WSGITransport(app=flask_behind_proxyfix(), remote_addr="10.0.0.2"),
        base_url="http://10.0.0.5:8000",
    ) as http:
        expected = http.get("/where", headers=FORWARDED).json()
    app = ProxyFixMiddleware(ported(), mode="legacy", trusted_hops=1)
    assert await get(app, "10.0.0.2", FORWARDED) == expected
    assert expected == {
        "remote_addr": "203.0.113.7",
        "scheme": "https",
        "host": "shop.example",
        "url_root": "https://shop.example/",
        "external": "https://shop.example/where",
        "in_hook": "203.0.113.7",
    }


async def test_uvicorn_proxy_headers_trust_only_the_proxys_address() -> None:
    app = ported()
    # Added after FlaskCompat(app): outside its middleware, so hooks see the rewrite.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=["10.0.0.2"])
    # uvicorn's has no X-Forwarded-Host: the proxy passes the Host on (nginx: proxy_set_header).
    forwarded = {"X-Forwarded-For": "203.0.113.7", "Host": "shop.example"}
    via_proxy = await get(app, "10.0.0.2", forwarded)
    assert (via_proxy["remote_addr"], via_proxy["in_hook"]) == ("203.0.113.7", "203.0.113.7")
    # The same header from anybody else is ignored (and the Host is still checked).
    direct = await get(
        app, "192.0.2.44", {"X-Forwarded-For": "203.0.113.7", "Host": "shop.example"}
    )
    assert (direct["remote_addr"], direct["in_hook"]) == ("192.0.2.44", "192.0.2.44")
