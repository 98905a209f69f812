"""Memory stays flat over many requests with hooks, ``g`` and body reads.

The quick counts of ``python -m benchmarks.stress``; ``--long`` runs 100,000.
A leak of one request's objects per request would be megabytes per 10k.
"""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.stress import memory
from benchmarks.stress.__main__ import PROFILES

QUICK = PROFILES["quick"]


def test_traced_memory_does_not_grow_with_requests() -> None:
    result = asyncio.run(
        memory.in_process(
            QUICK.mem_requests, sample_every=QUICK.mem_sample_every, warmup=QUICK.mem_warmup
        )
    )
    assert result.errors == 0
    assert len(result.samples) == QUICK.mem_requests // QUICK.mem_sample_every
    # ~50 bytes a request at most: caches filling, not requests kept.
    assert result.slope_per_10k < 512 * 1024, result.samples


def test_server_rss_stays_bounded() -> None:
    result = asyncio.run(
        memory.server_rss(
            QUICK.rss_requests, sample_every=QUICK.rss_sample_every, warmup=QUICK.mem_warmup
        )
    )
    assert result.errors == 0
    first, last = result.first_last
    assert last - first < 16 * 1024 * 1024, result.samples


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_header_names_from_clients_do_not_grow_memory(anyio_backend: str) -> None:
    """request.headers spells names as Flask does through a cache of the names
    clients send; a client sending a new name on every request cannot grow it."""
    from fastapi import FastAPI
    from support import client_for

    from fastapi_flaskcompat import FlaskCompat, request, wrappers

    app = FastAPI()
    FlaskCompat(app)

    @app.get("/")
    async def index() -> str:
        return str(request.headers.get("X_Probe_Name"))

    async with client_for(app) as client:
        for i in range(wrappers._NAMES_MAX + 50):
            name = f"x-probe-{i}"
            r = await client.get("/", headers={name: "v", "x-probe-name": str(i)})
            assert r.json() == str(i)
    assert len(wrappers._NAMES) <= wrappers._NAMES_MAX
