"""Issue 11: one reproduction per defect found under real servers.

Each test states Flask 3.1's behaviour (run on a real ``flask.Flask`` app
where Flask has the feature) and asserts FastAPI + FlaskCompat gives the
same. They fail on the code the issue was filed against; each failure is the
defect, not the test. Tests that need a real server or a hand-driven ASGI
cycle are bounded in time: none of them can hang the suite.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import threading
import time
import typing as t
from collections.abc import AsyncIterator

import anyio
import flask
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.requests import Request as StarletteRequest
from werkzeug.exceptions import HTTPException

import fastapi_flaskcompat
from benchmarks.stress import faults
from benchmarks.stress.servers import HOST, KINDS, serve
from fastapi_flaskcompat import (
    FlaskCompat,
    abort,
    copy_current_request_context,
    g,
    request,
    url_for,
)

Scope = dict[str, t.Any]
Message = dict[str, t.Any]


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


def http_scope(
    path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


# -- 1. TRUSTED_HOSTS ----------------------------------------------------------

TRUSTED = ["good.com", ".example.com"]
HOSTS = [
    "good.com",
    "good.com:8080",
    "evil.com",
    "good.com.evil.com",
    "sub.example.com",
    "example.com",
    "evilexample.com",
    "GOOD.COM",
]


def _trusted_flask(events: list[t.Any]) -> flask.Flask:
    app = flask.Flask("trusted")
    app.config["TRUSTED_HOSTS"] = TRUSTED

    @app.before_request
    def before() -> None:
        events.append("before")

    @app.after_request
    def after(response: flask.Response) -> flask.Response:
        events.append(("after", response.status_code))
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/reset")
    def reset() -> t.Any:
        return {
            "host": flask.request.host,
            "link": flask.url_for("reset", token="t1", _external=True),
            "trusted_hosts": flask.request.trusted_hosts,
        }

    return app


def _trusted_compat(events: list[t.Any]) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app, config={"TRUSTED_HOSTS": TRUSTED})

    @compat.before_request
    def before() -> None:
        events.append("before")

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        events.append(("after", response.status_code))
        return response

    @compat.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.get("/reset", name="reset")
    def reset() -> dict[str, t.Any]:
        return {
            "host": request.host,
            "link": url_for("reset", token="t1", _external=True),
            "trusted_hosts": request.trusted_hosts,
        }

    return app


@pytest.mark.anyio
@pytest.mark.parametrize("host", HOSTS)
async def test_defect_1_trusted_hosts_answered_as_flask(host: str) -> None:
    # A password-reset link built from an untrusted Host is host-header injection.
    flask_events: list[t.Any] = []
    theirs = _trusted_flask(flask_events).test_client().get("/reset", headers={"Host": host})
    our_events: list[t.Any] = []
    async with client(_trusted_compat(our_events)) as c:
        ours = await c.get("/reset", headers={"Host": host})
    assert ours.status_code == theirs.status_code
    if theirs.status_code == 200:
        assert ours.json() == theirs.get_json()
    # Flask rejects at dispatch: before_request ran, after_request saw the 400.
    assert our_events == flask_events


# -- 2. the 500 handler and a re-raised exception instance ---------------------

DOWN = RuntimeError("database is down")  # one instance for the process, as legacy code has


@pytest.mark.anyio
async def test_defect_2_server_error_handler_runs_for_every_raise_of_one_instance() -> None:
    flask_app = flask.Flask("down")

    @flask_app.errorhandler(Exception)
    def flask_unavailable(exc: Exception) -> t.Any:
        return {"error": str(exc)}, 503

    @flask_app.route("/db")
    def flask_db() -> t.Any:
        raise DOWN

    flask_client = flask_app.test_client()
    flask_statuses = [flask_client.get("/db").status_code for _ in range(3)]

    def build(with_compat: bool) -> FastAPI:
        app = FastAPI()
        if with_compat:
            FlaskCompat(app)

        @app.exception_handler(Exception)
        async def unavailable(req: StarletteRequest, exc: Exception) -> JSONResponse:
            return JSONResponse({"error": str(exc)}, status_code=503)

        @app.get("/db")
        def db() -> None:
            raise DOWN

        return app

    statuses = {}
    for name, with_compat in (("bare FastAPI", False), ("FlaskCompat", True)):
        async with client(build(with_compat)) as c:
            statuses[name] = [(await c.get("/db")).status_code for _ in range(3)]
    assert flask_statuses == [503, 503, 503]
    assert statuses == {"bare FastAPI": [503, 503, 503], "FlaskCompat": [503, 503, 503]}


# -- 3. request.max_content_length set per request ------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mimetype", ["application/json", "application/octet-stream"])
async def test_defect_3_per_request_max_content_length_is_honoured(mimetype: str) -> None:
    config = {"MAX_CONTENT_LENGTH": 1000}

    def raise_limit_for(api: t.Any) -> t.Callable[[], None]:
        def raise_limit() -> None:  # an import endpoint takes bigger bodies
            if api.request.path == "/import":
                api.request.max_content_length = 10_000

        return raise_limit

    flask_app = flask.Flask("limits")
    flask_app.config.update(config)
    flask_app.before_request(raise_limit_for(flask))

    @flask_app.route("/import", methods=["POST"])
    def flask_import() -> t.Any:
        return {"size": len(flask.request.get_data())}

    app = FastAPI()
    compat = FlaskCompat(app, config=config)
    compat.before_request(raise_limit_for(fastapi_flaskcompat))

    @app.post("/import")
    def import_() -> dict[str, int]:
        return {"size": len(request.get_data())}

    sizes = (5_000, 20_000)
    headers = {"Content-Type": mimetype}
    flask_client = flask_app.test_client()
    theirs = [
        flask_client.post("/import", data=b"1" * n, headers=headers).status_code for n in sizes
    ]
    async with client(app) as c:
        ours = [
            (await c.post("/import", content=b"1" * n, headers=headers)).status_code for n in sizes
        ]
    assert theirs == [200, 413]
    assert ours == theirs


# -- 4. 413 after before_request, as Flask --------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/reads", "/ignores"])
async def test_defect_4_too_large_body_fails_when_read_after_before_request(path: str) -> None:
    config = {"MAX_CONTENT_LENGTH": 1000}
    body = json.dumps({"x": "y" * 5000})

    def install(app: t.Any, api: t.Any, events: list[t.Any]) -> None:
        @app.before_request
        def load_user() -> None:
            api.g.user = "ann"
            events.append("before")

        @app.after_request
        def stamp(response: t.Any) -> t.Any:
            response.headers["X-User"] = api.g.user  # a 500 if before_request was skipped
            events.append(("after", response.status_code))
            return response

        @app.teardown_request
        def close(exc: BaseException | None) -> None:
            events.append(("teardown", api.g.get("user")))

    flask_events: list[t.Any] = []
    flask_app = flask.Flask("limits")
    flask_app.config.update(config)
    install(flask_app, flask, flask_events)
    flask_app.add_url_rule(
        "/reads", "reads", lambda: {"n": len(flask.request.get_json())}, methods=["POST"]
    )
    flask_app.add_url_rule("/ignores", "ignores", lambda: {"n": 0}, methods=["POST"])
    theirs = flask_app.test_client().post(path, data=body, content_type="application/json")

    our_events: list[t.Any] = []
    app = FastAPI()
    compat = FlaskCompat(app, config=config)
    install(compat, fastapi_flaskcompat, our_events)

    @app.post("/reads")
    def reads() -> dict[str, int]:
        return {"n": len(request.get_json())}

    @app.post("/ignores")
    def ignores() -> dict[str, int]:
        return {"n": 0}

    async with client(app) as c:
        ours = await c.post(path, content=body, headers={"Content-Type": "application/json"})
    assert (ours.status_code, ours.headers.get("x-user")) == (
        theirs.status_code,
        theirs.headers.get("X-User"),
    )
    assert our_events == flask_events


# -- 5. teardown under native cancellation ----------------------------------------


def _cancel_app(events: list[str], view_started: threading.Event, async_teardown: bool) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)

    if async_teardown:

        @compat.teardown_request
        async def flush(exc: BaseException | None) -> None:
            events.append("teardown-async-start")
            await asyncio.sleep(0.2)
            events.append("teardown-async-end")

    @compat.teardown_request
    def close_db(exc: BaseException | None) -> None:
        events.append("teardown-sync")

    @compat.teardown_appcontext
    def close_app(exc: BaseException | None) -> None:
        events.append("teardown-app")

    @app.get("/slow")
    def slow() -> str:
        events.append("view-start")
        view_started.set()
        time.sleep(0.4)  # uses the resources teardown closes
        events.append("view-end")
        return "done"

    return app


async def _never_receive() -> Message:
    await asyncio.sleep(3600)
    raise AssertionError


async def _drop(message: Message) -> None:
    pass


async def _wait_for(predicate: t.Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_defect_5_cancelled_request_tears_down_after_its_sync_view_ended() -> None:
    # What uvicorn's --timeout-graceful-shutdown does: Task.cancel() on the request.
    async def main() -> list[str]:
        events: list[str] = []
        started = threading.Event()
        app = _cancel_app(events, started, async_teardown=False)
        task = asyncio.create_task(app(http_scope("/slow"), _never_receive, _drop))
        await _wait_for(started.is_set, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await _wait_for(lambda: "view-end" in events and "teardown-app" in events, 5)
        return events

    events = asyncio.run(main())
    assert events == ["view-start", "view-end", "teardown-sync", "teardown-app"], events


def test_defect_5_second_cancel_does_not_abandon_teardown() -> None:
    async def main() -> list[str]:
        events: list[str] = []
        started = threading.Event()
        app = _cancel_app(events, started, async_teardown=True)
        task = asyncio.create_task(app(http_scope("/slow"), _never_receive, _drop))
        await _wait_for(started.is_set, 5)
        task.cancel()
        await _wait_for(lambda: "teardown-async-start" in events or task.done(), 5)
        task.cancel()  # a second cancel while teardown awaits
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await asyncio.sleep(0.6)  # anything still running in a thread has finished
        return events

    events = asyncio.run(main())
    # Teardown hooks run in reverse registration order: close_db, then flush.
    assert events == [
        "view-start",
        "view-end",
        "teardown-sync",
        "teardown-async-start",
        "teardown-async-end",
        "teardown-app",
    ], events


@pytest.mark.parametrize("kind", KINDS)
def test_defect_5_graceful_shutdown_timeout_runs_every_teardown_after_its_view(
    kind: str, shutdown_rows: dict[tuple[str, float | None], faults.ShutdownRow]
) -> None:
    # 5 sync views (2.5 s) in flight, SIGTERM, a graceful-shutdown timeout of 1 s:
    # uvicorn's --timeout-graceful-shutdown, hypercorn's --graceful-timeout.
    row = shutdown_rows[(kind, 1.0)]
    assert (row.teardowns, row.teardowns_after_view) == (row.in_flight, row.in_flight), row


# -- 6. slow clients and the threadpool -----------------------------------------

SLOW_CLIENTS = 42  # more than anyio's 40 worker threads


def _slow_clients_then_ok(port: int) -> tuple[int | str, float]:
    """42 clients send headers and 1 of 10 body bytes, then idle; then GET /ok."""
    socks = []
    try:
        for _ in range(SLOW_CLIENTS):
            conn = socket.create_connection((HOST, port), timeout=5)
            conn.sendall(
                b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: 10\r\n\r\nx"
            )
            socks.append(conn)
        time.sleep(0.5)
        t0 = time.perf_counter()
        try:
            status: int | str = httpx.get(f"http://{HOST}:{port}/ok", timeout=5).status_code
        except httpx.TimeoutException:
            status = "timeout"
        return status, time.perf_counter() - t0
    finally:
        for conn in socks:
            conn.close()


def test_defect_6_slow_clients_do_not_starve_the_threadpool() -> None:
    with serve("uvicorn", "benchmarks.stress.apps:slow_client_bare_app") as bare:
        bare_status, bare_seconds = _slow_clients_then_ok(bare.port)
    with serve("uvicorn", "benchmarks.stress.apps:slow_client_app") as ours:
        status, seconds = _slow_clients_then_ok(ours.port)
    assert (bare_status, bare_seconds < 2) == (200, True)  # the control: FastAPI is unaffected
    assert (status, round(seconds, 1) < 2) == (200, True), f"GET /ok took {seconds:.1f} s"


# -- 7. bodies read before routing and before auth --------------------------------

BIG = 64 * 1024 * 1024
CHUNK = 64 * 1024
READ_BOUND = 4 * 1024 * 1024  # generous: any sane preload bound (plus a chunk) is below it


class Upload:
    """A 64 MiB JSON upload fed to an ASGI app chunk by chunk, counting what it pulled."""

    def __init__(self, chunked: bool) -> None:
        self.sent = 0
        self.read_before_response: int | None = None
        self.status: int | None = None
        headers = [(b"content-type", b"application/json"), (b"host", b"t")]
        if chunked:
            headers.append((b"transfer-encoding", b"chunked"))
        else:
            headers.append((b"content-length", str(BIG).encode()))
        self.headers = headers
        self._chunk = b"[" + b"1," * (CHUNK // 2 - 1) + b"1"

    async def receive(self) -> Message:
        if self.sent >= BIG:
            await asyncio.sleep(3600)
        self.sent += CHUNK
        return {"type": "http.request", "body": self._chunk, "more_body": self.sent < BIG}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.read_before_response = self.sent
            self.status = message["status"]


def _compat_service(rejecting: bool) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def require_key() -> None:
        g.user = request.headers.get("X-Api-Key")
        if rejecting and g.user != "k1":
            abort(401)

    @app.post("/import")
    def import_() -> dict[str, int]:
        return {"n": len(request.get_json())}

    return app


def _bare_not_found() -> FastAPI:
    app = FastAPI()

    @app.post("/import")
    def import_(data: list[int]) -> dict[str, int]:
        return {"n": len(data)}

    return app


async def _upload(app: FastAPI, path: str, chunked: bool) -> Upload:
    upload = Upload(chunked)
    with anyio.fail_after(30):
        await app(http_scope(path, "POST", upload.headers), upload.receive, upload.send)
    return upload


class _CountingInput(io.RawIOBase):
    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        n = min(len(buffer), BIG - self.read_bytes)
        buffer[:n] = b"1" * n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_defect_7_big_body_not_read_before_404_or_before_request_rejects(chunked: bool) -> None:
    async def main() -> dict[str, tuple[int | None, int | None]]:
        bare = await _upload(_bare_not_found(), "/nowhere", chunked)
        no_route = await _upload(_compat_service(rejecting=False), "/nowhere", chunked)
        rejected = await _upload(_compat_service(rejecting=True), "/import", chunked)
        return {
            "bare 404": (bare.status, bare.read_before_response),
            "ours 404": (no_route.status, no_route.read_before_response),
            "ours 401": (rejected.status, rejected.read_before_response),
        }

    # Flask: a before_request hook that rejects means the body is never read.
    flask_app = flask.Flask("auth")

    @flask_app.before_request
    def require_key() -> None:
        if flask.request.headers.get("X-Api-Key") != "k1":
            flask.abort(401)

    flask_app.add_url_rule("/import", "import", lambda: "", methods=["POST"])
    stream = _CountingInput()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/import",
        "SERVER_NAME": "t",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "t",
    }
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(BIG)
    statuses: list[str] = []
    b"".join(flask_app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert (statuses, stream.read_bytes) == (["401 UNAUTHORIZED"], 0)

    seen = asyncio.run(main())
    assert seen["bare 404"][0] == 404 and seen["bare 404"][1] is not None
    assert seen["bare 404"][1] <= READ_BOUND
    bounded = {k: (status, n is not None and n <= READ_BOUND) for k, (status, n) in seen.items()}
    assert bounded == {"bare 404": (404, True), "ours 404": (404, True), "ours 401": (401, True)}, (
        f"bytes received before the response: {seen}"
    )


# -- 8. the body read after the request ended ---------------------------------------

_ENDED = re.compile(r"request (context )?(has )?(ended|finished|is over|is no longer)", re.I)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 100):
        yield data[i : i + 100]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "kind", ["json", "json-chunked", "octet-stream-read-in-view"], ids=lambda k: k
)
async def test_defect_8_thread_outliving_its_request_gets_the_body_or_a_clear_error(
    kind: str,
) -> None:
    app = FastAPI()
    FlaskCompat(app)
    response_sent = threading.Event()
    outcome: list[t.Any] = []
    reader_done = threading.Event()

    def audit() -> None:  # a legacy helper run after the response, in a thread
        response_sent.wait(5)
        try:
            outcome.append(request.get_data())
        except Exception as exc:
            outcome.append(exc)
        finally:
            reader_done.set()

    @app.post("/audit")
    def audit_view() -> PlainTextResponse:
        if kind == "octet-stream-read-in-view":
            assert request.get_data() == payload
        threading.Thread(target=copy_current_request_context(audit)).start()
        return PlainTextResponse("queued")

    payload = json.dumps({"event": "login", "pad": "x" * 3000}).encode()
    content: bytes | AsyncIterator[bytes] = payload
    mimetype = "application/octet-stream" if kind.startswith("octet") else "application/json"
    if kind == "json-chunked":
        content = _chunks(payload)
    async with client(app) as c:
        r = await c.post("/audit", content=content, headers={"Content-Type": mimetype})
    assert r.status_code == 200
    response_sent.set()
    await anyio.to_thread.run_sync(reader_done.wait, 5)
    assert len(outcome) == 1
    result = outcome[0]
    if isinstance(result, bytes):
        assert result == payload
    else:
        # Not a 400 blaming the client, who sent everything: an error naming the cause.
        assert not isinstance(result, HTTPException), repr(result)
        assert _ENDED.search(str(result)), repr(result)
