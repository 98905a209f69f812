"""The fault matrix and client disconnects through real servers.

Expected statuses are measured, in the same run, on a ``flask.Flask`` app
doing the same under Werkzeug's server (bare FastAPI for the stages only
FastAPI has); see benchmarks/stress/faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from benchmarks.stress import faults
from benchmarks.stress.servers import KINDS


@pytest.fixture(scope="module")
def references(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], faults.Reference]]:
    yield asyncio.run(faults.references(tmp_path_factory.mktemp("refs")))


def test_references_are_what_flask_and_fastapi_answer(
    references: dict[tuple[str, str], faults.Reference],
) -> None:
    # Guards the reference run itself: a broken Flask server would make every row agree.
    statuses = {stage: ref.status for (stage, _), ref in references.items()}
    assert statuses == {
        "none": "200",
        "before_request": "500",
        "abort_before_request": "401",
        "endpoint_sync": "500",
        "abort_endpoint": "403",
        "after_request": "500",
        "mid_stream": "200-truncated",
        "teardown": "500",  # Flask lets a teardown error escape; we log it (DEPARTURES)
        "dep_enter": "500",
        "dep_exit": "200",
        "endpoint_async": "500",
        "background": "200",
    }


@pytest.fixture(scope="module")
def fault_results(
    tmp_path_factory: pytest.TempPathFactory,
    references: dict[tuple[str, str], faults.Reference],
) -> dict[str, faults.FaultResult]:
    # Every server at once: the runs mostly wait on their server.
    return asyncio.run(faults.run_all(KINDS, tmp_path_factory.mktemp("faults"), references))


@pytest.mark.parametrize("kind", KINDS)
def test_fault_at_each_stage_gives_flasks_status_and_one_teardown(
    kind: str, fault_results: dict[str, faults.FaultResult]
) -> None:
    result = fault_results[kind]
    assert len(result.rows) == len(faults.cases())
    bad = [row for row in result.rows if not row.ok]
    assert bad == []
    bad_disconnects = [d for d in result.disconnects if not d.ok]
    assert bad_disconnects == []
    assert {d.case for d in result.disconnects} == {
        "mid-upload json",
        "mid-upload octet",
        "mid-stream",
        "during sync endpoint",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_sigterm_without_timeout_lets_in_flight_requests_finish_and_tear_down(
    kind: str, shutdown_rows: dict[tuple[str, float | None], faults.ShutdownRow]
) -> None:
    row = shutdown_rows[(kind, None)]
    assert (row.answered_200, row.teardowns, row.teardowns_after_view) == (5, 5, 5)
