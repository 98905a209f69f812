"""Hosts and clients as in Flask 3.1 (SPEC: Request): ``TRUSTED_HOSTS``, a Host
that is no hostname, ``SERVER_NAME`` and forwarding headers, each scenario run
on a ``flask.Flask`` app and on FastAPI + FlaskCompat.

The issue 11 reproductions (tests/reliability) cover the 400 itself; these
cover where it comes from and what links are built on.
"""

from __future__ import annotations

import typing as t

import flask
import httpx
import pytest
from fastapi import FastAPI

import fastapi_flaskcompat
from fastapi_flaskcompat import FlaskCompat

pytestmark = pytest.mark.anyio


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("10.0.0.7", 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


def _apps(
    config: dict[str, t.Any], install: t.Callable[[t.Any, t.Any], None]
) -> tuple[flask.Flask, FastAPI]:
    flask_app = flask.Flask("hosts")
    flask_app.config.update(config)
    install(flask_app, flask)
    app = FastAPI()
    compat = FlaskCompat(app, config=config)
    install(compat, fastapi_flaskcompat)

    def view() -> dict[str, t.Any]:
        req = fastapi_flaskcompat.request
        return {
            "host": req.host,
            "link": fastapi_flaskcompat.url_for("view", _external=True),
            "secure_link": fastapi_flaskcompat.url_for("view", _external=True, _scheme="https"),
            "remote_addr": req.remote_addr,
        }

    def flask_view() -> t.Any:
        req = flask.request
        return {
            "host": req.host,
            "link": flask.url_for("view", _external=True),
            "secure_link": flask.url_for("view", _external=True, _scheme="https"),
            "remote_addr": req.remote_addr,
        }

    flask_app.add_url_rule("/view", "view", flask_view)
    app.add_api_route("/view", view, name="view")
    return flask_app, app


async def _both(
    flask_app: flask.Flask, app: FastAPI, headers: dict[str, str]
) -> tuple[tuple[int, t.Any], tuple[int, t.Any]]:
    theirs = flask_app.test_client().get(
        "/view", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.7"}
    )
    async with _client(app) as c:
        ours = await c.get("/view", headers=headers)
    return (
        (theirs.status_code, theirs.get_json() if theirs.is_json else theirs.get_data(True)[:40]),
        (ours.status_code, ours.json() if "json" in ours.headers["content-type"] else None),
    )


async def test_untrusted_host_read_in_before_request_goes_to_the_400_handler() -> None:
    events: list[str] = []

    def install(app: t.Any, api: t.Any) -> None:
        @app.before_request
        def read_host() -> None:
            try:
                events.append(api.request.host)
            except Exception as e:
                events.append(type(e).__name__)
                raise

        @app.errorhandler(400)
        def bad_request(e: t.Any) -> t.Any:
            return {"handler": type(e).__name__}, 400

    flask_app, app = _apps({"TRUSTED_HOSTS": ["good.com"]}, install)
    theirs, ours = await _both(flask_app, app, {"Host": "evil.com"})
    assert theirs == (400, {"handler": "SecurityError"})
    assert ours == theirs
    assert events == ["SecurityError", "SecurityError"]


@pytest.mark.parametrize("host", ["evil.com", "h" * 64 + ".com", "canon.com"])
async def test_with_server_name_links_use_it_whatever_the_host(host: str) -> None:
    # Flask binds the URL adapter to SERVER_NAME: no link is built on the Host
    # header, and a Host that is no hostname is not rejected.
    flask_app, app = _apps({"SERVER_NAME": "Canon.com:80"}, lambda app, api: None)
    theirs, ours = await _both(flask_app, app, {"Host": host})
    assert theirs[0] == 200 and theirs[1]["link"] == "http://canon.com/view"
    assert ours == theirs


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "1.2.3.4"},
        {"X-Real-IP": "1.2.3.4"},
        {"Forwarded": "for=1.2.3.4;proto=https"},
        {"X-Forwarded-For": "1.2.3.4, 5.6.7.8", "X-Forwarded-Proto": "https"},
    ],
    ids=["x-forwarded-for", "x-real-ip", "forwarded", "x-forwarded-for-and-proto"],
)
async def test_remote_addr_ignores_forwarding_headers(header: dict[str, str]) -> None:
    # Trusting them is the user's choice (Werkzeug's ProxyFix, the server's proxy settings).
    flask_app, app = _apps({}, lambda app, api: None)
    theirs, ours = await _both(flask_app, app, {"Host": "t.com", **header})
    assert theirs[1]["remote_addr"] == "10.0.0.7"
    assert theirs[1]["link"] == "http://t.com/view"
    assert ours == theirs
