"""Bad input, table-driven: the same bytes on the wire to Flask and to FastAPI + FlaskCompat.

Each input goes to a ``flask.Flask`` app under Werkzeug's server and to the
ported app under each ASGI server, where a legacy helper reads
``request.args``, ``host``, ``url``, cookies, ``authorization``,
``accept_mimetypes``, ``get_json()``, ``form``/``files``... The answer
must be of Flask's status class (a 4xx where Flask says 4xx, never a 500)
and must come (never a hang). Where the HTTP server itself decides (limits
on request lines and headers, malformed framing) servers differ among
themselves; those rows, marked ``server``, only require "not a 5xx, no hang".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from . import wire
from .servers import serve

OURS = "benchmarks.stress.apps:badinput_app"
FLASK = "benchmarks.stress.apps:badinput_flask_app"
LIMIT = 1024 * 1024  # MAX_CONTENT_LENGTH of both apps
#: Graceful-shutdown seconds of the servers here: hypercorn-trio otherwise waits
#: (up to the stop's 10 s bound) for connections whose body it never read.
QUICK_STOP = 1.0


def _req(
    method: str, target: bytes, headers: list[bytes] | None = None, body: bytes = b""
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    if not any(h.lower().startswith(b"host:") for h in headers or []):
        lines.append(b"Host: 127.0.0.1")
    lines += headers or []
    if body and not any(
        h.lower().startswith((b"content-length", b"transfer-encoding")) for h in headers or []
    ):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _chunked(body: bytes, size: int = 65536) -> bytes:
    out = b"".join(
        f"{len(body[i : i + size]):x}\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    )
    return out + b"0\r\n\r\n"


def _multipart(parts: int) -> tuple[bytes, bytes]:
    boundary = b"b0undary"
    body = b"".join(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
        for i in range(parts)
    )
    return b"multipart/form-data; boundary=" + boundary, body + b"--" + boundary + b"--\r\n"


JSON = b"Content-Type: application/json"
FORM = b"Content-Type: application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[bytes], bytes]  # route prefix (b"/legacy") -> the raw request
    server: bool = False  # the HTTP server decides: only "no 5xx, no hang"
    drip: float = 0.0  # seconds between bytes of the body (slow client)
    body_types: bool = False  # a body the async route can only read when preloaded
    # The status class SPEC asks for where Flask answers a 5xx (docs/decisions.md).
    departure: str | None = None


def _get(target: bytes, *headers: bytes) -> Callable[[bytes], bytes]:
    return lambda prefix: _req("GET", prefix + target, list(headers))


def _post(
    ctype: bytes, body: bytes, *headers: bytes, target: bytes = b"/x"
) -> Callable[[bytes], bytes]:
    return lambda prefix: _req("POST", prefix + target, [b"Content-Type: " + ctype, *headers], body)


def _mp(parts: int) -> Callable[[bytes], bytes]:
    ctype, body = _multipart(parts)
    return _post(ctype, body)


def _truncated_multipart() -> Callable[[bytes], bytes]:
    ctype, body = _multipart(3)
    return _post(ctype, body[: len(body) // 2])


def _huge_chunked(n: int) -> Callable[[bytes], bytes]:
    body = json.dumps({"a": "x" * n}).encode()
    return lambda prefix: _req(
        "POST", prefix + b"/x", [JSON, b"Transfer-Encoding: chunked"], _chunked(body)
    )


CASES: tuple[Case, ...] = (
    Case("baseline", _get(b"/x?a=1&b=2")),
    Case("bad percent-encoding in path", _get(b"/%zz%")),
    Case("bad percent-encoding in query", _get(b"/x?a=%zz&b=%&%=c")),
    Case("non-UTF-8 percent-encoded path", _get(b"/%ff%fe%c3")),
    Case("non-UTF-8 percent-encoded query", _get(b"/x?a=%ff&%fe=b")),
    Case("NUL percent-encoded in path and query", _get(b"/%00?a=%00")),
    Case("raw non-ASCII byte in path", _get(b"/\xff\xe9"), server=True),
    Case("raw non-ASCII byte in query", _get(b"/x?a=\xe9\xff"), server=True),
    Case("non-UTF-8 header value", _get(b"/x", b"X-Name: \xff\xfe\xe9")),
    Case("non-UTF-8 cookie", _get(b"/x", b"Cookie: a=\xff\xfe; b=\xe9")),
    Case("garbage cookie", _get(b"/x", b'Cookie: ;;;=;=x;";a="b;c=d\\"')),
    Case("garbage Authorization", _get(b"/x", b"Authorization: Basic !!!*not-base64")),
    Case("Authorization with no credentials", _get(b"/x", b"Authorization: Digest")),
    Case("garbage Accept", _get(b"/x", b"Accept: text/html;q=abc, */*;q=, ;;;")),
    Case(
        "garbage User-Agent and X-Forwarded-For",
        _get(b"/x", b"User-Agent: \xff\x01", b"X-Forwarded-For: ::::, ,"),
    ),
    Case("garbage Host: space", _get(b"/x", b"Host: a b")),
    Case("garbage Host: unclosed IPv6", _get(b"/x", b"Host: [::1")),
    Case("garbage Host: bad port", _get(b"/x", b"Host: evil.com:99999x")),
    Case("garbage Host: a 64-character label", _get(b"/x", b"Host: " + b"h" * 64 + b".com")),
    Case("garbage Host: 2,000 characters", _get(b"/x", b"Host: " + b"h" * 2000)),
    Case("two Host headers", _get(b"/x", b"Host: 127.0.0.1", b"Host: second.example"), server=True),
    Case("query of 6,000 bytes", _get(b"/x?q=" + b"a" * 6000)),
    Case("query of 60,000 bytes", _get(b"/x?q=" + b"a" * 60000), server=True),
    Case(
        "10,000 query parameters",
        _get(b"/x?" + b"&".join(b"p%d=1" % i for i in range(10000))),
        server=True,
    ),
    Case("one 6,000-byte header", _get(b"/x", b"X-Big: " + b"v" * 6000)),
    Case("one 70,000-byte header", _get(b"/x", b"X-Big: " + b"v" * 70000), server=True),
    Case("500 headers", _get(b"/x", *(b"X-H%d: v" % i for i in range(500))), server=True),
    Case("path of 8,000 bytes", _get(b"/" + b"p" * 8000), server=True),
    Case("unknown method", lambda prefix: _req("BREW", prefix + b"/x")),
    Case("invalid JSON", _post(b"application/json", b'{"a": '), body_types=True),
    Case(
        "JSON with invalid UTF-8", _post(b"application/json", b'{"a": "\xff\xfe"}'), body_types=True
    ),
    Case(
        "empty JSON body",
        lambda prefix: _req("POST", prefix + b"/x", [JSON, b"Content-Length: 0"]),
        body_types=True,
    ),
    Case(
        "JSON nested 100,000 deep",
        _post(b"application/json", b"[" * 100000 + b"]" * 100000),
        body_types=True,
        departure="4xx",  # Flask: RecursionError, a 500; SPEC: invalid JSON is a 400
    ),
    Case(
        "JSON integer of 10,000 digits", _post(b"application/json", b"1" * 10000), body_types=True
    ),
    Case(
        "JSON of 900 KB (under the limit)",
        _post(b"application/json", json.dumps({"a": "x" * 900_000}).encode()),
        body_types=True,
    ),
    Case(
        "JSON of 2 MiB with Content-Length",
        _post(b"application/json", json.dumps({"a": "x" * 2 * LIMIT}).encode()),
        body_types=True,
    ),
    Case("JSON of 2 MiB chunked", _huge_chunked(2 * LIMIT), body_types=True),
    Case(
        "form of 900 KB (over MAX_FORM_MEMORY_SIZE)",
        _post(b"application/x-www-form-urlencoded", b"a=" + b"x" * 900_000),
        body_types=True,
    ),
    Case(
        "form with 5,000 fields",
        _post(b"application/x-www-form-urlencoded", b"&".join(b"f%d=v" % i for i in range(5000))),
        body_types=True,
    ),
    Case("multipart with 5,000 parts", _mp(5000), body_types=True),
    Case(
        "multipart without boundary", _post(b"multipart/form-data", b"--x\r\n\r\n"), body_types=True
    ),
    Case("multipart cut in the middle", _truncated_multipart(), body_types=True),
    Case(
        "bad Content-Length",
        lambda prefix: _req("POST", prefix + b"/x", [JSON, b"Content-Length: 1x"], b"{}"),
        server=True,
    ),
    Case(
        "bad chunk size",
        lambda prefix: _req(
            "POST", prefix + b"/x", [JSON, b"Transfer-Encoding: chunked"], b"zz\r\n{}\r\n0\r\n\r\n"
        ),
        server=True,
    ),
    Case(
        "slow drip: JSON, one byte per 20 ms",
        _post(b"application/json", b'{"slow": [1, 2, 3]}'),
        drip=0.02,
        body_types=True,
    ),
)


def status_class(outcome: str) -> str:
    """``"2xx"``, ``"4xx"``, ``"5xx"``, or the failure (``"timeout"``, ``"closed"``)."""
    return f"{outcome[0]}xx" if outcome[:1].isdigit() else outcome


@dataclass
class Row:
    case: Case
    route: str
    flask: str
    ours: str

    @property
    def ok(self) -> bool:
        ours = status_class(self.ours)
        if ours in ("5xx", "timeout") or ours.startswith("send"):
            return False
        if self.case.server:
            return True
        if self.case.departure is not None:
            return ours == self.case.departure
        return ours == status_class(self.flask)


@dataclass
class BadInputResult:
    server: str
    rows: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)


async def send(port: int, case: Case, prefix: bytes, timeout: float = 10.0) -> str:
    raw = case.build(prefix)
    method = raw.split(b" ", 1)[0].decode()
    conn = await wire.Connection.open(port)
    try:
        if case.drip:
            head, _, body = raw.partition(b"\r\n\r\n")
            await conn.send(head + b"\r\n\r\n")
            for i in range(len(body) - 1):
                await conn.send(body[i : i + 1])
                await asyncio.sleep(case.drip)
            raw = body[-1:]
        reply = await conn.exchange(raw, timeout=timeout, method=method)
    finally:
        conn.close()
    return reply.outcome


async def flask_answers(cases: tuple[Case, ...] = CASES) -> dict[str, str]:
    with serve("flask", FLASK, graceful=QUICK_STOP) as server:
        return {case.name: await send(server.port, case, b"/legacy") for case in cases}


async def run(kind: str, flask: dict[str, str], cases: tuple[Case, ...] = CASES) -> BadInputResult:
    result = BadInputResult(kind)
    with serve(kind, OURS, graceful=QUICK_STOP) as server:
        for case in cases:
            for route in ("/legacy", "/legacy-async"):
                ours = await send(server.port, case, route.encode())
                result.rows.append(Row(case, route, flask[case.name], ours))
    return result
