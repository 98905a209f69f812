"""Replay: FastAPI's body parameters, Starlette's ``request.body()`` and legacy code
all get the complete body, whoever reads first."""

from __future__ import annotations

import hashlib
import json
import typing as t

import anyio
import pytest
from body_support import MULTIPART
from fastapi import Body, Depends, FastAPI, File, Form, UploadFile
from fastapi.testclient import TestClient
from starlette.requests import Request as StarletteRequest
from support import Exchange, body_messages, http_scope, post

from fastapi_flaskcompat import FlaskCompat, body_options, g, request

pytestmark = pytest.mark.anyio

DOC = {"name": "Zoë ✓", "items": [1, {"deep": [None, True]}]}
OCTETS = bytes(range(256)) * 1000  # spans the spill threshold


def legacy_json() -> t.Any:
    return request.get_json()


def legacy_data() -> str:
    return hashlib.sha256(request.get_data()).hexdigest()


def legacy_form() -> dict[str, t.Any]:
    return {
        "form": list(request.form.items(multi=True)),
        "files": [
            [k, f.filename, f.read().decode("latin-1")] for k, f in request.files.items(multi=True)
        ],
    }


def make_app() -> tuple[FastAPI, FlaskCompat]:
    app = FastAPI()
    compat = FlaskCompat(app)
    return app, compat


# -- JSON: FastAPI's Body parameter and legacy get_json ----------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_fastapi_body_param_then_legacy(kind: str) -> None:
    app, _ = make_app()
    if kind == "async":

        @app.post("/")
        async def view(doc: dict[str, t.Any] = Body()) -> t.Any:  # noqa: B008
            return {"fastapi": doc, "legacy": legacy_json()}
    else:

        @app.post("/")
        def view(doc: dict[str, t.Any] = Body()) -> t.Any:  # noqa: B008
            return {"fastapi": doc, "legacy": legacy_json()}

    r = await post(app, "/", json=DOC)
    assert r.json() == {"fastapi": DOC, "legacy": DOC}


@pytest.mark.parametrize("hook_kind", ["async", "sync"])
async def test_legacy_hook_first_then_fastapi_body_param(hook_kind: str) -> None:
    app, compat = make_app()
    if hook_kind == "async":

        @compat.before_request
        async def hook() -> None:
            g.seen = legacy_json()
    else:

        @compat.before_request
        def hook() -> None:
            g.seen = legacy_json()

    @app.post("/")
    async def view(doc: dict[str, t.Any] = Body()) -> t.Any:  # noqa: B008
        return {"hook": g.seen, "fastapi": doc}

    r = await post(app, "/", json=DOC)
    assert r.json() == {"hook": DOC, "fastapi": DOC}


# -- raw bytes: Starlette's request.body() and legacy get_data ----------------


@pytest.mark.parametrize("legacy_first", [True, False])
@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/json"])
async def test_starlette_body_and_legacy_any_order(legacy_first: bool, content_type: str) -> None:
    app, _ = make_app()
    data = json.dumps({"blob": OCTETS.hex()}).encode() if "json" in content_type else OCTETS
    expected = hashlib.sha256(data).hexdigest()

    def dep() -> str:  # a sync dependency: a worker thread, fetches from the loop
        return legacy_data()

    if legacy_first:

        @app.post("/")
        async def view(req: StarletteRequest, legacy: str = Depends(dep)) -> t.Any:
            body = await req.body()
            return [legacy, hashlib.sha256(body).hexdigest()]
    else:

        @app.post("/")
        async def view(req: StarletteRequest) -> t.Any:
            body = await req.body()
            legacy = await anyio.to_thread.run_sync(legacy_data)
            return [legacy, hashlib.sha256(body).hexdigest()]

    r = await post(app, "/", content=data, headers={"Content-Type": content_type})
    assert r.json() == [expected, expected]


async def test_fastapi_bytes_param_then_legacy_on_the_loop() -> None:
    # FastAPI read a non-preloaded body: complete, so the loop can read it too.
    app, _ = make_app()

    @app.post("/")
    async def view(raw: bytes = Body(media_type="application/octet-stream")) -> t.Any:
        return [hashlib.sha256(raw).hexdigest(), legacy_data()]

    r = await post(app, "/", content=OCTETS, headers={"Content-Type": "application/octet-stream"})
    expected = hashlib.sha256(OCTETS).hexdigest()
    assert r.json() == [expected, expected]


async def test_starlette_request_property_replays_after_everyone() -> None:
    app, _ = make_app()

    @app.post("/")
    async def view(req: StarletteRequest) -> t.Any:
        first = await req.body()
        legacy = request.get_data()
        again = await request.starlette_request.body()
        return [len(first), len(legacy), len(again), first == legacy == again]

    r = await post(app, "/", content=OCTETS, headers={"Content-Type": "application/json"})
    assert r.json() == [len(OCTETS)] * 3 + [True]


# -- forms: FastAPI's Form/UploadFile parameters and legacy form/files --------


@pytest.mark.parametrize("order", ["fastapi_first", "legacy_hook_first"])
async def test_form_and_upload_params_with_legacy(order: str) -> None:
    app, compat = make_app()
    if order == "legacy_hook_first":

        @compat.before_request
        def hook() -> None:
            g.legacy = legacy_form()

    @app.post("/")
    async def view(
        name: str = Form(),
        tag: list[str] = Form(),  # noqa: B008
        f: list[UploadFile] = File(),  # noqa: B008
    ) -> t.Any:
        files = [[u.filename, (await u.read()).decode("latin-1")] for u in f]
        legacy = g.legacy if order == "legacy_hook_first" else legacy_form()
        return {"fastapi": [name, tag, files], "legacy": legacy}

    # Starlette's parser ignores RFC 2231 filename*=, Werkzeug's does not: leave it out.
    content = MULTIPART.replace(b"filename*=UTF-8''na%C3%AFve.bin", b'filename="na\xc3\xafve.bin"')
    r = await post(
        app,
        "/",
        content=content,
        headers={"Content-Type": "multipart/form-data; boundary=XyZb0undary"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["fastapi"][0] == "Zoë ✓ + 100%"
    assert out["fastapi"][1] == ["one", "two"]
    legacy_files = [[name, content] for key, name, content in out["legacy"]["files"] if key == "f"]
    assert out["fastapi"][2] == legacy_files
    assert ["name", "Zoë ✓ + 100%"] in out["legacy"]["form"]
    assert len(legacy_files) == 2
    assert legacy_files[0] == [
        "résumé.txt",
        "first file ✓\r\nsecond line".encode().decode("latin-1"),
    ]
    assert legacy_files[1][0] == "naïve.bin"


def test_with_starlette_testclient() -> None:
    app, _ = make_app()

    @app.post("/")
    def view(doc: dict[str, t.Any] = Body()) -> t.Any:  # noqa: B008
        return [doc, request.json, request.get_data(as_text=True)]

    with TestClient(app) as client:
        r = client.post("/", json=DOC)
    assert r.json()[:2] == [DOC, DOC]
    assert json.loads(r.json()[2]) == DOC


# -- streaming stays streaming -------------------------------------------------


async def test_streaming_endpoint_gets_chunks_as_they_arrive() -> None:
    """The client sends its second chunk only after the endpoint saw the first."""
    app, _ = make_app()
    first_seen = anyio.Event()
    got: list[bytes] = []

    @app.post("/upload")
    async def upload(req: StarletteRequest) -> t.Any:
        async for chunk in req.stream():
            if chunk:
                got.append(chunk)
                first_seen.set()
        # Once streamed, the legacy API sees the whole body, on the loop.
        return {"chunks": len(got), "legacy": request.get_data().decode()}

    async def client_messages() -> t.AsyncIterator[dict[str, t.Any]]:
        yield {"type": "http.request", "body": b"first,", "more_body": True}
        with anyio.fail_after(5):
            await first_seen.wait()
        yield {"type": "http.request", "body": b"second", "more_body": False}

    exchange = Exchange(client_messages())
    headers = [(b"content-type", b"application/octet-stream"), (b"transfer-encoding", b"chunked")]
    await exchange.run(app, http_scope("/upload", headers))
    assert exchange.status == 200
    assert json.loads(exchange.body) == {"chunks": 2, "legacy": "first,second"}


async def test_preloaded_body_is_complete_before_hooks() -> None:
    # The other side of preloading: a JSON endpoint waits for the whole body.
    app, compat = make_app()
    seen: list[int] = []

    @compat.before_request
    async def hook() -> None:
        seen.append(len(request.get_data()))

    @app.post("/")
    async def view() -> t.Any:
        return request.json

    data = json.dumps({"x": "y" * 200_000}).encode()
    exchange = Exchange(body_messages(data, size=1000))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    await exchange.run(app, http_scope("/", headers))
    assert exchange.status == 200
    assert seen == [len(data)]
    assert json.loads(exchange.body) == {"x": "y" * 200_000}


async def test_record_false_route_gets_the_raw_receive() -> None:
    app, _ = make_app()
    receives: list[t.Any] = []

    @app.post("/raw")
    @body_options(record=False)
    async def raw(req: StarletteRequest) -> t.Any:
        receives.append(req.receive)
        body = await req.body()
        with pytest.raises(RuntimeError, match="record=False"):
            request.get_data()
        return len(body)

    exchange = Exchange(body_messages(b"x" * 100))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
    await exchange.run(app, http_scope("/raw", headers))
    assert exchange.body == b"100"
    # No recorder between the server and the app.
    assert getattr(receives[0], "__self__", None) is exchange
