"""Flask-HTTPAuth, unmodified: basic and token auth with sync and ``async def`` callbacks.

An ``async def`` verify callback reaches the extension's sync code through
``current_app.ensure_sync``; without it the coroutine object is truthy and a wrong
password passes. Flask runs it with asgiref (``flask[async]``).
"""

from __future__ import annotations

import base64
import typing as t

import anyio
import pytest

from .apps import httpauth_app
from .harness import SIDES, THREADED_SIDES, NewClient, differential, run, statuses

pytestmark = pytest.mark.anyio

SCENARIO = httpauth_app.scenario
HEADERS = ("content-type", "www-authenticate")


def basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def auth_script(path: str, right: dict[str, str], wrong: dict[str, str]) -> t.Any:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("GET", path)).seen(*HEADERS)]
        seen.append((await c.request("GET", path, headers=wrong)).seen(*HEADERS))
        seen.append((await c.request("GET", path, headers=right)).seen(*HEADERS))
        malformed = {"Authorization": "Basic !!!not-base64"}
        seen.append((await c.request("GET", path, headers=malformed)).seen(*HEADERS))
        return seen

    return script


CASES = {
    "basic": ("/basic", basic("ann", "ann-pw"), basic("ann", "bob-pw")),
    "basic-async": ("/basic-async", basic("ann", "ann-pw"), basic("ann", "bob-pw")),
    "token": ("/token", bearer("token-ann"), bearer("token-nobody")),
    "token-async": ("/token-async", bearer("token-ann"), bearer("token-nobody")),
}
SYNC_CASES = ["basic", "token"]
ASYNC_CASES = ["basic-async", "token-async"]


def _check(case: str, seen: list[t.Any]) -> None:
    assert statuses(seen) == [401, 401, 200, 401]
    assert seen[2][2] == (
        b'{"user":"ann","username":"ann"}\n' if case == "basic" else b'{"user":"ann"}\n'
    )
    realm = "async" if case.endswith("async") else "Authentication Required"
    scheme = "Basic" if case.startswith("basic") else "Bearer"
    assert seen[1][1]["www-authenticate"] == [f'{scheme} realm="{realm}"']


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("case", SYNC_CASES)
async def test_sync_callbacks(side: str, case: str) -> None:
    seen = await differential(SCENARIO, auth_script(*CASES[case]), side)
    _check(case, seen)


@pytest.mark.parametrize("side", THREADED_SIDES)
@pytest.mark.parametrize("case", ASYNC_CASES)
async def test_async_callbacks_wrong_credentials_401(side: str, case: str) -> None:
    seen = await differential(SCENARIO, auth_script(*CASES[case]), side)
    _check(case, seen)


@pytest.mark.parametrize("case", ASYNC_CASES)
async def test_async_callback_from_a_view_on_the_event_loop_never_lets_a_wrong_password_in(
    case: str,
) -> None:
    """On the loop, sync extension code cannot wait for an ``async def`` callback:
    it may work or fail loudly (500), but a wrong password must never answer 200."""
    path, right, wrong = CASES[case]

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [(await c.request("GET", path, headers=h)).status for h in (wrong, right)]

    wrong_status, right_status = await run(SCENARIO, script, "fastapi-async")
    assert wrong_status in (401, 500)
    assert right_status in (200, 500)


USERS_AT_ONCE = 50


def concurrent_script(basic_path: str, token_path: str) -> t.Any:
    """50 users authenticate at once, with wrong-password requests among them."""

    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[str, t.Any] = {}

        async def one(i: int) -> None:
            user = f"u{i}"
            c = new_client()
            ok = await c.request("GET", basic_path, headers=basic(user, f"{user}-pw"))
            bad = await c.request("GET", basic_path, headers=basic(user, "ann-pw"))
            token = bearer(f"token-{user}")
            by_token = await new_client().request("GET", token_path, headers=token)
            answers[user] = (ok.status, ok.json(), bad.status, by_token.json())

        async with anyio.create_task_group() as tg:
            for i in range(USERS_AT_ONCE):
                tg.start_soon(one, i)
        return [answers[f"u{i}"] for i in range(USERS_AT_ONCE)]

    return script


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_users_never_see_each_other(side: str) -> None:
    seen = await differential(SCENARIO, concurrent_script("/slow-basic", "/token"), side)
    for i, answer in enumerate(seen):
        user = f"u{i}"
        assert answer == (200, {"first": user, "second": user, "header": user}, 401, {"user": user})


@pytest.mark.parametrize("side", THREADED_SIDES)
async def test_concurrent_users_with_async_callbacks(side: str) -> None:
    script = concurrent_script("/slow-basic-async", "/token-async")
    seen = await differential(SCENARIO, script, side)
    for i, answer in enumerate(seen):
        user = f"u{i}"
        assert answer == (200, {"first": user, "second": user, "header": user}, 401, {"user": user})
