"""SPEC: Contexts — nested and re-entrant use, mounted sub-applications."""

from __future__ import annotations

import typing as t

import httpx
import pytest
from fastapi import FastAPI
from support import client_for

from fastapi_flaskcompat import FlaskCompat, current_app, g, has_request_context, request

pytestmark = pytest.mark.anyio


async def test_mounted_sub_app_sees_its_own_current_app_and_g() -> None:
    outer = FastAPI(title="outer")
    inner = FastAPI(title="inner")
    outer_compat = FlaskCompat(outer)
    FlaskCompat(inner)
    seen: list[tuple[str, str | None]] = []

    @outer_compat.before_request
    async def mark() -> None:
        g.who = "outer"

    @outer_compat.teardown_request
    async def check(exc: BaseException | None) -> None:
        # The inner app's contexts were popped: the outer ones are back.
        seen.append((current_app.name, g.get("who")))

    @inner.get("/where")
    async def where() -> dict[str, object]:
        return {"app": current_app.name, "who": g.get("who"), "path": request.path}

    outer.mount("/sub", inner)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=outer), base_url="http://t"
    ) as client:
        r = await client.get("/sub/where")
    # The inner app has its own app context, so a fresh g, as a second Flask app would.
    assert r.json() == {"app": "inner", "who": None, "path": "/where"}
    assert seen == [("outer", "outer")]
    assert not has_request_context()


async def test_test_request_context_inside_app_context_shares_g() -> None:
    compat = FlaskCompat(FastAPI(title="a"))
    other = FlaskCompat(FastAPI(title="b"))
    async with compat.app_context():
        g.x = 1
        async with compat.test_request_context("/p?q=1"):
            # Same app: the request context reuses the pushed app context.
            assert g.x == 1
            assert request.args["q"] == "1"
            with other.test_request_context("/o"):
                # Another app: its own app context and g.
                assert current_app.name == "b"
                assert "x" not in g
                assert request.path == "/o"
            assert current_app.name == "a"
            assert request.path == "/p"
        assert not has_request_context()
        assert g.x == 1


async def test_mounted_apps_hooks_each_run_in_their_own_contexts() -> None:
    """main.mount("/sub", sub), both with FlaskCompat: main's after_request runs
    inside the sub-app's send, yet sees main's current_app and g (and the
    sub-app's hooks see the sub-app's)."""
    main = FastAPI(title="main")
    sub = FastAPI(title="sub")
    main_compat = FlaskCompat(main)
    sub_compat = FlaskCompat(sub)
    seen: list[tuple[str, str, str | None]] = []

    for compat in (main_compat, sub_compat):

        @compat.before_request
        def before() -> None:
            g.mine = current_app.name

        @compat.after_request
        def after(response: t.Any) -> t.Any:
            seen.append(("after", current_app.name, g.get("mine")))
            response.headers[f"x-{current_app.name}"] = g.get("mine") or "-"
            return response

        @compat.teardown_request
        def teardown(exc: BaseException | None) -> None:
            seen.append(("teardown", current_app.name, g.get("mine")))

    @sub.get("/x")
    async def x() -> str:
        return current_app.name

    main.mount("/sub", sub)
    async with client_for(main) as client:
        r = await client.get("/sub/x")
    assert r.json() == "sub"
    assert (r.headers["x-main"], r.headers["x-sub"]) == ("main", "sub")
    assert seen == [
        ("after", "sub", "sub"),
        ("after", "main", "main"),
        ("teardown", "sub", "sub"),
        ("teardown", "main", "main"),
    ]
    assert not has_request_context()
