"""Flask-SQLAlchemy, unmodified: ``db.session`` per request, ``get_or_404``, ``paginate()``."""

from __future__ import annotations

import typing as t

import pytest

from .apps import sqlalchemy_app
from .harness import SIDES, NewClient, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = sqlalchemy_app.scenario


@pytest.mark.parametrize("side", SIDES)
async def test_session_is_scoped_to_the_request_and_removed_at_teardown(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        sqlalchemy_app.SESSIONS_SEEN.clear()
        c = new_client()
        seen: list[t.Any] = []
        for _ in range(3):
            seen.append((await c.request("GET", "/session")).seen("content-type"))
            # Teardown ran before the response was complete: the session is closed.
            seen.append(sqlalchemy_app.SESSIONS_SEEN[-1].in_transaction())
        sessions = sqlalchemy_app.SESSIONS_SEEN
        seen.append(len({id(s) for s in sessions}) == len(sessions) == 3)
        return seen

    seen = await differential(SCENARIO, script, side)
    state = b'{"count":25,"fresh":true,"in_transaction":true,"same_in_request":true}\n'
    assert seen == [(200, {"content-type": ["application/json"]}, state), False] * 3 + [True]


@pytest.mark.parametrize("side", SIDES)
async def test_get_or_404(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("GET", "/items/3")).seen("content-type")]
        seen.append((await c.request("GET", "/items/999")).seen("content-type"))
        seen.append((await c.request("POST", "/items/4/rename", data={"name": "four"})).seen())
        seen.append((await c.request("GET", "/items/4")).seen())
        seen.append((await c.request("POST", "/items/999/rename", data={"name": "x"})).seen())
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 404, 200, 200, 404]
    assert seen[0][2] == b'{"id":3,"name":"item-3"}\n'
    assert b"<title>404 Not Found</title>" in seen[1][2]
    assert seen[3][2] == b'{"id":4,"name":"four"}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_paginate_reads_page_and_per_page_from_the_query_string(side: str) -> None:
    queries = ["", "?page=2", "?page=2&per_page=7", "?per_page=50", "?page=4&per_page=10"]
    errors = ["?page=0", "?page=abc", "?per_page=-1", "?page=9"]

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request("GET", f"/items{q}")).seen("content-type") for q in queries + errors
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 4 + [404] * 5
    first = seen[0][2]
    assert b'"total":25' in first and b'"pages":3' in first and b'"per_page":10' in first
    assert (
        b'"items":["item-8","item-9","item-10","item-11","item-12","item-13","item-14"]'
        in (seen[2][2])
    )
