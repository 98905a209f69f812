"""``session`` with Starlette's SessionMiddleware: its dict, saved after
after_request; without that middleware and without a secret key, Flask's
null session (reads work, writes raise Flask's RuntimeError)."""

from __future__ import annotations

import threading
import typing as t

import anyio
import pytest
from fastapi import Depends, FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.testclient import TestClient
from support import client_for

from fastapi_flaskcompat import (
    FlaskCompat,
    copy_current_request_context,
    has_request_context,
    session,
)

pytestmark = pytest.mark.anyio

SECRET = "not-a-real-secret"


def login(user: str) -> None:
    """Legacy helpers read and write ``flask.session`` directly."""
    session["user"] = user
    session.setdefault("visits", 0)


def current_user() -> str | None:
    return session.get("user")


def make_app(session_where: str | None) -> tuple[FastAPI, FlaskCompat]:
    app = FastAPI()
    if session_where == "inside":
        app.add_middleware(SessionMiddleware, secret_key=SECRET)
    compat = FlaskCompat(app)
    if session_where == "outside":
        app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.post("/login/{user}")
    def do_login(user: str) -> str:
        login(user)
        return "ok"

    def count_visit() -> None:
        session["visits"] = session.get("visits", 0) + 1

    @app.get("/me", dependencies=[Depends(count_visit)])
    async def me() -> dict[str, t.Any]:
        return {"user": current_user(), "visits": session["visits"]}

    @app.post("/logout")
    async def logout() -> str:
        session.clear()
        return "bye"

    return app, compat


@pytest.mark.parametrize("where", ["outside", "inside"])
async def test_session_persists_across_requests_via_cookie(where: str) -> None:
    app, _ = make_app(where)
    async with client_for(app, raise_app_exceptions=True) as client:
        assert (await client.post("/login/ann")).status_code == 200
        assert "session" in client.cookies
        assert (await client.get("/me")).json() == {"user": "ann", "visits": 1}
        assert (await client.get("/me")).json() == {"user": "ann", "visits": 2}
        await client.post("/logout")
        assert (await client.get("/me")).json() == {"user": None, "visits": 1}
    # Another client (no cookie) is another session.
    async with client_for(app, raise_app_exceptions=True) as other:
        assert (await other.get("/me")).json() == {"user": None, "visits": 1}


def test_session_with_testclient() -> None:
    app, _ = make_app("outside")
    with TestClient(app) as client:
        client.post("/login/bob")
        assert client.get("/me").json() == {"user": "bob", "visits": 1}
        assert client.get("/me").json() == {"user": "bob", "visits": 2}


async def test_session_in_hooks_when_session_middleware_wraps_ours() -> None:
    app, compat = make_app("outside")
    seen: list[t.Any] = []

    @compat.before_request
    def before() -> None:
        seen.append(("before", session.get("user")))

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        # Written after the view, still saved: the cookie is set on the way out.
        session["last_status"] = response.status_code
        return response

    @app.get("/status")
    async def status() -> t.Any:
        return session.get("last_status")

    async with client_for(app, raise_app_exceptions=True) as client:
        await client.post("/login/cid")
        assert (await client.get("/status")).json() == 200
    assert seen == [("before", None), ("before", "cid")]


async def test_copied_request_context_carries_session_into_a_thread() -> None:
    app, _ = make_app("outside")
    out: list[t.Any] = []

    @app.get("/thread")
    def view() -> str:
        @copy_current_request_context
        def work() -> None:
            out.append(current_user())
            session["from_thread"] = True

        th = threading.Thread(target=work)
        th.start()
        th.join()
        return "ok"

    @app.get("/flag")
    async def flag() -> t.Any:
        return session.get("from_thread")

    async with client_for(app, raise_app_exceptions=True) as client:
        await client.post("/login/dee")
        await client.get("/thread")
        assert (await client.get("/flag")).json() is True
    assert out == ["dee"]


async def test_concurrent_sessions_stay_apart() -> None:
    app, _ = make_app("outside")
    mismatches: list[str] = []

    async def user(i: int) -> None:
        async with client_for(app, raise_app_exceptions=True) as client:
            await client.post(f"/login/u{i}")
            for visit in range(1, 4):
                await anyio.sleep(0)
                body = (await client.get("/me")).json()
                if body != {"user": f"u{i}", "visits": visit}:
                    mismatches.append(f"u{i}: {body}")

    async with anyio.create_task_group() as tg:
        for i in range(100):
            tg.start_soon(user, i)
    assert mismatches == []


NO_SECRET = "The session is unavailable because no secret key was set"


async def test_without_secret_key_reads_work_and_writes_raise_flasks_error() -> None:
    app, _ = make_app(None)
    errors: list[str] = []

    @app.get("/guarded")
    def guarded() -> str:
        user = current_user()  # a read: Flask's null session is empty
        try:
            login("x")
        except RuntimeError as exc:  # legacy `except RuntimeError` guards keep working
            errors.append(str(exc))
        return str(user)

    async with client_for(app, raise_app_exceptions=True) as client:
        assert (await client.get("/guarded")).json() == "None"
    assert len(errors) == 1
    assert errors[0].startswith(NO_SECRET)
    assert not has_request_context()


async def test_without_secret_key_unguarded_write_raises() -> None:
    app, _ = make_app(None)
    async with client_for(app, raise_app_exceptions=True) as client:
        with pytest.raises(RuntimeError, match=NO_SECRET):
            await client.post("/login/x")


async def test_session_outside_a_request_is_flasks_error() -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        session.get("user")
    compat = FlaskCompat()
    async with compat.test_request_context("/"):
        with pytest.raises(RuntimeError, match=NO_SECRET):
            session["user"] = "x"


async def test_session_middleware_added_first_still_wraps_ours() -> None:
    """SessionMiddleware added before FlaskCompat is moved outside it, so hooks
    see the session and writes made in after_request are saved, as in Flask."""
    app, compat = make_app("inside")
    seen: list[str | None] = []

    @compat.before_request
    def before() -> None:
        seen.append(session.get("user"))

    @compat.after_request
    def after(response: t.Any) -> t.Any:
        session["last"] = "after_request"
        return response

    @app.get("/last")
    async def last() -> t.Any:
        return session.get("last")

    async with client_for(app, raise_app_exceptions=True) as client:
        await client.post("/login/eve")
        assert (await client.get("/me")).json() == {"user": "eve", "visits": 1}
        assert (await client.get("/last")).json() == "after_request"
    assert seen == [None, "eve", "eve"]
