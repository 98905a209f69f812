"""Flask-CORS, unmodified: headers on simple responses, on errors, and on preflights."""

from __future__ import annotations

import typing as t

import pytest

from .apps import cors_app
from .harness import SIDES, NewClient, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = cors_app.scenario
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "allow",
    "vary",
    "content-type",
)
FROM_APP = {"Origin": cors_app.ALLOWED}
FROM_ELSEWHERE = {"Origin": "https://evil.example"}


@pytest.mark.parametrize("side", SIDES)
async def test_simple_requests(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request(method, path, headers=headers)).seen(*CORS_HEADERS, "x-total")
            for method, path, headers in [
                ("GET", "/api/data", FROM_APP),
                ("POST", "/api/data", FROM_APP),
                ("GET", "/api/data", FROM_ELSEWHERE),
                ("GET", "/api/data", None),
                ("GET", "/public", FROM_APP),
                ("GET", "/api/forbidden", FROM_APP),  # an error response gets them too
                ("GET", "/open", FROM_ELSEWHERE),
            ]
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200, 200, 200, 403, 200]
    # Without an Origin header too: Flask-CORS's ``always_send``.
    for i in (0, 1, 3, 5):
        assert seen[i][1]["access-control-allow-origin"] == [cors_app.ALLOWED]
        assert seen[i][1]["access-control-allow-credentials"] == ["true"]
    assert seen[0][1]["access-control-expose-headers"] == ["X-Total"]
    for i in (2, 4):
        assert seen[i][1]["access-control-allow-origin"] == []
    # origins="*" without send_wildcard: the request origin is echoed.
    assert seen[6][1]["access-control-allow-origin"] == ["https://evil.example"]


@pytest.mark.parametrize("side", SIDES)
async def test_preflight(side: str) -> None:
    """OPTIONS without an OPTIONS view: Flask's automatic answer, with CORS headers."""

    def preflight(origin: str, method: str, headers: str | None = None) -> dict[str, str]:
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            h["Access-Control-Request-Headers"] = headers
        return h

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request("OPTIONS", path, headers=headers)).seen(*CORS_HEADERS)
            for path, headers in [
                ("/api/data", preflight(cors_app.ALLOWED, "POST", "X-Custom, Content-Type")),
                ("/api/data", preflight(cors_app.ALLOWED, "PUT")),
                ("/api/data", preflight("https://evil.example", "POST")),
                ("/public", preflight(cors_app.ALLOWED, "GET")),
                ("/open", preflight("https://evil.example", "PUT")),
            ]
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 5
    first = seen[0][1]
    assert first["access-control-allow-origin"] == [cors_app.ALLOWED]
    assert first["access-control-allow-headers"] == ["Content-Type, X-Custom"]
    assert first["access-control-max-age"] == ["600"]
    assert first["allow"] == ["GET, HEAD, OPTIONS, POST"]
    assert seen[2][1]["access-control-allow-origin"] == []
    assert seen[4][1]["access-control-allow-methods"] == ["GET, PUT"]
