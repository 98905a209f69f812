"""What many tests share: clients, hand-built ASGI scopes and exchanges."""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterator

import anyio
import httpx
from starlette.types import ASGIApp, Message


def client_for(
    app: t.Any, *, raise_app_exceptions: bool = False, base_url: str = "http://t"
) -> httpx.AsyncClient:
    """An httpx client calling ``app`` in-process (the 500 response, not the
    exception, unless ``raise_app_exceptions``)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def post(app: t.Any, path: str, **kwargs: t.Any) -> httpx.Response:
    """One POST through a fresh client."""
    async with client_for(app, raise_app_exceptions=True) as client:
        return await client.post(path, **kwargs)


# -- driving an ASGI app by hand ------------------------------------------------


def http_scope(
    path: str = "/",
    headers: t.Sequence[tuple[bytes, bytes]] = (),
    method: str = "POST",
    query_string: bytes = b"",
    spec_version: str | None = None,
) -> dict[str, t.Any]:
    """A raw http scope, for tests that drive the app by hand."""
    asgi = (
        {"version": "3.0"}
        if spec_version is None
        else {"version": "3.0", "spec_version": spec_version}
    )
    return {
        "type": "http",
        "asgi": asgi,
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
