"""Bad input, table-driven: each input of benchmarks/stress/badinput.py sent as the
same bytes to a ``flask.Flask`` app under Werkzeug's server and to the ported app
under uvicorn and hypercorn-trio. Flask's status class, never a 5xx, never a hang."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from benchmarks.stress import badinput
from benchmarks.stress.servers import Server, serve


@pytest.fixture(scope="module")
def flask_server() -> Iterator[Server]:
    with serve("flask", badinput.FLASK, graceful=badinput.QUICK_STOP) as server:
        yield server


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn-trio"])
def our_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serve(request.param, badinput.OURS, graceful=badinput.QUICK_STOP) as server:
        yield server


@pytest.mark.parametrize("case", badinput.CASES, ids=[c.name for c in badinput.CASES])
@pytest.mark.parametrize("route", ["/legacy", "/legacy-async"])
def test_bad_input_gets_flasks_status_class(
    case: badinput.Case, route: str, flask_server: Server, our_server: Server
) -> None:
    flask = asyncio.run(badinput.send(flask_server.port, case, b"/legacy"))
    ours = asyncio.run(badinput.send(our_server.port, case, route.encode()))
    row = badinput.Row(case, route, flask, ours)
    assert row.ok, f"Flask {flask}, ours {ours}"
