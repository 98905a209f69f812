"""Reliability checks drive benchmarks/stress, which lives beside the package."""

from __future__ import annotations

import asyncio
import sys
import typing as t
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def shutdown_rows(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, float | None], t.Any]:
    """SIGTERM with requests in flight, on every server, without and with a 1 s
    graceful-shutdown timeout: all rows at once (their requests sleep)."""
    from benchmarks.stress import faults
    from benchmarks.stress.servers import KINDS

    return asyncio.run(faults.shutdown_all(KINDS, tmp_path_factory.mktemp("shutdown")))
