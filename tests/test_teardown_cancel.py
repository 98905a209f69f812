"""SPEC: Hooks — teardown always runs, also when the request is cancelled
while teardown hooks are running (a server or test client shutting down)."""

from __future__ import annotations

import anyio
import pytest
from fastapi import FastAPI
from support import http_scope

from fastapi_flaskcompat import FlaskCompat, g

pytestmark = pytest.mark.anyio


async def test_cancel_during_teardown_still_runs_every_teardown_hook() -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    torn: list[str] = []
    in_teardown = anyio.Event()

    @compat.teardown_request
    async def slow(exc: BaseException | None) -> None:
        in_teardown.set()
        await anyio.sleep(0.05)  # the cancellation arrives here
        torn.append(f"request:{g.user}")

    @compat.teardown_request
    def blocking(exc: BaseException | None) -> None:  # threadpool: a second suspension
        torn.append(f"sync:{g.user}")

    @compat.teardown_appcontext
    def close_db(exc: BaseException | None) -> None:
        torn.append(f"app:{g.user}")

    @app.get("/")
    async def index() -> str:
        g.user = "ann"
        return "ok"

    scope = http_scope("/", method="GET")
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async with anyio.create_task_group() as tg:
        tg.start_soon(app, scope, receive, send)
        await in_teardown.wait()
        tg.cancel_scope.cancel()
    assert sent[0]["status"] == 200
    # Teardown order is reversed registration order; none was skipped.
    assert torn == ["sync:ann", "request:ann", "app:ann"]
