"""Teardown under asyncio's native cancellation (``Task.cancel()``), which anyio's
shields do not stop: what servers do at a graceful-shutdown timeout.

tests/reliability/test_defects.py has issue 11's reproductions (one cancel, a
second cancel during teardown, real servers); these cover the bound on the
wait, a cancelled request that ran no thread, and the lifespan shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import typing as t

import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat, g

Message = dict[str, t.Any]


def _scope(path: str) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"t")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _never() -> Message:
    await asyncio.sleep(3600)
    raise AssertionError


async def _drop(message: Message) -> None:
    pass


def _app(
    events: list[str], started: threading.Event, view_seconds: float, **config: t.Any
) -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(app, config=config)

    @compat.before_request
    def load() -> None:
        g.db = "open"

    @compat.teardown_request
    def close(exc: BaseException | None) -> None:
        events.append(f"teardown db={g.db}")
        g.db = "closed"

    @app.get("/sync")
    def sync_view() -> str:
        events.append("view-start")
        started.set()
        time.sleep(view_seconds)
        events.append(f"view-end db={g.db}")
        return "done"

    @app.get("/async")
    async def async_view() -> str:
        events.append("view-start")
        started.set()
        await asyncio.sleep(3600)
        return "never"

    return app


async def _wait_for(predicate: t.Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_the_wait_for_the_view_thread_is_bounded_by_config(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> tuple[list[str], float]:
        events: list[str] = []
        started = threading.Event()
        app = _app(events, started, 1.0, FLASKCOMPAT_TEARDOWN_WAIT=0.2)
        task = asyncio.create_task(app(_scope("/sync"), _never, _drop))
        await _wait_for(started.is_set)
        t0 = time.monotonic()
        task.cancel()
        await _wait_for(lambda: any(e.startswith("teardown") for e in events))
        waited = time.monotonic() - t0
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await _wait_for(lambda: any(e.startswith("view-end") for e in events))
        return events, waited

    with caplog.at_level(logging.WARNING):
        events, waited = asyncio.run(main())
    # A view stuck longer than the bound is torn down under it, and it is logged.
    assert events == ["view-start", "teardown db=open", "view-end db=closed"]
    assert 0.2 <= waited < 0.8
    assert "FLASKCOMPAT_TEARDOWN_WAIT" in caplog.text


def test_cancelled_async_view_tears_down_at_once() -> None:
    async def main() -> tuple[list[str], float]:
        events: list[str] = []
        started = threading.Event()
        app = _app(events, started, 0)
        task = asyncio.create_task(app(_scope("/async"), _never, _drop))
        await _wait_for(started.is_set)
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        return events, time.monotonic() - t0

    events, seconds = asyncio.run(main())
    assert events == ["view-start", "teardown db=open"]
    assert seconds < 0.5  # no thread of its own: nothing to wait for


def test_lifespan_shutdown_waits_for_cancelled_requests_to_tear_down() -> None:
    # uvicorn cancels in-flight requests at its graceful-shutdown timeout, then
    # runs the lifespan shutdown and leaves the loop, cancelling what is left.
    async def main() -> list[str]:
        events: list[str] = []
        started = threading.Event()
        app = _app(events, started, 0.5)
        lifespan_in: asyncio.Queue[Message] = asyncio.Queue()

        async def lifespan_send(message: Message) -> None:
            events.append(message["type"])

        lifespan = asyncio.create_task(
            app({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_in.get, lifespan_send)
        )
        await lifespan_in.put({"type": "lifespan.startup"})
        await _wait_for(lambda: "lifespan.startup.complete" in events)
        task = asyncio.create_task(app(_scope("/sync"), _never, _drop))
        await _wait_for(started.is_set)
        task.cancel()
        await lifespan_in.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(lifespan, 5)
        with pytest.raises(asyncio.CancelledError):
            await task
        return events

    events = asyncio.run(main())
    assert events == [
        "lifespan.startup.complete",
        "view-start",
        "view-end db=open",
        "teardown db=open",
        "lifespan.shutdown.complete",
    ]
