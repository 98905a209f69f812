"""Shared pieces of the request-body tests: bodies, the legacy helper, ASGI drivers."""

from __future__ import annotations

import json
import typing as t
from collections.abc import AsyncIterator, Callable

import anyio
from starlette.types import ASGIApp, Message
from werkzeug.exceptions import HTTPException

B = "XyZb0undary"

MULTIPART = (
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="name"\r\n\r\n'
    "Zoë ✓ + 100%\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="tag"\r\n\r\n'
    "one\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="clé"\r\n\r\n'
    "välue\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="tag"\r\n\r\n'
    "two\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="f"; filename="résumé.txt"\r\n'
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "first file ✓\r\nsecond line\r\n"
    f"--{B}\r\n"
    "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve.bin\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
).encode() + (
    bytes(range(256))
    + f"\r\n--{B}X not a boundary\r\n"
    f"\r\n--{B}\r\n"
    'Content-Disposition: form-data; name="g"; filename="empty.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
    f"\r\n--{B}--\r\n".encode()
)

JSON_DOC = {"a": "ünïcødé ✓ 😀", "n": [1, {"x": [True, None, 1.5, -0.0]}], "": {"deep": [[[]]]}}

#: name -> (content type, body bytes, preloaded by default)
BODIES: dict[str, tuple[str, bytes, bool]] = {
    "multipart": (f"multipart/form-data; boundary={B}", MULTIPART, True),
    "urlencoded": (
        "application/x-www-form-urlencoded",
        b"q=a+b&p=100%25&t=%E2%9C%93&q=c%2Bd&empty=&flag&bad=%zz&caf%C3%A9=%C3%A9t%C3%A9",
        True,
    ),
    "urlencoded_latin1": ("application/x-www-form-urlencoded", b"a=%FF%FE&b=\xff\xe9", True),
    "json": ("application/json", json.dumps(JSON_DOC, ensure_ascii=False).encode(), True),
    "json_escaped": ("application/json; charset=utf-8", json.dumps(JSON_DOC).encode(), True),
    "json_vendor": ("application/vnd.api+json", b'{"data": [{"id": "1"}]}', True),
    "json_utf16": ("application/json", json.dumps(JSON_DOC).encode("utf-16"), True),
    "json_invalid": ("application/json", b'{"a": [1, 2', True),
    "json_as_text": ("text/plain", b'{"a": 1}', False),
    "octets": ("application/octet-stream", bytes(range(256)) * 4, False),
    "multipart_no_boundary": ("multipart/form-data", MULTIPART, True),
    "multipart_truncated": (f"multipart/form-data; boundary={B}", MULTIPART[:300], True),
    "multipart_garbage": (f"multipart/form-data; boundary={B}", b"no parts here\r\n", True),
    "multipart_wrong_boundary": ("multipart/form-data; boundary=other", MULTIPART, True),
}


def _files(files: t.Any) -> list[t.Any]:
    return [
        [k, fs.name, fs.filename, fs.content_type, fs.mimetype, fs.read().decode("latin-1")]
        for k, fs in files.items(multi=True)
    ]


OPS: dict[str, Callable[[t.Any], t.Any]] = {
    "data": lambda r: r.data.decode("latin-1"),
    "get_data": lambda r: r.get_data().decode("latin-1"),
    "get_data_text": lambda r: r.get_data(as_text=True),
    "get_data_nocache": lambda r: r.get_data(cache=False).decode("latin-1"),
    "get_data_parse_form": lambda r: r.get_data(parse_form_data=True).decode("latin-1"),
    "form": lambda r: list(r.form.items(multi=True)),
    "files": lambda r: _files(r.files),
    "values": lambda r: list(r.values.items(multi=True)),
    "stream": lambda r: r.stream.read().decode("latin-1"),
    "input_stream": lambda r: r.input_stream.read().decode("latin-1"),
    "wsgi_input": lambda r: r.environ["wsgi.input"].read().decode("latin-1"),
    "is_json": lambda r: r.is_json,
    "json": lambda r: r.json,
    "get_json": lambda r: r.get_json(),
    "get_json_silent": lambda r: r.get_json(silent=True),
    "get_json_force": lambda r: r.get_json(force=True),
    "get_json_force_silent": lambda r: r.get_json(force=True, silent=True),
    "get_json_nocache": lambda r: r.get_json(cache=False),
    "meta": lambda r: [r.mimetype, r.content_type, r.content_length, r.mimetype_params],
}

#: Werkzeug's results depend on the order of access: each scenario is one request.
SCENARIOS: dict[str, list[str]] = {
    "data_first": ["meta", "data", "form", "files", "values", "get_data"],
    "get_data_first": ["get_data", "form", "files", "values", "data"],
    "form_first": ["form", "files", "get_data", "data", "stream"],
    "files_first": ["files", "form", "get_data_text"],
    "json": ["is_json", "get_json", "get_json_silent", "json", "get_data_text"],
    "json_silent_first": ["get_json_silent", "get_json", "get_json_force"],
    "json_force": ["get_json_force_silent", "get_json_force", "get_json"],
    "json_nocache": ["get_json_nocache", "get_json_nocache", "get_json_silent"],
    "stream": ["stream", "get_data", "form"],
    "input_stream": ["input_stream"],
    "wsgi_input": ["wsgi_input"],
    "nocache": ["get_data_nocache", "get_data_nocache", "form"],
    "parse_form": ["get_data_parse_form", "form", "files", "get_data"],
}


def observe(request: t.Any, scenario: str) -> list[t.Any]:
    """The legacy helper: read the body the way ``scenario`` says, record everything."""
    out: list[t.Any] = []
    for op in SCENARIOS[scenario]:
        try:
            out.append([op, OPS[op](request)])
        except HTTPException as e:
            out.append([op, "error", e.code, e.description])
    return out


# -- driving an ASGI app by hand ------------------------------------------------


def http_scope(
    path: str,
    headers: list[tuple[bytes, bytes]],
    method: str = "POST",
    query_string: bytes = b"",
) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "headers": [(b"host", b"test"), *headers],
    }


class Exchange:
    """One request driven by hand: its messages, the response and how much was read."""

    def __init__(self, chunks: AsyncIterator[Message]) -> None:
        self.chunks = chunks
        self.received = 0
        self.status: int | None = None
        self.body = b""
        self.finished = anyio.Event()

    async def receive(self) -> Message:
        self.received += 1
        try:
            return await self.chunks.__anext__()
        except StopAsyncIteration:
            await self.finished.wait()
            return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                self.finished.set()

    async def run(self, app: ASGIApp, scope: dict[str, t.Any]) -> None:
        with anyio.fail_after(10):
            await app(scope, self.receive, self.send)


async def body_messages(data: bytes, size: int = 64 * 1024) -> AsyncIterator[Message]:
    for i in range(0, len(data), size):
        chunk = data[i : i + size]
        yield {"type": "http.request", "body": chunk, "more_body": i + size < len(data)}
    if not data:
        yield {"type": "http.request", "body": b"", "more_body": False}
