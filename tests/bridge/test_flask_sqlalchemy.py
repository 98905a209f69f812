"""Flask-SQLAlchemy, unmodified: ``db.session`` per request, ``get_or_404``, ``paginate()``."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import anyio
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


CLIENTS = 20
NOTES_EACH = 3
#: (side, view): the ``async def`` view needs a side that awaits it (Flask runs it with
#: asgiref); the harness's sync endpoint calls views as they are.
NOTE_CASES = [
    *[pytest.param(side.values[0], "/notes", id=f"{side.id}-sync-view") for side in SIDES],
    pytest.param("flask", "/notes-async", id="flask-async-view"),
    pytest.param("fastapi-async", "/notes-async", id="fastapi-async-async-view"),
]


@pytest.mark.parametrize(("side", "path"), NOTE_CASES)
async def test_concurrent_requests_each_have_their_own_session(
    side: str, path: str, tmp_path: Path
) -> None:
    """20 clients write then read their own notes at once, pausing in between; every
    request has its own ``db.session``, and none is left in the registry."""
    peaks: list[int] = []

    async def script(new_client: NewClient) -> list[t.Any]:
        sqlalchemy_app.SESSIONS_SEEN.clear()
        sqlalchemy_app.IN_FLIGHT.update(now=0, peak=0)
        answers: dict[str, list[t.Any]] = {}

        async def one(owner: str) -> None:
            c = new_client()
            answers[owner] = []
            for k in range(NOTES_EACH):
                r = await c.request("POST", path, data={"owner": owner, "text": f"{owner}-{k}"})
                answers[owner].append(r.seen("content-type"))

        owners = [f"c{i}" for i in range(CLIENTS)]
        async with anyio.create_task_group() as tg:
            for owner in owners:
                tg.start_soon(one, owner)
        peaks.append(sqlalchemy_app.IN_FLIGHT["peak"])
        sessions = sqlalchemy_app.SESSIONS_SEEN
        return [
            *(answers[owner] for owner in owners),
            len(sessions),
            len({id(s) for s in sessions}),
            [s.in_transaction() for s in sessions if s.in_transaction()],
            dict(sqlalchemy_app.db.session.registry.registry),
        ]

    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'notes.db'}",
        # A connection for every request in flight. With fewer, a sync view on the event
        # loop blocks it waiting for one that only a pending teardown on that loop would
        # return (SQLAlchemy's 5 + 10 default: 30 s, then 500s); threads just wait.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": CLIENTS, "max_overflow": 0, "pool_timeout": 2},
    }
    try:
        seen = await differential(sqlalchemy_app.notes_scenario, script, side, config)
    finally:
        while sqlalchemy_app.ENGINES:
            sqlalchemy_app.ENGINES.pop().dispose()
    requests = CLIENTS * NOTES_EACH
    for i, answers in enumerate(seen[:CLIENTS]):
        owner = f"c{i}"
        assert answers == [
            (
                200,
                {"content-type": ["application/json"]},
                json.dumps(
                    {
                        "in_transaction": True,
                        "mine": [f"{owner}-{j}" for j in range(k + 1)],
                        "owner": owner,
                        "same_session": True,
                        "session_owner": owner,
                    },
                    separators=(",", ":"),
                ).encode()
                + b"\n",
            )
            for k in range(NOTES_EACH)
        ]
    # One session per request, none shared, each closed, and the registry empty after.
    assert seen[CLIENTS:] == [requests, requests, [], {}]
    # The requests really overlapped between write and read (a sync view on the event
    # loop blocks it, so there they cannot).
    assert peaks[0] > 1
    if side != "flask":
        assert peaks[1] > 1 or (side == "fastapi-async" and path == "/notes")
