"""Flask-Talisman, unmodified: security headers from its after_request, force_https from
its before_request, a per-request CSP nonce, per-view options and the session cookie flags.

Talisman stores the nonce on ``flask.request`` in a before_request hook and reads it back
in after_request, in the ``csp_nonce()`` Jinja global and in views; it reads
``current_app.view_functions[request.endpoint]`` for the per-view options, and writes
``SESSION_COOKIE_SECURE`` into the config at request time.
"""

from __future__ import annotations

import re
import typing as t

import anyio
import pytest

from .apps import talisman_app
from .harness import SIDES, NewClient, Reply, differential, statuses

pytestmark = pytest.mark.anyio

SCENARIO = talisman_app.scenario
HTTPS = {"X-Forwarded-Proto": "https"}
SECURITY_HEADERS = (
    "content-security-policy",
    "content-security-policy-report-only",
    "strict-transport-security",
    "x-frame-options",
    "x-content-type-options",
    "x-xss-protection",
    "x-download-options",
    "referrer-policy",
    "permissions-policy",
    "document-policy",
    "feature-policy",
    "location",
    "content-type",
    "set-cookie",
)
NONCE = re.compile(r"nonce-([A-Za-z0-9_-]{32})'")
BODY_NONCE = re.compile(rb'nonce(?:="|":")([A-Za-z0-9_-]{32})"')


def nonces(reply: Reply) -> tuple[set[str], set[str]]:
    """The nonces in the CSP header(s) and in the body."""
    in_header = {
        n
        for h in ("content-security-policy", "content-security-policy-report-only")
        for v in reply.header(h)
        for n in NONCE.findall(v)
    }
    in_body = {n.decode() for n in BODY_NONCE.findall(reply.body)}
    return in_header, in_body


def seen_with_nonce(
    reply: Reply, headers: tuple[str, ...] = SECURITY_HEADERS, body: bool = True
) -> tuple[t.Any, ...]:
    """``seen`` with the (random) nonce replaced by its role, after checking that the
    header's nonce is the one the body got."""
    in_header, in_body = nonces(reply)
    status, headers, body = reply.seen(*headers, body=body)
    if in_header:
        assert len(in_header) == 1, in_header
        (value,) = in_header
        assert in_body <= {value}, (in_header, in_body)
        headers = {k: [v.replace(value, "<nonce>") for v in vs] for k, vs in headers.items()}
        if body is not None:
            body = body.replace(value.encode(), b"<nonce>")
    return status, headers, body, len(in_header), bool(in_body)


@pytest.mark.parametrize("side", SIDES)
async def test_security_headers_and_nonce_over_https(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        first = await c.request("GET", "/page", headers=HTTPS)
        second = await c.request("GET", "/page", headers=HTTPS)
        seen = [seen_with_nonce(first), seen_with_nonce(second)]
        # A fresh nonce per request.
        seen.append(nonces(first)[0] != nonces(second)[0])
        for path in ("/nonce", "/embeddable", "/locked", "/health", "/forbidden"):
            seen.append(seen_with_nonce(await c.request("GET", path, headers=HTTPS)))
        seen.append(seen_with_nonce(await c.request("POST", "/submit", headers=HTTPS)))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200, 200, 200, 200, 403, 200]
    page = seen[0][1]
    assert page["content-security-policy"] == [
        "default-src 'self'; script-src 'self' https://cdn.example 'nonce-<nonce>';"
        " style-src 'self' 'nonce-<nonce>'; object-src 'none'"
    ]
    assert seen[0][2].count(b'nonce="<nonce>"') == 2
    assert page["strict-transport-security"] == ["max-age=600; includeSubDomains"]
    assert page["x-frame-options"] == ["SAMEORIGIN"]
    assert page["x-content-type-options"] == ["nosniff"]
    assert page["x-xss-protection"] == ["1; mode=block"]
    assert page["x-download-options"] == ["noopen"]
    assert page["referrer-policy"] == ["strict-origin-when-cross-origin"]
    assert page["permissions-policy"] == ["browsing-topics=()"]
    assert page["feature-policy"] == ["geolocation 'none'"]
    assert seen[2] is True
    nonce_view = seen[3]
    assert nonce_view[3] and nonce_view[4]  # the view read the nonce the header carries
    assert nonce_view[2] == b'{"again":"<nonce>","nonce":"<nonce>","path":"/nonce"}\n'
    embeddable, locked, health, forbidden = seen[4:8]
    assert embeddable[1]["x-frame-options"] == ["ALLOW-FROM https://partner.example"]
    assert locked[1]["x-frame-options"] == ["DENY"]
    # The view's string policy replaces the app's: no nonce section in it.
    assert locked[1]["content-security-policy"] == ["default-src 'none'; img-src 'self'"]
    assert health[1]["content-security-policy"] == []
    assert health[1]["x-frame-options"] == []
    assert health[1]["strict-transport-security"] == ["max-age=600; includeSubDomains"]
    # An error response gets them too.
    assert forbidden[1]["x-frame-options"] == ["SAMEORIGIN"]
    assert forbidden[1]["content-security-policy"] != []


@pytest.mark.parametrize("side", SIDES)
async def test_force_https_redirects_plain_http(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request(method, path, headers=headers)).seen(*SECURITY_HEADERS)
            for method, path, headers in [
                ("GET", "/page", None),
                ("GET", "/page?next=%2Fa&x=1", None),
                ("POST", "/submit", None),
                ("GET", "/health", None),  # force_https=False on the view
                ("GET", "/forbidden", None),
                ("GET", "/page", {"X-Forwarded-Proto": "http"}),
            ]
        ]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [302, 302, 302, 200, 302, 302]
    assert seen[0][1]["location"] == ["https://localhost/page"]
    assert seen[1][1]["location"] == ["https://localhost/page?next=/a&x=1"]
    assert seen[2][1]["location"] == ["https://localhost/submit"]
    # No HSTS over plain http; after_request still runs on the redirect.
    for s in seen:
        assert s[1]["strict-transport-security"] == []
    assert seen[0][1]["x-frame-options"] == ["SAMEORIGIN"]
    assert seen[3][2] == b'{"ok":true}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_unknown_path_is_redirected_then_gets_the_headers(side: str) -> None:
    """Flask runs before_request before raising the routing 404: Talisman redirects an
    unknown path too. Over https the 404 carries the default headers (no view options).
    The 404's body is the router's, so only Talisman's headers are compared."""
    headers = tuple(h for h in SECURITY_HEADERS if h != "content-type")

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        plain = await c.request("GET", "/missing")
        secure = await c.request("GET", "/missing", headers=HTTPS)
        return [plain.seen(*headers), seen_with_nonce(secure, headers, body=False)]

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [302, 404]
    assert seen[0][1]["location"] == ["https://localhost/missing"]
    assert seen[1][1]["x-frame-options"] == ["SAMEORIGIN"]
    assert seen[1][1]["strict-transport-security"] == ["max-age=600; includeSubDomains"]


@pytest.mark.parametrize("side", SIDES)
async def test_session_cookie_gets_the_flags_talisman_forces(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        return [(await new_client().request("GET", "/login", headers=HTTPS)).seen("set-cookie")]

    seen = await differential(SCENARIO, script, side)
    assert seen[0][1]["set-cookie"] == ["session; <value>; Secure; HttpOnly; Path=/; SameSite=Lax"]


@pytest.mark.parametrize("side", SIDES)
async def test_debug_mode_disables_force_https_and_the_secure_flag(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            seen_with_nonce(await c.request("GET", "/login")),
            seen_with_nonce(await c.request("GET", "/page")),
        ]

    seen = await differential(SCENARIO, script, side, config={"DEBUG": True})
    assert statuses(seen) == [200, 200]
    assert seen[0][1]["set-cookie"] == ["session; <value>; HttpOnly; Path=/; SameSite=Lax"]
    assert seen[1][1]["strict-transport-security"] == []


@pytest.mark.parametrize("side", SIDES)
async def test_report_only_policy_permanent_redirect_and_cookie_options(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        return [
            (await c.request("GET", "/page")).seen(*SECURITY_HEADERS),
            seen_with_nonce(await c.request("GET", "/page", headers=HTTPS)),
            (await c.request("GET", "/login", headers=HTTPS)).seen("set-cookie"),
        ]

    seen = await differential(talisman_app.report_only_scenario, script, side)
    assert statuses(seen) == [301, 200, 200]
    assert seen[0][1]["location"] == ["https://localhost/page"]
    page = seen[1][1]
    assert page["content-security-policy"] == []
    assert page["content-security-policy-report-only"] == [
        "default-src 'self'; script-src 'self' 'nonce-<nonce>'; report-uri /csp-report"
    ]
    assert page["strict-transport-security"] == ["max-age=31556926; preload"]
    assert page["referrer-policy"] == ["no-referrer"]
    assert page["permissions-policy"] == ["camera=(), microphone=(self)"]
    assert page["document-policy"] == ["oversized-images=?0"]
    assert seen[2][1]["set-cookie"] == ["session; <value>; HttpOnly; Path=/; SameSite=Strict"]


CLIENTS = 20


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_requests_each_get_their_own_nonce(side: str) -> None:
    """20 requests at once: each body's nonce is the one in its own CSP header, and no
    two requests share one."""

    async def script(new_client: NewClient) -> list[t.Any]:
        replies: dict[int, Reply] = {}

        async def one(i: int) -> None:
            path = "/nonce" if i % 2 else "/page"
            replies[i] = await new_client().request("GET", path, headers=HTTPS)

        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(one, i)
        seen = [seen_with_nonce(replies[i]) for i in range(CLIENTS)]
        all_nonces = [n for i in range(CLIENTS) for n in nonces(replies[i])[0]]
        seen.append(len(set(all_nonces)) == CLIENTS)
        return seen

    seen = await differential(SCENARIO, script, side)
    assert seen[-1] is True
    for s in seen[:-1]:
        assert s[0] == 200
        assert s[3] == 1 and s[4]  # one nonce, and the body has that one
