"""Flask-Principal, unmodified: identities from the session, blinker signals, permissions.

Flask-Principal's ``before_request`` sets ``flask.g.identity`` from the session;
``identity_changed`` is connected with the app as sender, so a login reaches it
only when ``current_app._get_current_object()`` is the object ``init_app`` got;
``Permission.require(http_exception=403)`` calls ``flask.abort(403, permission)``.
"""

from __future__ import annotations

import json
import typing as t

import anyio
import pytest

from .apps import principal_app
from .harness import SIDES, NewClient, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = principal_app.scenario
HEADERS = ("content-type", "set-cookie", "vary", "x-identity")

ANONYMOUS = {"kind": "AnonymousIdentity", "id": None, "auth_type": None, "provides": []}


def form(user: str, password: str | None = None) -> dict[str, str]:
    return {"user": user, "password": password or principal_app.USERS[user][0]}


def forbidden_page(role: str) -> bytes:
    """Werkzeug's 403 page, the permission as its description."""
    return (
        "<!doctype html>\n<html lang=en>\n<title>403 Forbidden</title>\n"
        "<h1>Forbidden</h1>\n<p>&lt;Permission needs={Need(method=&#39;role&#39;, "
        f"value=&#39;{role}&#39;)}} excludes=set()&gt;</p>\n"
    ).encode()


@pytest.mark.parametrize("side", SIDES)
async def test_login_saves_the_identity_in_the_session_and_logout_forgets_it(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = [(await c.request("GET", "/me")).seen(*HEADERS)]
        wrong = form("ann", "bob-pw")
        seen.append((await c.request("POST", "/login", data=wrong)).seen(*HEADERS))
        seen.append((await c.request("POST", "/login", data=form("ann"))).seen(*HEADERS))
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        # Another browser has its own session: still anonymous.
        seen.append((await new_client().request("GET", "/me")).seen(*HEADERS))
        seen.append((await c.request("GET", "/logout")).seen(*HEADERS))
        seen.append((await c.request("GET", "/me")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 401, 200, 200, 200, 200, 200]
    assert seen[0][1]["set-cookie"] == [] and seen[0][1]["vary"] == ["Cookie"]
    assert seen[0][2] == (
        b'{"anonymous":true,"can_edit":false,'
        b'"hooks":[false,null],"identity":{"auth_type":null,"id":null,'
        b'"kind":"AnonymousIdentity","provides":[]},"is_admin":false,"loaded_for":null,'
        b'"session":{"identity.auth_type":null,"identity.id":null}}\n'
    )
    assert b"<title>401 Unauthorized</title>" in seen[1][2]
    # identity_changed reached Principal (sender: the app), identity_loaded the app's receiver.
    assert seen[2][2] == (
        b'{"identity":{"auth_type":"form","id":"ann","kind":"Identity",'
        b'"provides":["id:ann","role:admin","role:editor"]},'
        b'"loaded_for":{"id":"ann","sender_is_app":true}}\n'
    )
    assert seen[2][1]["set-cookie"] == ["session; <value>; HttpOnly; Path=/"]
    assert seen[3][2] == (
        b'{"anonymous":false,"can_edit":true,"hooks":[false,"ann"],'
        b'"identity":{"auth_type":"form","id":"ann",'
        b'"kind":"Identity","provides":["id:ann","role:admin","role:editor"]},'
        b'"is_admin":true,"loaded_for":{"id":"ann","sender_is_app":true},'
        b'"session":{"identity.auth_type":"form","identity.id":"ann"}}\n'
    )
    assert [o[1]["x-identity"] for o in seen] == [
        ["None"],
        ["None"],
        ["ann"],
        ["ann"],
        ["None"],
        ["None"],
        ["None"],
    ]
    assert seen[4][2] == seen[0][2]
    assert seen[5][2] == b'{"identity":' + _json(ANONYMOUS) + b"}\n"
    # The saver wrote the anonymous identity's None id: an Identity(None) from now on.
    assert b'"kind":"Identity"' in seen[6][2] and b'"is_admin":false' in seen[6][2]


def _json(value: dict[str, t.Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("side", SIDES)
async def test_permissions_as_decorator_context_manager_and_test(side: str) -> None:
    """For each user: ``require(http_exception=403)`` as a decorator (/admin) and as
    a context manager (/edit), ``require()`` with the app's ``PermissionDenied``
    handler, and a per-request ``Permission(UserNeed(owner))`` (``test``)."""
    paths = ["/admin", "/edit", "/admin-or-raise", "/posts/bob", "/posts/cy", "/area/report"]

    async def script(new_client: NewClient) -> list[t.Any]:
        seen = []
        for user in (None, "ann", "bob", "cy"):
            c = new_client()
            if user:
                await c.request("POST", "/login", data=form(user))
            for path in paths:
                seen.append((await c.request("GET", path)).seen("content-type", "x-identity"))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [
        *(403, 403, 403, 403, 403, 403),  # anonymous
        *(200, 200, 200, 200, 200, 200),  # ann: admin, editor
        *(403, 200, 403, 200, 200, 403),  # bob: editor
        *(403, 403, 403, 403, 200, 403),  # cy: no role, owns /posts/cy
    ]
    anonymous, ann, bob, cy = (seen[i : i + len(paths)] for i in range(0, len(seen), len(paths)))
    html = {"content-type": ["text/html; charset=utf-8"], "x-identity": ["None"]}
    assert anonymous[0] == (403, html, forbidden_page("admin"))
    assert anonymous[1][2] == forbidden_page("editor")
    assert anonymous[2] == (
        403,
        {"content-type": ["application/json"], "x-identity": ["None"]},
        b'{"denied":["role:admin"],"identity":null}\n',
    )
    # The before_request guard's 403, after_request ran on it.
    assert bob[5] == (403, {**html, "x-identity": ["bob"]}, forbidden_page("admin"))
    assert ann[5][2] == b'{"report":"ann"}\n'
    assert ann[0][2] == b'{"admin":"ann"}\n' and ann[1][2] == b'{"editing":"ann"}\n'
    assert bob[2][2] == b'{"denied":["role:admin"],"identity":"bob"}\n'
    assert bob[4][2] == b'{"owner":"cy","reader":"bob"}\n'
    assert cy[4][2] == b'{"owner":"cy","reader":"cy"}\n'
    assert b"Need(method=&#39;id&#39;, value=&#39;bob&#39;)" in cy[3][2]


USERS_AT_ONCE = 30


async def concurrent_users(path: str, side: str) -> None:
    """30 users log in and read their identity at once; every third is an admin."""

    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[int, t.Any] = {}

        async def one(i: int) -> None:
            c = new_client()
            login = await c.request("POST", "/login", data=form(f"u{i}"))
            r = await c.request("GET", path)
            answers[i] = (login.status, r.status, r.json() if r.status == 200 else None)

        async with anyio.create_task_group() as tg:
            for i in range(USERS_AT_ONCE):
                tg.start_soon(one, i)
        return [answers[i] for i in range(USERS_AT_ONCE)]

    seen = await differential(SCENARIO, script, side)
    for i, answer in enumerate(seen):
        user = f"u{i}"
        if i % 3 == 0:
            assert answer == (200, 200, {"first": user, "second": user, "session": user})
        else:
            assert answer == (200, 403, None)


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_users_each_have_their_own_identity(side: str) -> None:
    await concurrent_users("/slow-whoami", side)


# An ``async def`` view: Flask runs it with asgiref; a port has it in an ``async def``
# endpoint (the harness's ``def`` endpoint does not await a view).
@pytest.mark.parametrize("side", ["flask", "fastapi-async"])
async def test_concurrent_users_across_an_await_in_an_async_view(side: str) -> None:
    await concurrent_users("/slow-whoami-async", side)
