"""Flask-Caching, unmodified (SimpleCache): cached views, memoize, cache.get/set.

What the cache stores is what the view returned, pickled by cachelib: a dict, a
tuple, a response object built with Flask's helpers, or a raised ``abort()``. A
cached answer must be the first answer again, status, headers and cookies included,
and a view's run count (in its body) shows whether it ran.
"""

from __future__ import annotations

import json
import typing as t

import anyio
import pytest

from .apps import caching_app
from .harness import SIDES, THREADED_SIDES, NewClient, differential, run, statuses

pytestmark = pytest.mark.anyio

SCENARIO = caching_app.scenario
HEADERS = ("content-type", "content-length")


async def get_all(new_client: NewClient, paths: list[str], *headers: str) -> list[t.Any]:
    c = new_client()
    return [(await c.request("GET", p)).seen(*HEADERS, *headers) for p in paths]


def runs(seen: list[t.Any]) -> list[t.Any]:
    return [json.loads(o[2]).get("run") for o in seen]


@pytest.mark.parametrize("side", SIDES)
async def test_cached_views_answer_from_the_cache_keyed_on_request_path(side: str) -> None:
    paths = [
        "/clock",
        "/clock",
        "/clock?x=1",  # the key is the path alone: the first answer, args and all
        "/pages/a",
        "/pages/a?v=2",
        "/pages/b",
        "/pages/caf%C3%A9",  # request.path is decoded: one entry for both spellings
        "/pages/café",
        "/pages/a",
    ]

    async def script(new_client: NewClient) -> list[t.Any]:
        return await get_all(new_client, paths)

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * len(paths)
    assert [o[2] for o in seen[:3]] == [b'{"args":{},"path":"/clock","run":1}\n'] * 3
    assert [o[2] for o in seen[3:]] == [
        b"<h1>a</h1><p>run 1</p>",
        b"<h1>a</h1><p>run 1</p>",
        b"<h1>b</h1><p>run 1</p>",
        "<h1>café</h1><p>run 1</p>".encode(),
        "<h1>café</h1><p>run 1</p>".encode(),
        b"<h1>a</h1><p>run 1</p>",
    ]
    assert seen[0][1]["content-type"] == ["application/json"]
    assert seen[3][1]["content-type"] == ["text/html; charset=utf-8"]


@pytest.mark.parametrize("side", SIDES)
async def test_query_string_keys_and_unless_bypass(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        seen = await get_all(
            new_client,
            [
                "/search?q=a&page=1",
                "/search?page=1&q=a",  # same pairs, other order: a hit
                "/search?q=b&page=1",
                "/search?q=a&q=b",
                "/search?q=b&q=a",  # the pairs are sorted: a hit
                "/search",
                "/search?q=a&page=1",
            ],
        )
        c = new_client()
        seen.append((await c.request("GET", "/news")).seen(*HEADERS))
        seen.append((await c.request("GET", "/news")).seen(*HEADERS))
        no_cache = {"Cache-Control": "no-cache"}
        seen.append((await c.request("GET", "/news", headers=no_cache)).seen(*HEADERS))
        seen.append((await c.request("GET", "/news?fresh=1")).seen(*HEADERS))
        # The bypassed runs stored nothing: the first answer is still there.
        seen.append((await c.request("GET", "/news")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 12
    assert runs(seen) == [1, 1, 2, 3, 3, 4, 1, 1, 1, 2, 3, 1]
    assert seen[1][2] == b'{"page":"1","q":["a"],"run":1}\n'
    assert seen[4][2] == b'{"page":null,"q":["a","b"],"run":3}\n'


EXTRA = ("x-generated-run", "cache-control", "set-cookie")


@pytest.mark.parametrize("side", SIDES)
async def test_cached_response_object_keeps_its_status_headers_and_cookie(side: str) -> None:
    """``make_response(jsonify(...), 203)`` with headers and a cookie: the cache stores
    the response object itself (pickled) and answers with it again."""

    async def script(new_client: NewClient) -> list[t.Any]:
        return await get_all(new_client, ["/report", "/report", "/report"], *EXTRA)

    seen = await differential(SCENARIO, script, side)
    report = (
        203,
        {
            "content-type": ["application/json"],
            "content-length": ["10"],
            "x-generated-run": ["1"],
            "cache-control": ["public, max-age=60"],
            "set-cookie": ["report_run; <value>; Path=/"],
        },
        b'{"run":1}\n',
    )
    assert seen == [report] * 3


@pytest.mark.parametrize("side", SIDES)
async def test_cached_tuple_and_cached_response_with_its_own_timeout(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        paths = ["/legacy", "/legacy", "/dynamic-ttl", "/dynamic-ttl"]
        return await get_all(new_client, paths, *EXTRA)

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [201, 201, 200, 200]
    assert seen[0] == seen[1]
    assert seen[1][1]["x-generated-run"] == ["1"] and seen[1][2] == b"legacy run 1"
    assert seen[1][1]["content-type"] == ["text/plain"]
    assert seen[2] == seen[3] and seen[3][2] == b'{"run":1}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_non_200_answers_are_not_cached_and_delete_cached_purges(side: str) -> None:
    """``response_filter`` keeps a 404 (an ``abort``) and a 409 (a tuple) out of the
    cache; ``cache.set`` in one view feeds another; ``delete_cached`` (through
    ``url_for``) drops the cached page."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []

        async def get() -> None:
            seen.append((await c.request("GET", "/items/1")).seen(*HEADERS))

        async def post(query: str) -> None:
            seen.append((await c.request("POST", f"/items/1?{query}")).seen(*HEADERS))

        await get()  # 404: not stored
        await get()
        await post("name=")
        await get()  # 409: not stored
        await get()
        await post("name=lamp")
        await get()  # 200: stored
        await post("name=desk")
        await get()  # still the cached lamp
        await post("name=desk&purge=1")
        await get()
        await get()
        for _ in range(2):  # no filter: a raised abort is cached and raised again
            seen.append((await c.request("GET", "/unstable")).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [404, 404, 200, 409, 409, 200, 200, 200, 200, 200, 200, 200, 503, 503]
    assert b"Not Found" in seen[0][2] and seen[0][1]["content-type"] == ["text/html; charset=utf-8"]
    assert [seen[i][2] for i in (3, 4)] == [
        b'{"error":"no name","run":3}\n',
        b'{"error":"no name","run":4}\n',
    ]
    assert seen[6][2] == seen[8][2] == b'{"id":1,"name":"lamp","run":5}\n'
    assert seen[9][2] == b'{"purged":true,"stored":"desk"}\n'
    assert seen[10][2] == seen[11][2] == b'{"id":1,"name":"desk","run":6}\n'
    assert b"down, run 1" in seen[12][2] and seen[12] == seen[13]


@pytest.mark.parametrize("side", SIDES)
async def test_keys_built_from_the_request_and_the_hit_cache_header(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for lang in ("fr", "en", "fr;q=0.9, en;q=0.8", None, "en"):
            headers = {"Accept-Language": lang} if lang else None
            seen.append((await c.request("GET", "/greeting", headers=headers)).seen(*HEADERS))
        for tenant, board in (("acme", "sales"), ("acme", "sales"), ("umbrella", "sales")):
            r = await c.request("GET", f"/boards/{board}", headers={"X-Tenant": tenant})
            seen.append(r.seen(*HEADERS))
        seen.append((await c.request("GET", "/boards/ops")).seen(*HEADERS))
        seen.append((await c.request("GET", "/boards/ops")).seen(*HEADERS))
        for _ in range(3):
            seen.append((await c.request("GET", "/flagged")).seen(*HEADERS, "hit_cache"))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 13
    assert [o[2] for o in seen[:5]] == [
        b'{"greeting":"bonjour","path":"/greeting","run":1}\n',
        b'{"greeting":"hello","path":"/greeting","run":1}\n',
        b'{"greeting":"bonjour","path":"/greeting","run":1}\n',
        b'{"greeting":"hello","path":"/greeting","run":1}\n',
        b'{"greeting":"hello","path":"/greeting","run":1}\n',
    ]
    assert runs(seen[5:10]) == [1, 1, 1, 1, 1]
    assert seen[7][2] == b'{"board":"sales","run":1,"tenant":"umbrella"}\n'
    assert seen[9][2] == b'{"board":"ops","run":1,"tenant":"public"}\n'
    assert [o[1]["hit_cache"] for o in seen[10:]] == [[], ["True"], ["True"]]
    assert runs(seen[10:]) == [1, 1, 1]


@pytest.mark.parametrize("side", SIDES)
async def test_memoize_and_delete_memoized(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []

        async def send(method: str, path: str) -> None:
            seen.append((await c.request(method, path)).seen(*HEADERS))

        for path in ("/prices/1", "/prices/1", "/prices/1?currency=USD", "/prices/2"):
            await send("GET", path)
        await send("DELETE", "/prices/1")  # forgets price(1) only
        for path in ("/prices/1", "/prices/1?currency=USD", "/prices/2", "/prices/1"):
            await send("GET", path)
        await send("DELETE", "/prices/1?all=1")  # every price(...) call
        for path in ("/prices/1?currency=USD", "/prices/2"):
            await send("GET", path)
        for method, path in (
            ("GET", "/profiles/ann"),
            ("GET", "/profiles/bob"),
            ("GET", "/profiles/ann"),
            ("DELETE", "/profiles/ann"),
            ("GET", "/profiles/ann"),
            ("GET", "/profiles/bob"),
        ):
            await send(method, path)
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 18
    assert runs(seen) == [1, 1, 1, 1, None, 2, 1, 1, 2, None, 2, 2, 1, 1, 1, None, 2, 2]
    assert seen[2][2] == b'{"currency":"USD","item":1,"run":1}\n'
    assert seen[12][2] == seen[14][2] == b'{"run":1,"user":"ann"}\n'


CLIENTS = 20


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_requests_each_cache_and_read_their_own_path(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[int, list[t.Any]] = {}

        async def one(i: int) -> None:
            answers[i] = await get_all(new_client, [f"/slow/{i}", f"/slow/{i}"])

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(one, i)
        return [answers[i] for i in range(CLIENTS)]

    seen = await differential(SCENARIO, script, side)
    for i, answers in enumerate(seen):
        body = f'{{"n":{i},"path":"/slow/{i}","run":1}}\n'.encode()
        assert [o[2] for o in answers] == [body, body]


def async_feed_script() -> t.Any:
    async def script(new_client: NewClient) -> list[t.Any]:
        paths = ["/async-feed?topic=x", "/async-feed?topic=x", "/async-feed?topic=y"]
        return await get_all(new_client, paths)

    return script


@pytest.mark.parametrize("side", THREADED_SIDES)
async def test_async_view_is_run_through_ensure_sync_and_cached(side: str) -> None:
    seen = await differential(SCENARIO, async_feed_script(), side)
    assert [o[2] for o in seen] == [
        b'{"feed":"x","run":1}\n',
        b'{"feed":"x","run":1}\n',
        b'{"feed":"y","run":2}\n',
    ]


async def test_async_view_from_an_endpoint_on_the_event_loop_never_caches_a_coroutine() -> None:
    """On the loop, ``ensure_sync`` cannot wait for the view: a loud 500 is acceptable,
    a wrong or stale body is not."""
    seen = await run(SCENARIO, async_feed_script(), "fastapi-async")
    assert all(o[0] == 500 for o in seen) or [o[2] for o in seen] == [
        b'{"feed":"x","run":1}\n',
        b'{"feed":"x","run":1}\n',
        b'{"feed":"y","run":2}\n',
    ]
