"""Shared fixtures: every async test runs on asyncio and on trio, and no test
may leave a context pushed (Flask's own suite has the same leak detector)."""

from __future__ import annotations

import sys
import typing as t
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastapi_flaskcompat.ctx import AppContext, RequestContext
from fastapi_flaskcompat.globals import _cv_app

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def no_context_left_pushed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that pushes a context and never pops it, or leaves one bound."""
    # A WeakSet, not a list of weakrefs: a list would grow with every request
    # and the memory tests would measure the detector.
    pushed: weakref.WeakSet[t.Any] = weakref.WeakSet()
    for cls in (AppContext, RequestContext):

        def push(self: t.Any, _push: t.Any = cls.push) -> None:
            pushed.add(self)
            _push(self)

        monkeypatch.setattr(cls, "push", push)
    yield
    left = [ctx for ctx in list(pushed) if ctx._cv_tokens]
    bound = [ctx for ctx in (_cv_app.get(None),) if ctx is not None]
    assert not left and not bound, f"contexts left pushed: {left}, bound: {bound}"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[t.Any]:
    """One real redis-server for the run (tests/redis_support.py)."""
    from redis_support import redis_server as run_redis

    with run_redis() as server:
        yield server
