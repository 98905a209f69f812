"""The README promise: change the import, add one line, helpers run."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat, current_app, g, request

pytestmark = pytest.mark.anyio


def current_user() -> str:
    # A legacy helper: reads request-local state instead of taking arguments.
    return f"{g.user}@{current_app.name}:{request.args.get('n', type=int)}"


async def test_helper_runs_in_async_and_sync_endpoints() -> None:
    app = FastAPI(title="svc")
    compat = FlaskCompat(app)

    @compat.before_request
    def load_user() -> None:
        g.user = request.headers["X-User"]

    @app.get("/async")
    async def async_view() -> str:
        return current_user()

    @app.get("/sync")
    def sync_view() -> str:
        return current_user()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/async", "/sync"):
            r = await client.get(path, params={"n": "7"}, headers={"X-User": "ann"})
            assert r.json() == "ann@svc:7"
