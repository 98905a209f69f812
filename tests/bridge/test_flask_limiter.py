"""Flask-Limiter, unmodified: 429 with its headers, per-route limits, ``exempt``."""

from __future__ import annotations

import typing as t

import anyio
import pytest

from .apps import limiter_app
from .harness import SIDES, NewClient, Reply, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = limiter_app.scenario
#: X-RateLimit-Reset and Retry-After are clock readings: compared by presence.
HEADERS = ("content-type", "x-ratelimit-limit", "x-ratelimit-remaining")


def observe(r: Reply) -> tuple[t.Any, ...]:
    clock = tuple(bool(r.header(h)) for h in ("x-ratelimit-reset", "retry-after"))
    return (*r.seen(*HEADERS), clock)


@pytest.mark.parametrize("side", SIDES)
async def test_per_route_and_default_limits_answer_429_with_headers(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [observe(await c.request("GET", "/tight")) for _ in range(3)]
        seen += [observe(await c.request("GET", "/default")) for _ in range(4)]
        # Each route has its own counter: /tight's 429 did not use up /default.
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 429, 200, 200, 200, 429]
    assert [o[1]["x-ratelimit-remaining"] for o in seen] == [
        ["1"],
        ["0"],
        ["0"],
        ["2"],
        ["1"],
        ["0"],
        ["0"],
    ]
    assert seen[2][1]["x-ratelimit-limit"] == ["2"] and seen[6][1]["x-ratelimit-limit"] == ["3"]
    assert all(o[3] == (True, True) for o in seen)
    assert b"<title>429 Too Many Requests</title>" in seen[2][2]
    assert b"2 per 1 minute" in seen[2][2]


@pytest.mark.parametrize("side", SIDES)
async def test_exempt_and_custom_key(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [observe(await c.request("GET", "/free")) for _ in range(5)]
        for key in ("a", "a", "b", "a"):
            seen.append(observe(await c.request("GET", f"/keyed?key={key}")))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 5 + [200, 429, 200, 429]
    assert all(o[1]["x-ratelimit-limit"] == [] for o in seen[:5])


CLIENTS = 20
OVER = 2


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_clients_each_reach_only_their_own_limit(side: str) -> None:
    """20 clients (X-Forwarded-For 10.0.0.<n>, each allowed n % 4 + 1 requests) go over
    their limit at the same time; each is refused exactly after its own allowance."""

    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[int, list[t.Any]] = {}

        async def one(i: int) -> None:
            c, address = new_client(), f"10.0.0.{i}"
            answers[i] = []
            for _ in range(limiter_app.limit_for(address) + OVER):
                r = await c.request("GET", "/per-client", headers={"X-Forwarded-For": address})
                answers[i].append(observe(r))

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(one, i)
        return [answers[i] for i in range(CLIENTS)]

    seen = await differential(SCENARIO, script, side)
    for i, answers in enumerate(seen):
        limit = i % 4 + 1
        assert statuses(answers) == [200] * limit + [429] * OVER
        assert [o[1]["x-ratelimit-limit"] for o in answers] == [[str(limit)]] * (limit + OVER)
        remaining = [*range(limit - 1, -1, -1), *[0] * OVER]
        assert [o[1]["x-ratelimit-remaining"] for o in answers] == [[str(n)] for n in remaining]
        body = f'{{"client":"10.0.0.{i}"}}\n'.encode()
        assert all(o[2] == body for o in answers[:limit])
        assert f"{limit} per 1 minute".encode() in answers[-1][2]
