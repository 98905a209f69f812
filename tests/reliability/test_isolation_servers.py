"""Isolation under load through real servers (the stress driver's quick mode).

uvicorn, hypercorn (asyncio), hypercorn (trio) and uvicorn with 2 worker
processes; every layer of every request echoes its own id, every request
gets exactly one teardown. ``python -m benchmarks.stress --long`` runs the
same with 20,000 requests over 200 connections.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.stress import isolation
from benchmarks.stress.__main__ import PROFILES
from benchmarks.stress.servers import KINDS

QUICK = PROFILES["quick"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_layer_sees_its_own_request_under_load(kind: str, tmp_path: Path) -> None:
    result = asyncio.run(
        isolation.run(
            kind, tmp_path, requests=QUICK.iso_requests, connections=QUICK.iso_connections
        )
    )
    assert result.requests == QUICK.iso_requests
    assert result.ok, result.examples
    assert result.processes == (2 if kind == "uvicorn-workers2" else 1)
