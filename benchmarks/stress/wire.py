"""A tiny HTTP/1.1 client over raw sockets, for what httpx will not send or tell.

Requests are sent as raw bytes (so malformed ones can be sent as they are);
responses are parsed with h11. A :class:`Reply` says whether the response
was complete and whether the connection can carry the next request, which
the fault matrix needs to test "the next request on the same connection".
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import h11

from .servers import HOST


@dataclass
class Reply:
    status: int | None  # None: no response at all
    body: bytes
    complete: bool  # the whole body arrived
    reusable: bool  # the connection stays open for the next request
    error: str = ""  # "timeout", "closed", "reset", "protocol: ..."
    headers: list[tuple[bytes, bytes]] | None = None

    def header(self, name: str) -> bytes | None:
        key = name.lower().encode()
        return next((v for k, v in self.headers or [] if k.lower() == key), None)

    @property
    def outcome(self) -> str:
        """``"200"``; ``"200-truncated"`` (headers, then a cut body); ``"closed"``..."""
        if self.status is None:
            return self.error or "closed"
        return str(self.status) if self.complete else f"{self.status}-truncated"


def request_bytes(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body and not any(
        k.lower() in ("content-length", "transfer-encoding") for k in headers or {}
    ):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One client connection: ``await conn.exchange(raw)`` for each request."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.closed = False

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def exchange(
        self, raw: bytes, *, timeout: float = 10.0, method: str = "GET", max_body: int = 1 << 22
    ) -> Reply:
        """Send ``raw`` (a whole request), read the response."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        # h11 tracks the exchange: tell it a request went out (the bytes are ours).
        self.h11.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
        self.h11.send(h11.EndOfMessage())
        try:
            await self.send(raw)
        except OSError as exc:
            return self._done(Reply(None, b"", False, False, f"send: {type(exc).__name__}"))
        try:
            return await asyncio.wait_for(self._read(max_body), timeout)
        except TimeoutError:
            return self._done(Reply(None, b"", False, False, "timeout"))

    async def _read(self, max_body: int) -> Reply:
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                return self._done(Reply(status, bytes(body), False, False, f"protocol: {exc}"))
            if event is h11.NEED_DATA:
                try:
                    data = await self.reader.read(65536)
                except OSError as exc:
                    data = b""
                    error = "reset" if isinstance(exc, ConnectionResetError) else str(exc)
                else:
                    error = "closed"
                if not data:
                    self.h11.receive_data(b"")
                    if status is None:
                        return self._done(Reply(None, b"", False, False, error))
                    continue
                self.h11.receive_data(data)
            elif isinstance(event, h11.InformationalResponse):
                continue
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = list(event.headers)
            elif isinstance(event, h11.Data):
                if len(body) < max_body:
                    body += event.data
            elif isinstance(event, h11.EndOfMessage):
                reusable = self.h11.their_state is h11.DONE and self.h11.our_state is h11.DONE
                reply = Reply(status, bytes(body), True, reusable, headers=headers)
                return reply if reusable else self._done(reply)
            elif isinstance(event, h11.ConnectionClosed):
                return self._done(Reply(status, bytes(body), False, False, "closed", headers))

    def _done(self, reply: Reply) -> Reply:
        self.close()
        return reply

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self.writer.close()


async def one(port: int, raw: bytes, *, timeout: float = 10.0, method: str = "GET") -> Reply:
    """A single request on a fresh connection."""
    conn = await Connection.open(port)
    try:
        return await conn.exchange(raw, timeout=timeout, method=method)
    finally:
        conn.close()
