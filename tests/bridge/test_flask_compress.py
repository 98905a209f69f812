"""Flask-Compress, unmodified: its after_request negotiates an algorithm from
Accept-Encoding and rewrites the response (``get_data``/``set_data``, Content-Length,
Content-Encoding, Vary, ETag, ``make_conditional``), or wraps a streamed body in a
compressor (``response.response = stream_with_context(...)``).

Bodies are compared decompressed, with the raw (still encoded) length checked against
Content-Length on each side. httpx decodes Content-Encoding itself, so the FastAPI side
reads the raw bytes from the harness client's httpx client (the harness has no raw mode),
and the Flask side reads its body in the request's worker thread (see ``fetch``).
"""

from __future__ import annotations

import gzip
import json as jsonlib
import typing as t
import zlib

import brotli
import pytest
from backports import zstd

from .apps import compress_app
from .harness import (
    SIDES,
    NewClient,
    Reply,
    differential,
    statuses,
)

pytestmark = pytest.mark.anyio

SCENARIO = compress_app.scenario
HEADERS = ("content-encoding", "content-length", "vary", "content-type", "etag")
DECODERS: dict[str, t.Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": zstd.decompress,
    "deflate": zlib.decompress,
}


async def fetch(
    c: t.Any,
    method: str,
    path: str,
    headers: dict[str, str],
    json: t.Any = None,
) -> Reply:
    """The reply with its body as sent (the harness's clients do not decode it)."""
    return t.cast(Reply, await c.request(method, path, headers=headers, json=json))


def observe(reply: Reply) -> tuple[t.Any, ...]:
    """Status, headers, the decoded body, whether the raw body is as long as
    Content-Length says (None without one), and whether a Date header was set."""
    status, headers, raw = reply.seen(*HEADERS)
    encoding = reply.header("content-encoding")
    body = raw
    if encoding and encoding[0] in DECODERS:
        try:
            body = DECODERS[encoding[0]](raw)
        except Exception as exc:  # a body that is not what Content-Encoding says
            body = f"<not {encoding[0]}: {exc!r}> ".encode() + raw[:60]
    length = reply.header("content-length")
    fits = int(length[0]) == len(raw) if length else None
    return status, headers, body, fits, bool(reply.header("date"))


def accept(encoding: str, **more: str) -> dict[str, str]:
    return {"Accept-Encoding": encoding, **more}


def items_body() -> bytes:
    """What Flask's JSON provider writes for ``/items``."""
    data = {"count": len(compress_app.ITEMS), "items": compress_app.ITEMS}
    return (jsonlib.dumps(data, separators=(",", ":"), sort_keys=True) + "\n").encode()


NEGOTIATION = {
    "gzip": "gzip",
    "br": "br",
    "zstd": "zstd",
    "deflate": "deflate",
    "gzip, deflate, br, zstd": "zstd",  # equal quality: the server's order
    "br;q=0.5, gzip;q=0.9": "gzip",
    "identity": None,
    "": None,
    "*": "zstd",
    "compress": None,
    "gzip;q=0, br": "br",
}


@pytest.mark.parametrize("side", SIDES)
async def test_large_json_is_compressed_by_accept_encoding(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [observe(await fetch(c, "GET", "/items", accept(e))) for e in NEGOTIATION]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * len(NEGOTIATION)
    for (_, headers, body, fits, _), chosen in zip(seen, NEGOTIATION.values(), strict=True):
        assert body == items_body()
        assert headers["content-encoding"] == ([chosen] if chosen else [])
        assert headers["vary"] == ["Accept-Encoding"]
        assert fits is True
        if chosen:
            assert int(headers["content-length"][0]) < len(body)


@pytest.mark.parametrize("side", SIDES)
async def test_what_is_left_alone(side: str) -> None:
    """Under COMPRESS_MIN_SIZE, a mimetype not listed, an encoded body, an error status;
    an existing Vary is extended."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            observe(await fetch(c, "GET", path, accept("gzip, br")))
            for path in ("/small", "/binary", "/precompressed", "/missing", "/text")
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200, 404, 200]
    small, binary, precompressed, missing, text = seen
    for s in (small, binary, missing):
        assert s[1]["content-encoding"] == []
        assert s[1]["vary"] == ["Accept-Encoding"]
    assert small[2] == b'{"ok":true}\n'
    assert precompressed[1]["content-encoding"] == ["gzip"]
    assert text[1]["content-encoding"] == ["br"]
    assert text[1]["vary"] == ["Origin, Accept-Encoding"]
    assert text[2] == compress_app.TEXT.encode()


@pytest.mark.parametrize("side", SIDES)
async def test_etag_gets_the_algorithm_and_conditional_requests_answer_304(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            observe(await fetch(c, "GET", "/tagged", headers))
            for headers in [
                accept("gzip"),
                accept("br"),
                accept("gzip", **{"If-None-Match": '"items-v1:gzip"'}),
                accept("br", **{"If-None-Match": '"items-v1:gzip"'}),
                accept("gzip", **{"If-None-Match": '"items-v1"'}),
                accept("identity", **{"If-None-Match": '"items-v1"'}),
            ]
        ]

    seen = await differential(SCENARIO, script, side)
    # Identity: nothing compressed, so Flask-Compress does not make it conditional.
    assert statuses(seen) == [200, 200, 304, 200, 200, 200]
    assert seen[0][1]["etag"] == ['"items-v1:gzip"']
    assert seen[1][1]["etag"] == ['"items-v1:br"']
    assert seen[2][2] == b""
    assert seen[0][4] is True  # make_conditional added a Date


@pytest.mark.parametrize("side", SIDES)
async def test_streamed_response_is_compressed_chunk_by_chunk(side: str) -> None:
    """A streamed body with br or zstd is compressed as it streams (no Content-Length);
    gzip is not among COMPRESS_ALGORITHM_STREAMING, so a gzip-only client gets it plain."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            observe(await fetch(c, "GET", "/stream", accept(e)))
            for e in ("br", "zstd", "deflate", "gzip", "identity")
        ]

    seen = await differential(SCENARIO, script, side)
    expected = "".join(compress_app.CHUNKS).encode() + b"path=/stream\n"
    assert statuses(seen) == [200] * 5
    for s, chosen in zip(seen, ("br", "zstd", "deflate", None, None), strict=True):
        assert s[1]["content-encoding"] == ([chosen] if chosen else [])
        assert s[1]["content-length"] == []
        assert s[1]["vary"] == ["Accept-Encoding"]
        assert s[2] == expected


@pytest.mark.parametrize("side", SIDES)
async def test_post_response_is_compressed(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        sent = {"name": "ann", "tags": list(range(20))}
        return [observe(await fetch(c, "POST", "/echo", accept("gzip"), json=sent))]

    seen = await differential(SCENARIO, script, side)
    assert seen[0][0] == 200
    assert seen[0][1]["content-encoding"] == ["gzip"]
    assert seen[0][4] is False  # no make_conditional for POST


CONFIGS = {
    "min-size": {"COMPRESS_MIN_SIZE": 10},
    "gzip-only": {"COMPRESS_ALGORITHM": "gzip", "COMPRESS_LEVEL": 1},
    "no-streams": {"COMPRESS_STREAMS": False},
    "not-registered": {"COMPRESS_REGISTER": False},
}


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("case", CONFIGS)
async def test_config(side: str, case: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            observe(await fetch(c, "GET", path, accept("br, gzip;q=0.8")))
            for path in ("/small", "/items", "/stream", "/decorated")
        ]

    seen = await differential(SCENARIO, script, side, config=CONFIGS[case])
    encodings = [s[1]["content-encoding"] for s in seen]
    assert (
        encodings
        == {
            "min-size": [["br"], ["br"], ["br"], ["br"]],
            # COMPRESS_ALGORITHM_STREAMING is its own list: a stream still gets br.
            "gzip-only": [[], ["gzip"], ["br"], ["gzip"]],
            "no-streams": [[], ["br"], [], ["br"]],
            "not-registered": [[], [], [], ["br"]],
        }[case]
    )
