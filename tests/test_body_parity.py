"""Differential: the same bytes, the same legacy helper, under ``flask.Flask`` and here.

The helper reads the body in every order Werkzeug distinguishes (``data``,
``get_data`` with each flag, ``form``, ``files``, ``values``, ``stream``,
``input_stream``, ``wsgi.input``, ``get_json`` with each flag) and records
values and HTTP errors. On FastAPI it runs from an async endpoint (preloaded
content types only: others need a worker thread), a sync endpoint, a sync
dependency and a sync ``before_request`` hook.
"""

from __future__ import annotations

import functools
import typing as t
from unittest import mock

import flask
import httpx
import pytest
from body_support import BODIES, SCENARIOS, observe
from fastapi import Depends, FastAPI

import fastapi_flaskcompat
from fastapi_flaskcompat import FlaskCompat

pytestmark = pytest.mark.anyio

CONTEXTS = ("async", "sync", "dependency", "hook")


def make_flask_app(config: dict[str, t.Any] | None = None) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(config or {})

    @app.post("/obs")
    def obs() -> t.Any:
        return flask.jsonify(observe(flask.request, flask.request.args["s"]))

    return app


def make_fastapi_app(config: dict[str, t.Any] | None = None) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app, config=config)
    request = fastapi_flaskcompat.request
    g = fastapi_flaskcompat.g

    @compat.before_request
    def hook() -> None:
        if request.path == "/hook":
            g.result = observe(request, request.args["s"])

    @app.post("/async")
    async def async_view() -> t.Any:
        return observe(request, request.args["s"])

    @app.post("/sync")
    def sync_view() -> t.Any:
        return observe(request, request.args["s"])

    def dependency() -> t.Any:
        return observe(request, request.args["s"])

    @app.post("/dependency")
    async def dependency_view(result: t.Any = Depends(dependency)) -> t.Any:  # noqa: B008
        return result

    @app.post("/hook")
    async def hook_view() -> t.Any:
        return g.result

    return app


@functools.cache
def flask_observations(body: str) -> dict[str, t.Any]:
    content_type, data = BODIES[body]
    client = make_flask_app().test_client()
    out = {}
    for scenario in SCENARIOS:
        r = client.post(f"/obs?s={scenario}", data=data, headers={"Content-Type": content_type})
        assert r.status_code == 200, r.data
        out[scenario] = r.get_json()
    return out


# Every small body is preloaded, so a sync helper reads it on the event loop
# too, whatever its type (a webhook's XML, octets); larger: test_body_loop.py.
CASES = [(body, context) for body in BODIES for context in CONTEXTS]


@pytest.mark.parametrize(("body", "context"), CASES)
async def test_same_observations_as_flask(body: str, context: str) -> None:
    content_type, data = BODIES[body]
    expected = flask_observations(body)
    app = make_fastapi_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for scenario in SCENARIOS:
            r = await client.post(
                f"/{context}",
                params={"s": scenario},
                content=data,
                headers={"Content-Type": content_type},
            )
            assert r.status_code == 200, r.text
            assert r.json() == expected[scenario], scenario


def test_the_observations_are_not_trivial() -> None:
    # Guards the differential itself: Flask really parsed what the bodies hold.
    multipart = dict(flask_observations("multipart")["get_data_first"])
    assert multipart["form"] == [
        ["name", "Zoë ✓ + 100%"],
        ["tag", "one"],
        ["tag", "two"],
        ["clé", "välue"],
    ]
    files = multipart["files"]
    assert [f[2] for f in files] == ["résumé.txt", "naïve.bin", "empty.png"]
    assert files[1][5].encode("latin-1").startswith(bytes(range(256)) + b"\r\n--")
    urlencoded = dict(flask_observations("urlencoded")["data_first"])
    assert ["q", "a b"] in urlencoded["form"] and ["q", "c+d"] in urlencoded["form"]
    assert ["p", "100%"] in urlencoded["form"] and ["café", "été"] in urlencoded["form"]
    assert flask_observations("json_invalid")["json"][1] == ["get_json", "error", 400, mock.ANY]
    assert flask_observations("json_invalid")["json"][2] == ["get_json_silent", None]
    assert flask_observations("json_as_text")["json"][1][:3] == ["get_json", "error", 415]
    assert flask_observations("json_utf16")["json"][1][1]["a"] == "ünïcødé ✓ 😀"


LIMITS: list[tuple[str, dict[str, t.Any], str, bytes]] = [
    # (name, config, content type, body)
    (
        "form_memory_multipart",
        {"MAX_FORM_MEMORY_SIZE": 100},
        f"multipart/form-data; boundary={'b'}",
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n' + b"x" * 200 + b"\r\n--b--\r\n",
    ),
    (
        "form_memory_file_part_is_fine",
        {"MAX_FORM_MEMORY_SIZE": 100},
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="a"; filename="a.txt"\r\n\r\n'
        + b"x" * 2000
        + b"\r\n--b--\r\n",
    ),
    (
        "form_memory_urlencoded_not_applied",
        {"MAX_FORM_MEMORY_SIZE": 100},
        "application/x-www-form-urlencoded",
        b"a=" + b"x" * 500,
    ),
    (
        "form_parts",
        {"MAX_FORM_PARTS": 3},
        "multipart/form-data; boundary=b",
        b"".join(
            b'--b\r\nContent-Disposition: form-data; name="p%d"\r\n\r\nv\r\n' % i for i in range(5)
        )
        + b"--b--\r\n",
    ),
    (
        "form_parts_at_limit",
        {"MAX_FORM_PARTS": 5},
        "multipart/form-data; boundary=b",
        b"".join(
            b'--b\r\nContent-Disposition: form-data; name="p%d"\r\n\r\nv\r\n' % i for i in range(5)
        )
        + b"--b--\r\n",
    ),
    ("content_length_json", {"MAX_CONTENT_LENGTH": 10}, "application/json", b'{"a": "0123456789"}'),
    ("content_length_octets", {"MAX_CONTENT_LENGTH": 10}, "application/octet-stream", b"x" * 11),
    ("content_length_exact", {"MAX_CONTENT_LENGTH": 11}, "application/octet-stream", b"x" * 11),
]


@pytest.mark.parametrize("context", ["sync", "dependency", "hook"])
@pytest.mark.parametrize(("name", "config", "content_type", "data"), LIMITS)
async def test_limits_as_flask(
    name: str, config: dict[str, t.Any], content_type: str, data: bytes, context: str
) -> None:
    """Flask 3.1 reads the limits from config; a limit hit is a 413 whatever reads."""
    flask_client = make_flask_app(config).test_client()
    transport = httpx.ASGITransport(app=make_fastapi_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for scenario in ("data_first", "get_data_first", "form_first", "json_force"):
            expected = flask_client.post(
                f"/obs?s={scenario}", data=data, headers={"Content-Type": content_type}
            )
            r = await client.post(
                f"/{context}",
                params={"s": scenario},
                content=data,
                headers={"Content-Type": content_type},
            )
            # The helper catches HTTP errors: compare what it saw, wherever it ran.
            assert expected.status_code == 200
            if r.status_code == 413:
                # Preloaded content types hit MAX_CONTENT_LENGTH before the helper runs.
                assert name == "content_length_json"
                assert any("error" in op and 413 in op for op in expected.get_json())
                continue
            assert r.status_code == 200, r.text
            assert r.json() == expected.get_json(), scenario
