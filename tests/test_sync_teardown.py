"""A sync ``with`` context runs async teardown hooks too: on a fresh loop when
none is running, with a logged error naming ``async with`` inside a loop."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat, g


def make() -> tuple[FlaskCompat, list[str]]:
    compat = FlaskCompat(FastAPI(), name="sync-teardown")
    torn: list[str] = []

    @compat.teardown_request
    async def close(exc: BaseException | None) -> None:
        torn.append("request")

    @compat.teardown_appcontext
    async def close_app(exc: BaseException | None) -> None:
        torn.append(f"app:{g.get('user')}")

    return compat, torn


def test_async_teardown_from_sync_with_outside_a_loop() -> None:
    compat, torn = make()
    with compat.test_request_context("/"):
        g.user = "ann"
    assert torn == ["request", "app:ann"]


@pytest.mark.anyio
async def test_async_teardown_from_sync_with_inside_a_loop_says_async_with(
    caplog: pytest.LogCaptureFixture,
) -> None:
    compat, torn = make()
    with caplog.at_level(logging.ERROR, logger="sync-teardown"), compat.test_request_context("/"):
        pass
    assert torn == []
    assert "use 'async with'" in caplog.text
    async with compat.test_request_context("/"):
        g.user = "bob"
    assert torn == ["request", "app:bob"]
