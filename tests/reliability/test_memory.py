"""Memory stays flat over many requests with hooks, ``g`` and body reads.

The quick counts of ``python -m benchmarks.stress``; ``--long`` runs 100,000.
A leak of one request's objects per request would be megabytes per 10k.
"""

from __future__ import annotations

import asyncio

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
