"""Where sync body access runs: the event loop, worker threads, plain threads, tests."""

from __future__ import annotations

import json
import threading
import typing as t

import anyio
import anyio.to_thread
import flask
import httpx
import pytest
from body_support import BODIES, SCENARIOS, observe
from fastapi import FastAPI
from starlette.requests import Request as StarletteRequest
from support import Exchange, http_scope, post

from fastapi_flaskcompat import FlaskCompat, body_options, copy_current_request_context, request
from fastapi_flaskcompat.body import BODY_KEY

pytestmark = pytest.mark.anyio


async def test_on_the_loop_a_body_not_received_raises_naming_the_fixes() -> None:
    """Never blocks: the client is still sending a body over the preload bound
    when the endpoint asks."""
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MAX_SIZE": 4})
    gate = anyio.Event()

    @app.post("/")
    async def view() -> t.Any:
        try:
            request.get_data()
        except RuntimeError as e:
            message = str(e)
        gate.set()
        return message

    async def slow_client() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": b"part", "more_body": True}
        await gate.wait()
        yield {"type": "http.request", "body": b"rest", "more_body": False}

    exchange = Exchange(slow_client())
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"8")]
    await exchange.run(app, http_scope("/", headers))
    message = json.loads(exchange.body)
    for fix in ("FLASKCOMPAT_PRELOAD_MAX_SIZE", "'text/plain'", "body_options(preload=True)"):
        assert fix in message
    assert "await request.load_body()" in message and "sync (def)" in message


async def test_small_bodies_of_any_type_are_read_on_the_loop() -> None:
    """A webhook's small text/XML/octet body, read by a sync helper from an
    async endpoint: Flask reads any body, so do we (parity: test_body_parity)."""
    app = FastAPI()
    FlaskCompat(app)

    @app.post("/")
    async def view() -> t.Any:
        return request.get_data(as_text=True)

    for content_type in (
        "text/plain; charset=utf-8",
        "application/xml",
        "application/octet-stream",
    ):
        r = await post(app, "/", content=b"hello", headers={"Content-Type": content_type})
        assert r.json() == "hello"


async def test_fix_preload_config_for_more_types() -> None:
    """Chunked bodies (no Content-Length) of the listed types are preloaded too."""
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MIMETYPES": ["text/*", "application/json"]})

    @app.post("/")
    async def view() -> t.Any:
        return request.get_data(as_text=True)

    async def chunks() -> t.AsyncIterator[bytes]:
        yield b"hel"
        yield b"lo"

    r = await post(app, "/", content=chunks(), headers={"Content-Type": "text/plain"})
    assert r.json() == "hello"


async def test_fix_route_option() -> None:
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MAX_SIZE": 4})

    @app.post("/")
    @body_options(preload=True)
    async def view() -> t.Any:
        return request.get_data(as_text=True)

    assert (
        await post(app, "/", content=b"hello", headers={"Content-Type": "application/octet-stream"})
    ).json() == "hello"


async def test_fix_load_body() -> None:
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MAX_SIZE": 4})

    @app.post("/")
    async def view() -> t.Any:
        await request.load_body()
        return request.get_data(as_text=True)

    assert (
        await post(app, "/", content=b"hello", headers={"Content-Type": "application/octet-stream"})
    ).json() == "hello"


async def test_preload_can_be_turned_off_per_app_and_per_route() -> None:
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_PRELOAD_MAX_SIZE": 0})

    @app.post("/async")
    async def async_view() -> t.Any:
        with pytest.raises(RuntimeError, match="'application/json'"):
            request.get_json()
        return "raised"

    @app.post("/sync")
    def sync_view() -> t.Any:
        return request.get_json()

    assert (
        await post(app, "/async", content=b"[1]", headers={"Content-Type": "application/json"})
    ).json() == "raised"
    assert (
        await post(app, "/sync", content=b"[1]", headers={"Content-Type": "application/json"})
    ).json() == [1]

    app2 = FastAPI()
    FlaskCompat(app2)

    @app2.post("/")
    @body_options(preload=False)
    async def view() -> t.Any:
        with pytest.raises(RuntimeError, match="not been fully received"):
            request.get_json()
        return "raised"

    assert (
        await post(app2, "/", content=b"[1]", headers={"Content-Type": "application/json"})
    ).json() == "raised"


@pytest.mark.parametrize("case", ["preloaded", "loaded", "streamed", "untouched"])
async def test_plain_thread_with_copied_context(case: str) -> None:
    app = FastAPI()
    # Of these bodies of unknown length only the JSON one is preloaded.
    FlaskCompat(app)

    @app.post("/")
    async def view(req: StarletteRequest) -> t.Any:
        if case == "loaded":
            await request.load_body()
        elif case == "streamed":
            # Part received on the loop: the thread fetches the rest from it.
            stream = req.stream()
            await stream.__anext__()
        out: list[t.Any] = []

        @copy_current_request_context
        def work() -> None:
            try:
                out.append(request.get_data(as_text=True))
            except RuntimeError as e:
                out.append(str(e))

        thread = threading.Thread(target=work)
        thread.start()
        await anyio.to_thread.run_sync(thread.join)
        return out[0]

    async def messages() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": b"from a ", "more_body": True}
        yield {"type": "http.request", "body": b"thread", "more_body": False}

    ct = b"application/json" if case == "preloaded" else b"text/plain"
    exchange = Exchange(messages())
    await exchange.run(
        app, http_scope("/", [(b"content-type", ct), (b"transfer-encoding", b"chunked")])
    )
    result = json.loads(exchange.body)
    if case == "untouched":
        # Nothing ran on the loop yet to tell a foreign thread where the loop is.
        assert "await request.load_body()" in result
    else:
        assert result == "from a thread"


async def test_other_threads_reuse_the_fetched_body() -> None:
    app = FastAPI()
    FlaskCompat(app)

    @app.post("/")
    def view() -> t.Any:
        first = request.get_data()

        @copy_current_request_context
        def again() -> bytes:
            return request.get_data()

        result: list[bytes] = []
        thread = threading.Thread(target=lambda: result.append(again()))
        thread.start()
        thread.join()
        return [first.decode(), result[0].decode()]

    async def messages() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": b"on", "more_body": True}
        yield {"type": "http.request", "body": b"ce", "more_body": False}

    exchange = Exchange(messages())
    headers = [(b"content-type", b"text/plain"), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope("/", headers))
    assert json.loads(exchange.body) == ["once", "once"]
    assert exchange.received == 2  # fetched once, from the loop


async def test_requests_without_a_body_get_the_servers_receive() -> None:
    app = FastAPI()
    FlaskCompat(app)
    seen: list[t.Any] = []

    @app.api_route("/", methods=["GET", "POST"])
    async def view(req: StarletteRequest) -> t.Any:
        seen.append((req.receive, BODY_KEY in req.scope))
        return [
            request.get_data(as_text=True),
            request.form.to_dict(),
            request.get_json(silent=True),
        ]

    for headers in ([], [(b"content-length", b"0"), (b"content-type", b"application/json")]):
        exchange = Exchange(aiter_empty())
        await exchange.run(app, http_scope("/", headers, method="POST" if headers else "GET"))
        assert json.loads(exchange.body) == ["", {}, None]
        receive, recorded = seen.pop()
        assert getattr(receive, "__self__", None) is exchange and not recorded


async def aiter_empty() -> t.AsyncIterator[dict[str, t.Any]]:
    yield {"type": "http.request", "body": b"", "more_body": False}


async def test_body_support_off_leaves_receive_alone_and_says_so() -> None:
    app = FastAPI()
    FlaskCompat(app, config={"FLASKCOMPAT_BODY": False})
    seen: list[t.Any] = []

    @app.post("/")
    async def view(req: StarletteRequest) -> t.Any:
        seen.append(req.receive)
        body = await req.body()
        with pytest.raises(RuntimeError, match="FLASKCOMPAT_BODY"):
            request.get_data()
        return body.decode()

    async def messages() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": b"[1]", "more_body": False}

    exchange = Exchange(messages())
    headers = [(b"content-type", b"application/json"), (b"content-length", b"3")]
    await exchange.run(app, http_scope("/", headers))
    assert exchange.body == b'"[1]"'
    assert getattr(seen[0], "__self__", None) is exchange


async def test_concurrent_requests_each_read_their_own_body() -> None:
    app = FastAPI()
    FlaskCompat(app)

    @app.post("/async/{n}")
    async def async_view(n: int) -> t.Any:
        await anyio.sleep(0)
        return [n, request.get_json()]

    @app.post("/sync/{n}")
    def sync_view(n: int) -> t.Any:
        return [n, json.loads(request.get_data())]

    results: dict[str, t.Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def one(i: int) -> None:
            kind = "async" if i % 2 else "sync"
            ct = "application/json" if kind == "async" else "application/octet-stream"
            payload = json.dumps({"i": i, "pad": "x" * (i * 97)}).encode()
            r = await client.post(f"/{kind}/{i}", content=payload, headers={"Content-Type": ct})
            results[f"{kind}/{i}"] = r.json()

        async with anyio.create_task_group() as tg:
            for i in range(60):
                tg.start_soon(one, i)
    assert len(results) == 60
    for key, (n, doc) in results.items():
        assert key.endswith(f"/{n}") and doc == {"i": n, "pad": "x" * (n * 97)}


# -- test_request_context: the same body API for unit tests of helpers ----------

BUILDER_CASES: list[dict[str, t.Any]] = [
    {"method": "POST", "json": {"a": ["ü", {"b": None}]}},
    {"method": "POST", "data": {"name": "Zoë", "tag": ["1", "2"]}},
    {"method": "POST", "data": b"raw \xff", "content_type": "application/octet-stream"},
    {"method": "POST", "data": '{"x": 1}', "content_type": "application/vnd.api+json"},
    {"method": "POST", "data": BODIES["multipart"][1], "content_type": BODIES["multipart"][0]},
    {"method": "POST", "data": "q=a+b&p=100%25", "content_type": BODIES["urlencoded"][0]},
    {"method": "GET", "query_string": "a=1"},
]


@pytest.mark.parametrize("kwargs", BUILDER_CASES)
def test_test_request_context_body_matches_flask(kwargs: dict[str, t.Any]) -> None:
    flask_app = flask.Flask(__name__)
    compat = FlaskCompat(FastAPI())
    for scenario in SCENARIOS:
        with flask_app.test_request_context("/", **kwargs):
            expected = observe(flask.request, scenario)
        with compat.test_request_context("/", **kwargs):
            assert observe(request, scenario) == expected, scenario


async def test_test_request_context_body_inside_a_running_loop() -> None:
    compat = FlaskCompat(FastAPI())
    async with compat.test_request_context(
        "/", method="POST", data=b"xy", content_type="text/plain"
    ):
        assert request.get_data() == b"xy"
        assert await request.starlette_request.body() == b"xy"


# -- code that outlives its request -------------------------------------------------


@pytest.mark.parametrize("case", ["spilled", "never-received"])
async def test_thread_reading_the_body_after_the_request_ended(case: str) -> None:
    # A thread started by the view reads the body once the response went out:
    # the recording if it was complete (even spilled to disk), else an error
    # saying the request ended, never a 400 blaming the client.
    app = FastAPI()
    FlaskCompat(app)
    response_sent = threading.Event()
    outcome: list[t.Any] = []
    done = threading.Event()

    def audit() -> None:
        response_sent.wait(5)
        try:
            outcome.append(request.get_data())
        except Exception as exc:
            outcome.append(exc)
        finally:
            done.set()

    @app.post("/")
    def view() -> str:
        if case == "spilled":
            assert len(request.get_data()) == len(payload)
        threading.Thread(target=copy_current_request_context(audit)).start()
        return "queued"

    payload = b"x" * (3 * 1024 * 1024 if case == "spilled" else 10)

    async def messages() -> t.AsyncIterator[dict[str, t.Any]]:
        for i in range(0, len(payload), 64 * 1024):
            chunk = payload[i : i + 64 * 1024]
            yield {"type": "http.request", "body": chunk, "more_body": True}
        if case == "spilled":
            yield {"type": "http.request", "body": b"", "more_body": False}
        # never-received: the rest never comes before the response

    exchange = Exchange(messages())
    headers = [(b"content-type", b"application/octet-stream"), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope("/", headers))
    assert exchange.status == 200
    response_sent.set()
    await anyio.to_thread.run_sync(done.wait, 5)
    if case == "spilled":
        assert outcome == [payload]
    else:
        assert isinstance(outcome[0], RuntimeError), outcome
        assert "request has ended" in str(outcome[0])
