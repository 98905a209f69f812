"""Property: for any request a server could deliver, ``request``'s attributes raise
nothing but Werkzeug's HTTP exceptions (which become 4xx responses), never a
``TypeError``/``UnicodeError``/``IndexError`` that would be a 500.

Scopes are hand-made (arbitrary path text, query bytes, header bytes within
what HTTP/1.1 servers pass on, bodies), run through the middleware into an
endpoint that reads every attribute legacy helpers read.
"""

from __future__ import annotations

import asyncio
import typing as t
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from fastapi_flaskcompat import FlaskCompat, request

ATTRIBUTES = (
    "method",
    "args",
    "values",
    "headers",
    "cookies",
    "host",
    "host_url",
    "url",
    "base_url",
    "url_root",
    "root_url",
    "path",
    "full_path",
    "script_root",
    "scheme",
    "is_secure",
    "query_string",
    "mimetype",
    "mimetype_params",
    "content_type",
    "content_length",
    "content_encoding",
    "is_json",
    "authorization",
    "accept_mimetypes",
    "accept_charsets",
    "accept_languages",
    "accept_encodings",
    "user_agent",
    "access_route",
    "remote_addr",
    "cache_control",
    "if_modified_since",
    "if_none_match",
    "range",
    "date",
    "origin",
    "referrer",
    "pragma",
    "endpoint",
    "view_args",
    "url_rule",
    "environ",
)
CALLS: dict[str, t.Callable[[], t.Any]] = {
    "get_json(silent=True)": lambda: request.get_json(silent=True),
    "get_data()": lambda: request.get_data(),
    "form": lambda: request.form.to_dict(flat=False),
    "files": lambda: list(request.files),
    "headers.items()": lambda: list(request.headers.items()),
    "args.getlist": lambda: [request.args.getlist(k) for k in request.args],
    "cookies.items()": lambda: list(request.cookies.items()),
    "accept_mimetypes.best": lambda: request.accept_mimetypes.best,
    "user_agent.string": lambda: request.user_agent.string,
    "authorization.type": lambda: getattr(request.authorization, "type", None),
}


def _app() -> FastAPI:
    app = FastAPI()
    FlaskCompat(app)

    @app.api_route("/{anything:path}", methods=["GET", "POST"])
    async def probe(anything: str) -> dict[str, list[str]]:
        await request.load_body()  # so every body attribute can be read on the loop
        failures = []
        reads: list[tuple[str, t.Callable[[], t.Any]]] = [
            (name, lambda name=name: getattr(request, name)) for name in ATTRIBUTES
        ]
        for name, read in [*reads, *CALLS.items()]:
            try:
                value = read()
                repr(value)
            except HTTPException:
                pass  # a 4xx, as Flask answers
            except Exception as exc:
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
        return {"failures": failures}

    return app


# Field values as HTTP/1.1 servers hand them on: visible ASCII, SP, HTAB, obs-text.
field_bytes = st.binary(max_size=48).map(
    lambda b: bytes(c for c in b if c == 9 or 32 <= c <= 126 or c >= 128).strip()
)
HEADER_NAMES = (
    "host",
    "cookie",
    "authorization",
    "accept",
    "accept-language",
    "accept-charset",
    "accept-encoding",
    "content-type",
    "content-encoding",
    "user-agent",
    "x-forwarded-for",
    "if-modified-since",
    "if-none-match",
    "range",
    "cache-control",
    "date",
    "origin",
    "referer",
    "pragma",
    "x-custom",
)
header_name = st.one_of(
    st.sampled_from(HEADER_NAMES).map(str.encode),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&'*+^`|~", min_size=1, max_size=12).map(
        str.encode
    ),
)
content_types = st.sampled_from(
    [
        b"application/json",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=b",
        b"multipart/form-data",
        b"text/plain; charset=\xff",
        b"application/json; charset=utf-16",
    ]
)
path_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@st.composite
def scopes(draw: st.DrawFn, raw_query: bool) -> tuple[dict[str, t.Any], bytes]:
    path = "/" + draw(path_text)
    query = draw(st.binary(max_size=60))
    if not raw_query:  # what h11-based servers pass on: ASCII (anything else is a 400)
        query = bytes(c for c in query if c < 128)
    headers = draw(st.lists(st.tuples(header_name, field_bytes), max_size=8))
    body = draw(st.one_of(st.just(b""), st.binary(max_size=120)))
    if body:
        headers.append((b"content-type", draw(content_types)))
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": draw(st.sampled_from(["1.0", "1.1"])),
        "method": "POST" if body else "GET",
        "scheme": draw(st.sampled_from(["http", "https"])),
        "path": path,
        "raw_path": quote(path, safe="/").encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": draw(st.sampled_from([("127.0.0.1", 5000), None])),
        "server": draw(st.sampled_from([("127.0.0.1", 8000), ("::1", 443), None])),
    }
    return scope, body


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[asyncio.Runner, FastAPI]]:
    with asyncio.Runner() as r:
        yield r, _app()


async def _call(app: FastAPI, scope: dict[str, t.Any], body: bytes) -> tuple[int, bytes]:
    messages: list[dict[str, t.Any]] = []
    delivered = False

    async def receive() -> dict[str, t.Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        messages.append(message)

    await asyncio.wait_for(app(scope, receive, send), 10)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, b"".join(
        m.get("body", b"") for m in messages if m["type"] == "http.response.body"
    )


SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run: a failure is never flaky
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _check(runner: tuple[asyncio.Runner, FastAPI], case: tuple[dict[str, t.Any], bytes]) -> None:
    loop, app = runner
    scope, body = case
    status, content = loop.run(_call(app, scope, body))
    assert status < 500, content[:500]
    if status == 200:
        assert b'"failures":[]' in content, content.decode("utf-8", "replace")


@SETTINGS
@given(scopes(raw_query=False))
def test_request_attributes_raise_only_http_exceptions(
    runner: tuple[asyncio.Runner, FastAPI], case: tuple[dict[str, t.Any], bytes]
) -> None:
    _check(runner, case)


@SETTINGS
@given(scopes(raw_query=True))
def test_request_attributes_raise_only_http_exceptions_for_raw_query_bytes(
    runner: tuple[asyncio.Runner, FastAPI], case: tuple[dict[str, t.Any], bytes]
) -> None:
    # ASGI passes the query string as the server received it; servers that do not
    # reject non-ASCII targets hand over raw bytes (see test_new_defects.py).
    _check(runner, case)
