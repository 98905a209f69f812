"""Flask-CORS, unmodified: headers on simple responses, on errors, and on preflights."""

from __future__ import annotations

import typing as t

import anyio
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


CLIENTS = 20


def tenant_requests(i: int) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Client ``i``'s requests: its allowed origin, a refused one, one ``cross_origin`` echoes."""
    allowed, refused = f"https://t{i}.example", f"https://x{i}.example"
    asks = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-Custom"}
    return {
        "get": ("GET", "/tenants/echo", {"Origin": allowed}),
        "post": ("POST", "/tenants/echo", {"Origin": allowed}),
        "preflight": ("OPTIONS", "/tenants/echo", {"Origin": allowed, **asks}),
        "refused-get": ("GET", "/tenants/echo", {"Origin": refused}),
        "refused-preflight": ("OPTIONS", "/tenants/echo", {"Origin": refused, **asks}),
        "echoed": ("GET", "/open", {"Origin": f"https://o{i}.example"}),
    }


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_origins_each_get_only_their_own_answer(side: str) -> None:
    """20 clients from 20 origins send simple requests and preflights, 120 at once, from
    allowed and refused origins; each Access-Control-Allow-Origin names its own request's
    Origin or nothing."""

    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[tuple[int, str], t.Any] = {}

        async def send(i: int, c: t.Any, name: str, method: str, path: str, h: t.Any) -> None:
            answers[i, name] = (await c.request(method, path, headers=h)).seen(*CORS_HEADERS)

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                c = new_client()
                for name, request in tenant_requests(i).items():
                    tg.start_soon(send, i, c, name, *request)
        return [answers[i, name] for i in range(CLIENTS) for name in tenant_requests(i)]

    seen = await differential(SCENARIO, script, side)
    per_client = len(tenant_requests(0))
    for i in range(CLIENTS):
        mine = seen[i * per_client : (i + 1) * per_client]
        got = dict(zip(tenant_requests(i), mine, strict=True))
        allowed, refused = f"https://t{i}.example", f"https://x{i}.example"
        assert statuses(mine) == [200] * per_client
        for name in ("get", "post", "preflight"):
            assert got[name][1]["access-control-allow-origin"] == [allowed], name
            assert got[name][1]["vary"] == ["Origin"], name
        for name in ("get", "post"):
            method = name.upper()
            assert got[name][2] == f'{{"method":"{method}","origin":"{allowed}"}}\n'.encode()
        assert got["preflight"][1]["access-control-allow-headers"] == ["X-Custom"]
        assert got["refused-get"][1]["access-control-allow-origin"] == []
        assert got["refused-get"][2] == f'{{"method":"GET","origin":"{refused}"}}\n'.encode()
        assert got["refused-preflight"][1]["access-control-allow-origin"] == []
        echoed = got["echoed"][1]["access-control-allow-origin"]
        assert echoed == [f"https://o{i}.example"]
