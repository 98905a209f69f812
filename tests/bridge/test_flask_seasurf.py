"""Flask-SeaSurf, unmodified: a CSRF token in the session and a cookie, checked by its
before_request for unsafe methods (form field, JSON field or header), ``@csrf.exempt``
views found through ``current_app.view_functions[request.endpoint]``, and the cookie its
after_request sets (also on the 403 it raises from before_request)."""

from __future__ import annotations

import typing as t
from datetime import timedelta

import anyio
import pytest

from .apps import seasurf_app
from .harness import SIDES, NewClient, Reply, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = seasurf_app.scenario
HEADERS = ("set-cookie", "vary", "content-type")


def cookie(reply: Reply, name: str = "_csrf_token") -> str | None:
    """The value of the cookie ``name`` this reply sets, if it sets one."""
    for key, value in reply.headers:
        if key.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.partition("=")[2].partition(";")[0]
    return None


def seen(reply: Reply, tokens: dict[str, str]) -> tuple[t.Any, ...]:
    """``seen`` with each (random) token in the body replaced by its name."""
    status, headers, body = reply.seen(*HEADERS)
    for name, value in tokens.items():
        body = body.replace(value.encode(), f"<{name}>".encode())
    return status, headers, body


@pytest.mark.parametrize("side", SIDES)
async def test_token_checked_on_unsafe_methods(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = []
        first = await c.request("GET", "/home")
        token = cookie(first)
        assert token is not None
        tokens = {"token": token}
        out.append(seen(first, tokens))
        # The cookie came back and matches: not set again.
        out.append(seen(await c.request("GET", "/home"), tokens))
        # A template asked for the token: set again.
        out.append(seen(await c.request("GET", "/form"), tokens))
        for method, kwargs in [
            ("POST", {"data": {"name": "ann"}}),
            ("POST", {"headers": {"X-CSRFToken": "wrong"}, "data": {"name": "ann"}}),
            ("POST", {"data": {"_csrf_token": "wrong", "name": "ann"}}),
            ("POST", {"headers": {"X-CSRFToken": token}, "data": {"name": "ann"}}),
            ("POST", {"data": {"_csrf_token": token, "name": "bob"}}),
            ("POST", {"json": {"_csrf_token": token, "name": "json"}}),
            ("POST", {"json": [token]}),  # a JSON list: no field, no header
            ("PUT", {"headers": {"X-CSRFToken": token}}),
            ("DELETE", {"headers": {"X-CSRFToken": token}}),
        ]:
            out.append(seen(await c.request(method, "/submit", **kwargs), tokens))
        return out

    out = await differential(SCENARIO, script, side)
    assert statuses(out) == [200, 200, 200, 403, 403, 403, 200, 200, 200, 403, 200, 200]
    first, again, form = out[:3]
    assert first[1]["set-cookie"] == [
        "_csrf_token; <value>; expires; Max-Age=432000; Path=/; SameSite=Lax",
        "session; <value>; HttpOnly; Path=/",
    ]
    assert first[1]["vary"] == ["Cookie"]
    assert again[1]["set-cookie"] == []
    assert (
        form[2]
        == b'<form method="post"><input type="hidden" name="_csrf_token" value="<token>"></form>'
    )
    assert form[1]["set-cookie"][0].startswith("_csrf_token; <value>")
    assert b"CSRF token missing or incorrect." in out[3][2]
    assert out[6][2] == b'{"method":"POST","name":"ann"}\n'
    assert out[7][2] == b'{"method":"POST","name":"bob"}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_exempt_views_and_manual_validation(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = []
        first = await c.request("GET", "/home")
        token = cookie(first)
        assert token is not None
        tokens = {"token": token}
        for path, kwargs in [
            ("/webhook", {"data": {"event": "push"}}),
            ("/manual", {}),
            ("/manual", {"headers": {"X-Machine": "yes"}}),
            ("/manual", {"headers": {"X-CSRFToken": token}}),
        ]:
            out.append(seen(await c.request("POST", path, **kwargs), tokens))
        # An exempt view gets no cookie; a fresh client's first request to it neither.
        out.append(seen(await new_client().request("POST", "/webhook", data={"event": "x"}), {}))
        return out

    out = await differential(SCENARIO, script, side)
    assert statuses(out) == [200, 403, 200, 200, 200]
    assert out[0][2] == b'{"event":"push","exempt":true}\n'
    assert out[0][1]["set-cookie"] == []
    assert out[4][1]["set-cookie"] == []


@pytest.mark.parametrize("side", SIDES)
async def test_first_post_gets_403_with_a_cookie_and_rotation_invalidates_the_old_token(
    side: str,
) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        refused = await c.request("POST", "/submit", headers={"X-CSRFToken": "guess"})
        token = cookie(refused)
        assert token is not None
        out: list[t.Any] = [seen(refused, {"token": token})]
        ok = await c.request("POST", "/submit", headers={"X-CSRFToken": token})
        out.append(seen(ok, {"token": token}))
        rotated = await c.request("POST", "/rotate", headers={"X-CSRFToken": token})
        new = cookie(rotated)
        assert new is not None
        tokens = {"token": token, "new": new}
        out.append(seen(rotated, tokens))
        out.append(new != token)
        out.append(seen(await c.request("POST", "/submit", headers={"X-CSRFToken": token}), tokens))
        out.append(seen(await c.request("POST", "/submit", headers={"X-CSRFToken": new}), tokens))
        return out

    out = await differential(SCENARIO, script, side)
    assert statuses(out) == [403, 200, 200, 403, 200]
    assert out[0][1]["set-cookie"] == [
        "_csrf_token; <value>; expires; Max-Age=432000; Path=/; SameSite=Lax",
        "session; <value>; HttpOnly; Path=/",
    ]
    assert out[3] is True


CUSTOM = {
    "CSRF_COOKIE_NAME": "xsrf",
    "CSRF_HEADER_NAME": "X-XSRF",
    "CSRF_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_SAMESITE": "Strict",
    "CSRF_COOKIE_TIMEOUT": timedelta(hours=1),
}


@pytest.mark.parametrize("side", SIDES)
async def test_cookie_name_header_and_attributes_from_config(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        first = await c.request("GET", "/home")
        token = cookie(first, "xsrf")
        assert token is not None
        tokens = {"token": token}
        out = [seen(first, tokens)]
        for kwargs in [
            {"headers": {"X-CSRFToken": token}},
            {"headers": {"X-XSRF": token}},
            {"data": {"_csrf_token": token}},
            {"data": {"xsrf": token, "name": "ann"}},
        ]:
            out.append(seen(await c.request("POST", "/submit", **kwargs), tokens))
        return out

    out = await differential(SCENARIO, script, side, config=CUSTOM)
    assert statuses(out) == [200, 403, 200, 403, 200]
    assert out[0][1]["set-cookie"] == [
        "xsrf; <value>; expires; Max-Age=3600; HttpOnly; Path=/; SameSite=Strict",
        "session; <value>; HttpOnly; Path=/",
    ]


@pytest.mark.parametrize("side", SIDES)
async def test_testing_mode_disables_checks(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request("GET", "/home")).seen(*HEADERS),
            (await c.request("POST", "/submit", data={"name": "ann"})).seen(*HEADERS),
        ]

    out = await differential(SCENARIO, script, side, config={"TESTING": True})
    assert statuses(out) == [200, 200]
    assert out[0][1]["set-cookie"] == []


CLIENTS = 20


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_clients_each_pass_only_with_their_own_token(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        clients = [new_client() for _ in range(CLIENTS)]
        tokens: list[str] = []
        for c in clients:
            token = cookie(await c.request("GET", "/home"))
            assert token is not None
            tokens.append(token)
        answers: dict[tuple[int, str], t.Any] = {}

        async def send(i: int, name: str, token: str) -> None:
            r = await clients[i].request("POST", "/slow-submit", headers={"X-CSRFToken": token})
            answers[i, name] = (r.status, r.body if r.status == 200 else None)

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(send, i, "own", tokens[i])
                tg.start_soon(send, i, "other", tokens[(i + 1) % CLIENTS])
        return [answers[i, name] for i in range(CLIENTS) for name in ("own", "other")]

    out = await differential(SCENARIO, script, side)
    assert out == [(200, b'{"token":true}\n'), (403, None)] * CLIENTS
