"""Limits and bad input: Flask's answers, never a 500, a hang or unbounded memory."""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
import typing as t

import anyio
import flask
import httpx
import pytest
from fastapi import Body, FastAPI
from starlette.requests import Request as StarletteRequest
from support import Exchange, body_messages, http_scope

from fastapi_flaskcompat import FlaskCompat, request
from fastapi_flaskcompat.body import DEFAULT_PRELOAD_MAX_SIZE, SPOOL_SIZE

pytestmark = pytest.mark.anyio

LIMIT = 256 * 1024
CHUNK = 16 * 1024


def make_app(config: dict[str, t.Any] | None = None) -> tuple[FastAPI, list[t.Any]]:
    app = FastAPI()
    compat = FlaskCompat(app, config={"MAX_CONTENT_LENGTH": LIMIT, **(config or {})})
    teardowns: list[t.Any] = []

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        teardowns.append(exc)

    @app.post("/json")
    async def json_view() -> t.Any:
        return request.get_json()

    @app.post("/legacy")
    def legacy_view() -> t.Any:
        return len(request.get_data())

    @app.post("/param")
    async def param_view(raw: bytes = Body(media_type="application/octet-stream")) -> t.Any:
        return len(raw)

    @app.post("/stream")
    async def stream_view(req: StarletteRequest) -> t.Any:
        n = 0
        async for chunk in req.stream():
            n += len(chunk)
        return n

    return app, teardowns


async def endless() -> t.AsyncIterator[dict[str, t.Any]]:
    while True:
        yield {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}


PATHS = [("/json", "application/json")] + [
    (path, "application/octet-stream") for path in ("/legacy", "/param", "/stream")
]


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_content_length_over_limit_is_413_before_reading(
    path: str, content_type: str
) -> None:
    app, teardowns = make_app()
    exchange = Exchange(endless())
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % (LIMIT + 1))]
    await exchange.run(app, http_scope(path, headers))
    assert exchange.status == 413
    assert exchange.received == 0
    assert teardowns == [None]


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_chunked_body_over_limit_is_413_once_counted(path: str, content_type: str) -> None:
    app, teardowns = make_app()
    exchange = Exchange(endless())
    headers = [(b"content-type", content_type.encode()), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope(path, headers))
    assert exchange.status == 413
    # Stopped right after the limit: nothing past it was read.
    assert exchange.received == LIMIT // CHUNK + 1
    assert teardowns == [None]


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_under_the_limit_passes(path: str, content_type: str) -> None:
    app, _ = make_app()
    data = b'"' + b"x" * (LIMIT - 2) + b'"'
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(path, content=data, headers={"Content-Type": content_type})
    assert r.status_code == 200
    assert r.json() == ("x" * (LIMIT - 2) if path == "/json" else LIMIT)


async def test_413_response_is_flasks() -> None:
    flask_app = flask.Flask(__name__)
    flask_app.config["MAX_CONTENT_LENGTH"] = 10

    @flask_app.post("/legacy")
    def view() -> t.Any:
        return str(len(flask.request.get_data()))

    expected = flask_app.test_client().post("/legacy", data=b"x" * 11)
    app, _ = make_app({"MAX_CONTENT_LENGTH": 10})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post("/legacy", content=b"x" * 11)
    assert (r.status_code, r.text) == (expected.status_code, expected.text)
    assert r.headers["content-type"] == expected.headers["Content-Type"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("application/json", b"{nope"), ("text/plain", b'{"a": 1}'), ("application/json", b"")],
)
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_json_errors_are_flasks_responses(content_type: str, data: bytes, kind: str) -> None:
    flask_app = flask.Flask(__name__)

    @flask_app.post("/")
    def flask_view() -> t.Any:
        return flask.jsonify(flask.request.json)

    expected = flask_app.test_client().post("/", data=data, headers={"Content-Type": content_type})
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MIMETYPES": ["application/json", "text/plain"]})
    if kind == "async":

        @app.post("/")
        async def view() -> t.Any:
            return request.json
    else:

        @app.post("/")
        def view() -> t.Any:
            return request.json

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post("/", content=data, headers={"Content-Type": content_type})
    assert expected.status_code in (400, 415)
    assert (r.status_code, r.text) == (expected.status_code, expected.text)


# -- the limit in force when the body is read -------------------------------------


def limit_app(new_limit: int | None) -> tuple[FastAPI, list[t.Any]]:
    """make_app, with a before_request hook setting request.max_content_length."""
    app, teardowns = make_app()
    compat = app.state.flaskcompat

    @compat.before_request
    def set_limit() -> None:
        request.max_content_length = new_limit

    return app, teardowns


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_chunked_body_under_a_limit_raised_by_a_hook_passes(
    path: str, content_type: str
) -> None:
    # Over the config's limit while preloading, under the request's when read.
    app, _ = limit_app(4 * LIMIT)
    data = b'"' + b"x" * (2 * LIMIT) + b'"'
    exchange = Exchange(body_messages(data, CHUNK))
    headers = [(b"content-type", content_type.encode()), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope(path, headers))
    assert exchange.status == 200
    assert json.loads(exchange.body) == ("x" * 2 * LIMIT if path == "/json" else len(data))


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_chunked_body_over_a_limit_raised_by_a_hook_stops_there(
    path: str, content_type: str
) -> None:
    app, teardowns = limit_app(2 * LIMIT)
    exchange = Exchange(endless())
    headers = [(b"content-type", content_type.encode()), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope(path, headers))
    assert exchange.status == 413
    # Nothing past the request's limit was received (the chunk that crossed it).
    assert exchange.received == 2 * LIMIT // CHUNK + 1
    assert teardowns == [None]


@pytest.mark.parametrize(("path", "content_type"), PATHS)
async def test_preloaded_body_over_a_limit_lowered_by_a_hook_is_413(
    path: str, content_type: str
) -> None:
    app, teardowns = limit_app(1000)
    data = b'"' + b"x" * 5000 + b'"'
    exchange = Exchange(body_messages(data, CHUNK))
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(data))]
    await exchange.run(app, http_scope(path, headers))
    assert exchange.status == 413
    assert teardowns == [None]


# -- a client that stops sending -------------------------------------------------


async def stalled() -> t.AsyncIterator[dict[str, t.Any]]:
    yield {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
    await anyio.sleep(4)  # the client sends nothing more (then leaves: a 400 without the timeout)
    yield {"type": "http.disconnect"}


@pytest.mark.parametrize("timeout", [0.2, 0.6])
async def test_sync_read_of_a_stalled_body_gives_408_after_the_configured_timeout(
    timeout: float,
) -> None:
    # Over the preload bound, so a worker thread waits: it must not wait forever.
    app, teardowns = make_app({"MAX_CONTENT_LENGTH": None, "FLASKCOMPAT_BODY_TIMEOUT": timeout})
    exchange = Exchange(stalled())
    size = 2 * DEFAULT_PRELOAD_MAX_SIZE
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", b"%d" % size)]
    started = time.monotonic()
    await exchange.run(app, http_scope("/legacy", headers))
    elapsed = time.monotonic() - started
    assert exchange.status == 408  # Werkzeug's RequestTimeout
    assert timeout <= elapsed < timeout + 1.5
    assert teardowns == [None]


# -- a client that leaves mid-body ---------------------------------------------


async def half_then_gone() -> t.AsyncIterator[dict[str, t.Any]]:
    yield {"type": "http.request", "body": b'{"a": ', "more_body": True}
    yield {"type": "http.disconnect"}


async def test_disconnect_during_preload_ends_the_request_and_runs_teardown() -> None:
    app, teardowns = make_app()
    exchange = Exchange(half_then_gone())
    headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
    await exchange.run(app, http_scope("/json", headers))
    assert exchange.status is None  # nobody left to answer
    assert teardowns == [None]


async def test_disconnect_while_legacy_code_reads_is_werkzeugs_client_disconnected() -> None:
    app, teardowns = make_app()
    exchange = Exchange(half_then_gone())
    headers = [(b"content-type", b"application/octet-stream"), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope("/legacy", headers))
    assert exchange.status == 400  # ClientDisconnected, a BadRequest, as under Werkzeug
    assert teardowns == [None]


# -- memory stays bounded -------------------------------------------------------


async def test_large_multipart_upload_keeps_memory_bounded() -> None:
    blocks = 10 * SPOOL_SIZE // (64 * 1024)
    app = FastAPI()
    FlaskCompat(app)

    @app.post("/upload")
    def upload() -> t.Any:
        f = request.files["file"]
        digest = hashlib.sha256()
        while chunk := f.stream.read(64 * 1024):
            digest.update(chunk)
        return [request.form["note"], f.filename, digest.hexdigest()]

    head = (
        b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    tail = b"\r\n--b--\r\n"

    def block(i: int) -> bytes:
        # A fresh 64 KiB object per message, as a server's reads are.
        return i.to_bytes(2, "big") * (32 * 1024)

    expected = hashlib.sha256()
    for i in range(blocks):
        expected.update(block(i))

    async def messages() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": head, "more_body": True}
        for i in range(blocks):
            yield {"type": "http.request", "body": block(i), "more_body": True}
        yield {"type": "http.request", "body": tail, "more_body": False}

    length = len(head) + blocks * 64 * 1024 + len(tail)
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", b"%d" % length),
    ]
    exchange = Exchange(messages())
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await exchange.run(app, http_scope("/upload", headers))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert exchange.status == 200, exchange.body
    assert exchange.body.decode() == f'["hi","big.bin","{expected.hexdigest()}"]'
    # The body is 5 MiB; the recording and Werkzeug's file part each spill past 500 KiB.
    assert peak < 3 * SPOOL_SIZE, peak
