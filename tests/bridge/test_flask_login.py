"""Flask-Login, unmodified: the same scripts against Flask and against FastAPI + the bridge."""

from __future__ import annotations

import typing as t

import anyio
import pytest

from .apps import login_app
from .harness import SIDES, NewClient, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = login_app.scenario
HEADERS = ("content-type", "location", "set-cookie", "vary")


def form(user: str, *, remember: bool = False) -> dict[str, str]:
    return {"user": user, "password": login_app.USERS[user], "remember": "1" if remember else ""}


@pytest.mark.parametrize("side", SIDES)
async def test_login_required_answers_401_without_login_view(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("GET", "/private")).seen(*HEADERS)]
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        wrong = {"user": "ann", "password": "nope"}
        seen.append((await c.request("POST", "/login", data=wrong)).seen(*HEADERS))
        seen.append((await c.request("POST", "/login", data=form("ann"))).seen(*HEADERS))
        seen.append((await c.request("GET", "/private")).seen(*HEADERS))
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        seen.append((await c.request("GET", "/logout")).seen(*HEADERS))
        seen.append((await c.request("GET", "/private")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [401, 200, 403, 200, 200, 200, 200, 401]
    assert b"Unauthorized" in seen[0][2]
    assert seen[4][2] == b'{"endpoint":"private","id":"ann"}\n'
    assert b'"authenticated":false' in seen[1][2]
    assert b'"authenticated":true' in seen[5][2]


@pytest.mark.parametrize("side", SIDES)
async def test_login_required_redirects_to_the_login_view_and_flashes(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("GET", "/private?tab=2")).seen(*HEADERS)]
        seen.append((await c.request("GET", "/login?next=%2Fprivate%3Ftab%3D2")).seen(*HEADERS))
        seen.append((await c.request("GET", "/login")).seen(*HEADERS))  # flashes consumed
        seen.append((await c.request("POST", "/login", data=form("bob"))).seen(*HEADERS))
        seen.append((await c.request("GET", "/private?tab=2")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side, {"LOGIN_VIEW": "login"})
    assert statuses(seen) == [302, 200, 200, 200, 200]
    assert seen[0][1]["location"] == ["/login?next=%2Fprivate%3Ftab%3D2"]
    assert seen[1][2] == (
        b'{"flashes":[["message","Please log in to access this page."]],"next":"/private?tab=2"}\n'
    )
    assert seen[2][2] == b'{"flashes":[],"next":null}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_remember_cookie_alone_logs_the_user_in(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        remembered, forgotten = new_client(), new_client()
        seen: list[t.Any] = []
        r = await remembered.request("POST", "/login", data=form("ann", remember=True))
        seen += [r.seen(*HEADERS), remembered.has_cookie("remember_token")]
        r = await forgotten.request("POST", "/login", data=form("bob"))
        seen += [r.seen(*HEADERS), forgotten.has_cookie("remember_token")]
        for c in (remembered, forgotten):
            c.delete_cookie("session")  # the browser was closed
            seen.append((await c.request("GET", "/private")).seen(*HEADERS))
        # Restored from the cookie: logged in again, but not fresh.
        seen.append((await remembered.request("GET", "/me")).seen(*HEADERS))
        # Logging out clears the remember cookie too.
        seen.append((await remembered.request("GET", "/logout")).seen(*HEADERS))
        seen.append(remembered.has_cookie("remember_token"))
        remembered.delete_cookie("session")
        seen.append((await remembered.request("GET", "/private")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert seen[1] is True and seen[3] is False
    assert statuses(seen) == [200, 200, 200, 401, 200, 200, 401]
    assert seen[4][2] == b'{"endpoint":"private","id":"ann"}\n'
    assert seen[6][2] == b'{"authenticated":true,"fresh":false,"id":"ann"}\n'
    assert seen[8] is False


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("mode", ["strong", "basic"])
async def test_session_protection(side: str, mode: str) -> None:
    """strong: another User-Agent or address logs the session out; basic: only unfreshens."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("POST", "/login", data=form("ann"))).seen(*HEADERS)]
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        other_agent = {"User-Agent": "another-browser/2"}
        seen.append((await c.request("GET", "/me", headers=other_agent)).seen(*HEADERS))
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        seen.append((await c.request("POST", "/login", data=form("ann"))).seen(*HEADERS))
        other_address = {"X-Forwarded-For": "203.0.113.9"}
        seen.append((await c.request("GET", "/private", headers=other_address)).seen(*HEADERS))
        seen.append((await c.request("GET", "/private")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side, {"SESSION_PROTECTION": mode})
    logged_in = b'{"authenticated":true,"fresh":true,"id":"ann"}\n'
    assert seen[1][2] == logged_in
    if mode == "strong":
        assert statuses(seen) == [200, 200, 200, 200, 200, 401, 401]
        assert seen[2][2] == seen[3][2] == b'{"authenticated":false,"fresh":null,"id":null}\n'
    else:
        assert statuses(seen) == [200, 200, 200, 200, 200, 200, 200]
        assert seen[2][2] == b'{"authenticated":true,"fresh":false,"id":"ann"}\n'


USERS_AT_ONCE = 50


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_users_never_see_each_other(side: str) -> None:
    """50 users log in and ask who they are at the same time; each sees only itself."""

    async def script(new_client: NewClient) -> list[t.Any]:
        users = [f"u{i}" for i in range(USERS_AT_ONCE)]
        answers: dict[str, t.Any] = {}

        async def one(user: str) -> None:
            c = new_client()
            login = await c.request("POST", "/login", data=form(user))
            whoami = await c.request("GET", "/slow-whoami")
            anonymous = await new_client().request("GET", "/me")
            answers[user] = (login.status, whoami.status, whoami.json(), anonymous.json())

        async with anyio.create_task_group() as tg:
            for user in users:
                tg.start_soon(one, user)
        return [answers[user] for user in users]

    seen = await differential(SCENARIO, script, side)
    for i, answer in enumerate(seen):
        user = f"u{i}"
        assert answer == (
            200,
            200,
            {"first": user, "second": user, "session": user},
            {"authenticated": False, "fresh": None, "id": None},
        )
