"""Flask-WTF, unmodified: CSRFProtect's before_request check and a FlaskForm."""

from __future__ import annotations

import typing as t

import anyio
import pytest

from .apps import wtf_app
from .harness import SIDES, NewClient, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = wtf_app.scenario
GOOD = {"name": "ann", "age": "33"}


@pytest.mark.parametrize("side", SIDES)
async def test_csrf_rejects_posts_without_the_session_token(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c, stranger = new_client(), new_client()
        seen = [(await c.request("POST", "/profile", data=GOOD)).seen("content-type")]
        r = await c.request("GET", "/token")
        value = r.json()["csrf_token"]
        seen.append((r.status, r.header("set-cookie"), bool(value)))
        forged = {**GOOD, "csrf_token": value[:-2] + "xx"}
        seen.append((await c.request("POST", "/profile", data=forged)).seen())
        # A token is only good with the session it was issued to.
        stolen = {**GOOD, "csrf_token": value}
        seen.append((await stranger.request("POST", "/profile", data=stolen)).seen())
        seen.append((await c.request("POST", "/profile", data=stolen)).seen("content-type"))
        # The header the extension also reads, with a JSON body FlaskForm parses.
        as_json = {"X-CSRFToken": value}
        r = await c.request("POST", "/profile", headers=as_json, json={"name": "bob", "age": 7})
        seen.append(r.seen("content-type"))
        # GET is not a protected method; exempt views are not checked.
        seen.append((await c.request("POST", "/webhook", data={"event": "ping"})).seen())
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [400, 200, 400, 400, 200, 200, 200]
    assert b"The CSRF token is missing." in seen[0][2]
    assert b"The CSRF token is invalid." in seen[2][2]
    assert b"The CSRF session token is missing." in seen[3][2]
    assert seen[4][2] == b'{"saved":{"age":33,"name":"ann"}}\n'
    assert seen[5][2] == b'{"saved":{"age":7,"name":"bob"}}\n'
    assert seen[6][2] == b'{"received":"ping"}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_form_validation_errors_from_request_form(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        value = (await c.request("GET", "/token")).json()["csrf_token"]
        bad = [
            {"name": "", "age": "33"},
            {"name": "much-too-long", "age": "200"},
            {"name": "ann", "age": "not-a-number"},
            {"name": "ann"},
        ]
        return [
            (await c.request("POST", "/profile", data={**form, "csrf_token": value})).seen()
            for form in bad
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [422] * 4
    assert seen[0][2] == (
        b'{"errors":{"name":["This field is required."]},"json":false,"submitted":true}\n'
    )
    assert b"Field cannot be longer than 8 characters." in seen[1][2]
    assert b"Number must be between 0 and 150." in seen[1][2]
    # Not an integer: no data, so DataRequired answers.
    assert b'{"errors":{"age":["This field is required."]}' in seen[2][2]


CLIENTS = 20


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_clients_each_pass_only_with_their_own_token(side: str) -> None:
    """20 clients fetch a token at once (each kept in its own session cookie), then all
    post at once: with their own token (accepted), and with the next client's (400)."""

    async def script(new_client: NewClient) -> list[t.Any]:
        clients = [new_client() for _ in range(CLIENTS)]
        tokens: dict[int, str] = {}
        answers: dict[tuple[int, str], t.Any] = {}

        async def fetch(i: int) -> None:
            r = await clients[i].request("GET", "/token")
            tokens[i] = r.json()["csrf_token"]

        async def post(i: int, kind: str) -> None:
            owner = i if kind == "own" else (i + 1) % CLIENTS
            form = {"name": f"c{i}", "age": str(i + 1), "csrf_token": tokens[owner]}
            r = await clients[i].request("POST", "/profile", data=form)
            answers[i, kind] = r.seen("content-type")

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(fetch, i)
        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(post, i, "own")
                tg.start_soon(post, i, "stolen")
        return [
            len(set(tokens.values())),
            *(answers[i, kind] for i in range(CLIENTS) for kind in ("own", "stolen")),
        ]

    seen = await differential(SCENARIO, script, side)
    assert seen[0] == CLIENTS
    for i in range(CLIENTS):
        own, stolen = seen[1 + 2 * i], seen[2 + 2 * i]
        saved = f'{{"saved":{{"age":{i + 1},"name":"c{i}"}}}}\n'.encode()
        assert own == (200, {"content-type": ["application/json"]}, saved)
        assert stolen[0] == 400
        assert b"The CSRF tokens do not match." in stolen[2]
