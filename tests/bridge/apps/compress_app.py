"""A Flask-Compress app: large JSON and text bodies, a small one, a streamed one, ETags."""

from __future__ import annotations

import gzip
import typing as t

from flask import Response, jsonify, make_response, request, stream_with_context
from flask_compress import Compress

from ..harness import Route, Scenario

compress = Compress()

ITEMS = [{"id": i, "name": f"item-{i}", "tags": ["a", "b", "c"]} for i in range(200)]
TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(300))
CHUNKS = [f"chunk {i}: {'x' * 200}\n" for i in range(50)]


def init_app(app: t.Any) -> None:
    compress.init_app(app)


def items() -> t.Any:
    return {"items": ITEMS, "count": len(ITEMS)}


def small() -> t.Any:
    return {"ok": True}


def text() -> t.Any:
    return TEXT, 200, {"Content-Type": "text/plain; charset=utf-8", "Vary": "Origin"}


def binary() -> t.Any:
    """Not a compressible mimetype."""
    return Response(b"\x89PNG" + bytes(range(256)) * 8, mimetype="image/png")


def precompressed() -> t.Any:
    """Already encoded by the view: left alone."""
    body = gzip.compress(b"z" * 1000, mtime=0)
    return Response(body, mimetype="text/plain", headers={"Content-Encoding": "gzip"})


def tagged() -> t.Any:
    """A strong ETag: Flask-Compress suffixes it with the algorithm and answers
    conditional requests."""
    response = make_response(jsonify(ITEMS))
    response.set_etag("items-v1")
    return response


def missing() -> t.Any:
    """A large error body: status >= 300 is never compressed."""
    return {"error": "not found", "detail": TEXT}, 404


def stream() -> t.Any:
    def generate() -> t.Iterator[str]:
        yield from CHUNKS
        yield f"path={request.path}\n"

    return Response(stream_with_context(generate()), mimetype="text/plain")


def echo() -> t.Any:
    return {"method": request.method, "body": request.get_json(), "pad": TEXT}


@compress.compressed()
def decorated() -> t.Any:
    """Compressed through ``after_this_request`` even when COMPRESS_REGISTER is off."""
    return {"decorated": True, "items": ITEMS}


scenario = Scenario(
    import_name=__name__,
    init_app=init_app,
    routes=[
        Route("/items", "items", items),
        Route("/small", "small", small),
        Route("/text", "text", text),
        Route("/binary", "binary", binary),
        Route("/precompressed", "precompressed", precompressed),
        Route("/tagged", "tagged", tagged),
        Route("/missing", "missing", missing),
        Route("/stream", "stream", stream),
        Route("/echo", "echo", echo, ("POST",)),
        Route("/decorated", "decorated", decorated),
    ],
)
