"""Defects found by the stress harness beyond the eight of issue 11.

Each fails on the code it was found on; each docstring says how it was
found and what the expected answer is based on (Flask 3.1 or the SPEC).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import typing as t

import anyio
import anyio.to_thread
import flask
import httpx
import pytest
from fastapi import FastAPI
from werkzeug.serving import make_server

from fastapi_flaskcompat import FlaskCompat, request, url_for

pytestmark = pytest.mark.anyio


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def call(app: FastAPI, query: bytes) -> tuple[int, bytes]:
    """One hand-made ASGI cycle with ``query`` as the server received it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/search",
        "raw_path": b"/search",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"t")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    out: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        out.append(message)

    with contextlib.suppress(Exception):  # re-raised for the server after the 500 went out
        await app(scope, receive, send)
    status = next(m["status"] for m in out if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")


async def test_new_defect_raw_non_utf8_query_bytes_are_a_500() -> None:
    """Found by the hypothesis property test (test_request_properties.py).

    ASGI hands the query string over as the server received it; a server that
    does not reject non-ASCII request targets passes ``b"q=\\xe9"``.
    ``request.args`` (and ``values``, ``full_path``) then raise
    ``UnicodeDecodeError``: a 500 where a legacy search helper reads
    ``request.args``. The expected answer is Flask's under Werkzeug's own
    server, measured here on the wire: it reads the target's bytes as latin-1
    characters and UTF-8 encodes them for the environ, so ``q`` is ``"é"``.
    (This test first assumed Werkzeug percent-encodes such bytes, giving
    ``"%E9"``; it does not, see ``werkzeug.serving.make_environ``.)
    """
    app = FastAPI()
    FlaskCompat(app)

    @app.get("/search")
    def search() -> dict[str, t.Any]:
        return {"args": request.args.to_dict(flat=False), "full_path": request.full_path}

    flask_app = flask.Flask("search")

    @flask_app.route("/search")
    def flask_search() -> t.Any:
        return {
            "args": flask.request.args.to_dict(flat=False),
            "full_path": flask.request.full_path,
        }

    raw = b"q=\xe9&page=2"
    theirs = await anyio.to_thread.run_sync(_werkzeug_server_get, flask_app, b"/search?" + raw)
    status, body = await call(app, raw)
    assert theirs == (
        200,
        {"args": {"q": ["\u00e9"], "page": ["2"]}, "full_path": "/search?q=\u00e9&page=2"},
    )
    assert (status, json.loads(body)) == theirs


def _werkzeug_server_get(flask_app: flask.Flask, target: bytes) -> tuple[int, t.Any]:
    """``GET target`` with the target's bytes as they are, to ``flask_app`` under
    Werkzeug's development server on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, flask_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as conn:
            conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
    finally:
        server.shutdown()
        thread.join(5)
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize("silent", [False, True])
async def test_new_defect_deeply_nested_json_is_a_500(silent: bool) -> None:
    """Found by the bad-input table (benchmarks/stress/badinput.py).

    ``[[[...]]]`` nested 100,000 deep: ``json.loads`` raises ``RecursionError``,
    which is not a ``ValueError``, so it escapes ``get_json()`` — even
    ``get_json(silent=True)``, documented to return None for what it cannot
    parse — and the request is a 500. Flask 3.1 has the same flaw; the SPEC's
    rule ("Bad input gets Flask's answer, not a 500: invalid JSON → 400, or
    None with silent=True") gives 400 / None.
    """
    app = FastAPI()
    FlaskCompat(app)

    @app.post("/import")
    def import_() -> dict[str, t.Any]:
        return {"json": request.get_json(silent=silent)}

    body = b"[" * 100_000 + b"]" * 100_000
    async with client(app) as c:
        r = await c.post("/import", content=body, headers={"Content-Type": "application/json"})
    if silent:
        assert (r.status_code, r.text) == (200, '{"json":null}')
    else:
        assert r.status_code == 400


@pytest.mark.parametrize("host", ["h" * 64 + ".example.com", "x" * 2000])
async def test_new_defect_host_that_is_no_hostname_is_accepted(host: str) -> None:
    """Found by the bad-input table: Flask 3.1 answers 400 for a Host whose label
    is longer than 63 characters (Werkzeug cannot IDNA-encode it when binding
    the URL adapter); ours answers 200 and ``url_for(..., _external=True)``
    builds a link on it."""
    flask_app = flask.Flask("hosts")
    flask_app.add_url_rule("/link", "link", lambda: {"link": flask.url_for("link", _external=True)})
    theirs = flask_app.test_client().get("/link", headers={"Host": host})

    app = FastAPI()
    FlaskCompat(app)

    @app.get("/link", name="link")
    def link() -> dict[str, str]:
        return {"link": url_for("link", _external=True)}

    async with client(app) as c:
        ours = await c.get("/link", headers={"Host": host})
    assert theirs.status_code == 400
    assert ours.status_code == theirs.status_code
