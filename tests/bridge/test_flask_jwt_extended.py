"""Flask-JWT-Extended, unmodified: tokens in headers and in cookies with CSRF,
its error callbacks and statuses, custom callbacks and the app's own handlers.

Tokens carry ``iat``, ``jti`` and (with cookies) ``csrf``, different on each run:
scripts record the claims of the tokens a view hands out without those, and
send tokens the view handed out on that same side. Expired, revoked and
foreign-key tokens are made here with fixed claims, so they are the same bytes
on both sides.
"""

from __future__ import annotations

import json
import typing as t
from datetime import timedelta

import anyio
import jwt as pyjwt
import pytest

from .apps import jwt_app
from .harness import SIDES, THREADED_SIDES, NewClient, Reply, differential, run, statuses

pytestmark = pytest.mark.anyio

SCENARIO = jwt_app.scenario
CUSTOM = jwt_app.custom_scenario
HEADERS = ("content-type", "www-authenticate", "set-cookie", "x-who")
#: What changes from one token to the next.
VOLATILE_CLAIMS = ("iat", "nbf", "exp", "jti", "csrf")
COOKIES = {"JWT_TOKEN_LOCATION": ["cookies"], "JWT_CSRF_CHECK_FORM": True}
EVERYWHERE = {"JWT_TOKEN_LOCATION": ["headers", "cookies", "json", "query_string"]}

NOW = 1_700_000_000
FAR = 4_102_444_800  # 2100-01-01


def fixed_token(
    sub: str, *, exp: int = FAR, jti: str = "fixed-jti", key: str = jwt_app.SECRET, **claims: t.Any
) -> str:
    payload = {"sub": sub, "type": "access", "fresh": False, "jti": jti}
    payload |= {"iat": NOW, "nbf": NOW, "exp": exp, **claims}
    return pyjwt.encode(payload, key, algorithm="HS256")


EXPIRED = fixed_token("ann", exp=NOW + 600)
FOREIGN = fixed_token("ann", key="another-secret-of-at-least-32-bytes!!")
GHOST = fixed_token("ghost")
REVOKED = fixed_token("ann", jti="revoked-jti")
FIXED_REFRESH = fixed_token("ann", type="refresh")
FIXED = fixed_token("ann", role="admin", csrf="fixed-csrf")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seen(r: Reply) -> tuple[t.Any, ...]:
    return r.seen(*HEADERS)


def claims(token: str) -> dict[str, t.Any]:
    """A token's claims without the volatile ones, and its lifetime."""
    data = pyjwt.decode(token, jwt_app.SECRET, algorithms=["HS256"])
    lifetime = data["exp"] - data["iat"]
    return {**{k: v for k, v in data.items() if k not in VOLATILE_CLAIMS}, "lifetime": lifetime}


def tokens_seen(r: Reply) -> tuple[t.Any, ...]:
    """A reply handing out tokens: their claims, not their bytes."""
    status, headers, _ = seen(r)
    return status, headers, {k: claims(v) for k, v in sorted(r.json().items())}


def cookie_value(r: Reply, name: str) -> str:
    """What the page's script reads from a non-HttpOnly cookie the reply set."""
    for key, value in r.headers:
        if key.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.partition("=")[2].partition(";")[0]
    raise AssertionError(f"no Set-Cookie {name} in {r.headers}")


async def login(c: t.Any, user: str, path: str = "/login") -> Reply:
    creds = {"username": user, "password": jwt_app.USERS[user]["password"]}
    return await c.request("POST", path, json=creds)


# -- tokens in the Authorization header ------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
async def test_login_then_access_optional_refresh_and_fresh(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = []
        wrong = {"username": "ann", "password": "bob-pw"}
        out.append(seen(await c.request("POST", "/login", json=wrong)))
        r = await login(c, "ann")
        out.append(tokens_seen(r))
        access, refresh = r.json()["access_token"], r.json()["refresh_token"]
        out.append(seen(await c.request("GET", "/protected")))
        out.append(seen(await c.request("GET", "/protected", headers=bearer(access))))
        out.append(seen(await c.request("GET", "/optional")))
        out.append(seen(await c.request("GET", "/optional", headers=bearer(access))))
        out.append(seen(await c.request("GET", "/profile", headers=bearer(access))))
        # The wrong kind of token, each way.
        out.append(seen(await c.request("POST", "/refresh", headers=bearer(access))))
        out.append(seen(await c.request("GET", "/protected", headers=bearer(refresh))))
        r = await c.request("POST", "/refresh", headers=bearer(refresh))
        out.append(tokens_seen(r))
        refreshed = r.json()["access_token"]
        out.append(seen(await c.request("GET", "/fresh", headers=bearer(refreshed))))
        out.append(seen(await c.request("GET", "/fresh", headers=bearer(access))))
        return out

    out = await differential(SCENARIO, script, side)
    assert statuses(out) == [401, 200, 401, 200, 200, 200, 200, 422, 422, 200, 401, 200]
    assert out[0][2] == b'{"msg":"Bad username or password"}\n'
    org = str(jwt_app.ORG)
    assert out[1][2] == {
        "access_token": {
            "sub": "ann",
            "fresh": True,
            "type": "access",
            "role": "admin",
            "org": org,
            "lifetime": 3600,
        },
        "refresh_token": {
            "sub": "ann",
            "fresh": False,
            "type": "refresh",
            "role": "admin",
            "org": org,
            "lifetime": 7 * 86400,
        },
    }
    assert out[2][2] == b'{"msg":"Missing Authorization Header"}\n'
    assert out[3][2] == (
        b'{"fresh":true,"identity":"ann","lifetime":3600,"location":"headers",'
        b'"org":"' + org.encode() + b'","role":"admin","type":"access","user":"ann"}\n'
    )
    assert out[4][2] == b'{"claims":[],"identity":null,"location":null,"user":null}\n'
    assert b'"identity":"ann"' in out[5][2] and b'"location":"headers"' in out[5][2]
    assert out[6][1]["content-type"] == ["text/html; charset=utf-8"]
    assert out[6][2] == b"<p>ann (admin)</p>"
    assert out[7][2] == b'{"msg":"Only refresh tokens are allowed"}\n'
    assert out[8][2] == b'{"msg":"Only non-refresh tokens are allowed"}\n'
    assert out[9][2]["access_token"]["fresh"] is False
    assert out[10][2] == b'{"msg":"Fresh token required"}\n'
    assert out[11][2] == b'{"fresh_for":"ann"}\n'


BAD_HEADERS = {
    "expired": bearer(EXPIRED),
    "foreign-key": bearer(FOREIGN),
    "not-a-jwt": bearer("not.a.jwt"),
    "no-token": {"Authorization": "Bearer"},
    "other-scheme": {"Authorization": "Basic YW5uOmFubi1wdw=="},
    "unknown-user": bearer(GHOST),
}


@pytest.mark.parametrize("side", SIDES)
async def test_default_error_callbacks_answer_json_with_their_statuses(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out = {}
        for name, headers in BAD_HEADERS.items():
            out[name] = seen(await c.request("GET", "/protected", headers=headers))
            # optional=True lets a request without a token in, never one with a bad token.
            out[f"optional {name}"] = seen(await c.request("GET", "/optional", headers=headers))
        return [out]

    [out] = await differential(SCENARIO, script, side)
    bearer_format = "Expected 'Authorization: Bearer <JWT>'"
    expected = {
        "expired": (401, {"msg": "Token has expired"}),
        "foreign-key": (422, {"msg": "Signature verification failed"}),
        "no-token": (422, {"msg": f"Bad Authorization header. {bearer_format}"}),
        "other-scheme": (
            401,
            {"msg": f"Missing 'Bearer' type in 'Authorization' header. {bearer_format}"},
        ),
        "unknown-user": (401, {"msg": "Error loading the user ghost"}),
    }
    for name, (status, body) in expected.items():
        assert (out[name][0], json.loads(out[name][2])) == (status, body), name
    assert out["not-a-jwt"][0] == 422
    assert out["not-a-jwt"][1]["content-type"] == ["application/json"]
    for name in ("expired", "foreign-key", "not-a-jwt", "no-token", "unknown-user"):
        assert out[f"optional {name}"] == out[name], name
    # Another scheme is no token at all: optional lets it in.
    assert out["optional other-scheme"][0] == 200


@pytest.mark.parametrize("side", SIDES)
async def test_token_in_query_string_json_body_or_header_and_automatic_options(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = [seen(await c.request("GET", "/protected"))]
        tokens = (await login(c, "bob")).json()
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        out.append(seen(await c.request("GET", f"/protected?jwt={access}")))
        body = {"access_token": access, "amount": 3}
        out.append(seen(await c.request("POST", "/transfer", json=body)))
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 3})))
        r = await c.request("POST", "/refresh", json={"refresh_token": refresh})
        out.append(tokens_seen(r))
        out.append(seen(await c.request("GET", f"/optional?jwt={EXPIRED}")))
        # Flask answers OPTIONS itself (and the extension exempts it): no token needed.
        out.append((await c.request("OPTIONS", "/protected")).seen("allow", "content-type"))
        return out

    out = await differential(SCENARIO, script, side, EVERYWHERE)
    assert statuses(out) == [401, 200, 200, 401, 200, 401, 200]
    assert out[0][2] == (
        b'{"msg":"Missing JWT in headers, cookies, json or query_string'
        b' (Missing Authorization Header; Missing cookie \\"access_token_cookie\\"; '
        b"Invalid content-type. Must be application/json.; Missing 'jwt' query paramater)\"}\n"
    )
    assert b'"location":"query_string"' in out[1][2] and b'"user":"bob"' in out[1][2]
    assert out[2][2] == b'{"amount":3,"by":"bob","method":"POST"}\n'
    assert b'Missing \\"access_token\\" key in json data.' in out[3][2]
    assert out[4][2]["access_token"]["sub"] == "bob"
    assert out[5][2] == b'{"msg":"Token has expired"}\n'
    assert out[6][1]["allow"] == ["GET, HEAD, OPTIONS"]


# -- tokens in cookies, with CSRF double submit ----------------------------------------


@pytest.mark.parametrize("side", SIDES)
async def test_cookies_with_csrf_double_submit(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = [seen(await c.request("GET", "/protected"))]
        r = await login(c, "ann", "/cookie-login")
        out.append(seen(r))
        csrf_access = cookie_value(r, "csrf_access_token")
        csrf_refresh = cookie_value(r, "csrf_refresh_token")
        out.append(claims(cookie_value(r, "access_token_cookie")))
        out.append(seen(await c.request("GET", "/protected")))  # GET: no CSRF check
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 5})))
        wrong = {"X-CSRF-TOKEN": csrf_refresh}
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 5}, headers=wrong)))
        right = {"X-CSRF-TOKEN": csrf_access}
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 5}, headers=right)))
        out.append(seen(await c.request("DELETE", "/transfer")))  # DELETE is checked too
        # JWT_CSRF_CHECK_FORM: the token in the form's field instead of the header.
        form = {"amount": "7", "csrf_token": csrf_access}
        out.append(seen(await c.request("POST", "/transfer", data=form)))
        # The refresh cookie has its own CSRF token.
        out.append(seen(await c.request("POST", "/cookie-refresh", headers=right)))
        r = await c.request("POST", "/cookie-refresh", headers={"X-CSRF-TOKEN": csrf_refresh})
        out.append(seen(r))
        new_csrf = {"X-CSRF-TOKEN": cookie_value(r, "csrf_access_token")}
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 1}, headers=right)))
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 1}, headers=new_csrf)))
        out.append(seen(await c.request("POST", "/cookie-logout")))
        out.append([c.has_cookie(n) for n in ("access_token_cookie", "csrf_refresh_token")])
        out.append(seen(await c.request("GET", "/protected")))
        return out

    out = await differential(SCENARIO, script, side, COOKIES)
    assert statuses(out) == [401, 200, 200, 401, 401, 200, 401, 200, 401, 200, 401, 200, 200, 401]
    assert out[0][2] == b'{"msg":"Missing cookie \\"access_token_cookie\\""}\n'
    assert out[1][1]["set-cookie"] == [
        "access_token_cookie; <value>; HttpOnly; Path=/",
        "csrf_access_token; <value>; Path=/",
        "refresh_token_cookie; <value>; HttpOnly; Path=/",
        "csrf_refresh_token; <value>; Path=/",
    ]
    assert out[2]["sub"] == "ann" and out[2]["type"] == "access"
    assert b'"location":"cookies"' in out[3][2]
    assert out[4][2] == b'{"msg":"Missing CSRF token"}\n'
    assert out[5][2] == b'{"msg":"CSRF double submit tokens do not match"}\n'
    assert out[6][2] == b'{"amount":5,"by":"ann","method":"POST"}\n'
    assert out[7][2] == b'{"msg":"Missing CSRF token"}\n'
    assert out[8][2] == b'{"amount":7,"by":"ann","method":"POST"}\n'
    assert out[9][2] == b'{"msg":"CSRF double submit tokens do not match"}\n'
    assert out[10][1]["set-cookie"] == [
        "access_token_cookie; <value>; HttpOnly; Path=/",
        "csrf_access_token; <value>; Path=/",
    ]
    assert out[12][2] == b'{"amount":1,"by":"ann","method":"POST"}\n'
    assert out[13][1]["set-cookie"] == [
        f"{name}; <deleted>; expires; {'HttpOnly; ' if not name.startswith('csrf') else ''}Path=/"
        for name in (
            "access_token_cookie",
            "csrf_access_token",
            "refresh_token_cookie",
            "csrf_refresh_token",
        )
    ]
    assert out[14] == [False, False]
    assert out[15][2] == b'{"msg":"Missing cookie \\"access_token_cookie\\""}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_implicit_refresh_in_an_after_request_hook(side: str) -> None:
    """The extension's documented pattern: ``get_jwt()`` in ``after_request`` reads what
    the view's decorator stored in ``g``, and replaces a cookie about to expire."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        out: list[t.Any] = [seen(await login(c, "ann", "/cookie-login"))]
        r = await c.request("GET", "/protected")
        out.append(seen(r))
        csrf = {"X-CSRF-TOKEN": cookie_value(r, "csrf_access_token")}
        out.append(seen(await c.request("POST", "/transfer", json={"amount": 2}, headers=csrf)))
        # Another browser, with a token good for decades: nothing to refresh.
        d = new_client()
        out.append(seen(await d.request("POST", "/cookie-adopt", json={"token": FIXED})))
        out.append(seen(await d.request("GET", "/protected")))
        csrf = {"X-CSRF-TOKEN": "fixed-csrf"}
        out.append(seen(await d.request("POST", "/transfer", json={"amount": 4}, headers=csrf)))
        out.append(seen(await d.request("GET", "/optional")))
        out.append(seen(await d.request("POST", "/cookie-adopt", json={"token": EXPIRED})))
        out.append(seen(await new_client().request("GET", "/optional")))
        out.append(seen(await new_client().request("GET", "/protected")))
        return out

    config = {**COOKIES, "IMPLICIT_REFRESH_WITHIN": timedelta(hours=2)}
    out = await differential(SCENARIO, script, side, config)
    assert statuses(out) == [200, 200, 200, 200, 200, 200, 200, 401, 200, 401]
    refreshed = [
        "access_token_cookie; <value>; HttpOnly; Path=/",
        "csrf_access_token; <value>; Path=/",
    ]
    assert out[1][1]["set-cookie"] == refreshed
    assert out[2][1]["set-cookie"] == refreshed
    assert out[2][2] == b'{"amount":2,"by":"ann","method":"POST"}\n'
    assert out[3][1]["set-cookie"] == refreshed  # adopted, not refreshed
    assert [o[1]["set-cookie"] for o in out[4:]] == [[]] * 6
    assert b'"lifetime":2402444800' in out[4][2]
    assert out[5][2] == b'{"amount":4,"by":"ann","method":"POST"}\n'
    assert b'"identity":"ann"' in out[6][2]
    assert out[7][2] == b'{"msg":"Token has expired"}\n'
    assert out[8][2] == b'{"claims":[],"identity":null,"location":null,"user":null}\n'
    assert out[9][2] == b'{"msg":"Missing cookie \\"access_token_cookie\\""}\n'


# -- the app's own callbacks and error handlers ----------------------------------------


@pytest.mark.parametrize("side", SIDES)
async def test_custom_callbacks_and_the_apps_error_handlers(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        r = await login(c, "ann")
        ann = r.json()
        bob = (await login(c, "bob")).json()
        out: dict[str, t.Any] = {"login": tokens_seen(r)}
        calls = {
            "who anonymous": ("/who", {}),
            "who ann": ("/who", bearer(ann["access_token"])),
            "missing": ("/protected", {}),
            "ok": ("/protected", bearer(ann["access_token"])),
            "expired": ("/protected", bearer(EXPIRED)),
            "expired, unprotected view": ("/who", bearer(EXPIRED)),
            "foreign-key": ("/protected", bearer(FOREIGN)),
            "revoked": ("/protected", bearer(REVOKED)),
            "refresh as access": ("/protected", bearer(ann["refresh_token"])),
            "fixed refresh as access": ("/who", bearer(FIXED_REFRESH)),
            "admin ann": ("/admin", bearer(ann["access_token"])),
            "admin bob": ("/admin", bearer(bob["access_token"])),
            "boom": ("/boom", bearer(ann["access_token"])),
            "members anonymous": ("/members", {}),
            "members ann": ("/members", bearer(ann["access_token"])),
            "members expired": ("/members", bearer(EXPIRED)),
            # Flask's NotFound reaches the catch-all, after the app's before_request.
            "no such route": ("/nope", bearer(ann["access_token"])),
        }
        for name, (path, headers) in calls.items():
            out[name] = seen(await c.request("GET", path, headers=headers))
        return [out]

    [out] = await differential(CUSTOM, script, side)
    assert out["login"][0] == 200 and out["login"][1]["x-who"] == ["None"]
    wrong_type = {"detail": "Only non-refresh tokens are allowed", "error": "wrong_token_type"}
    expired = {"error": "token_expired", "sub": "ann"}
    expected = {
        "who anonymous": (200, "None", {"who": None}),
        "who ann": (200, "ann", {"who": "ann"}),
        "missing": (
            401,
            "None",
            {"detail": "Missing Authorization Header", "error": "authorization_required"},
        ),
        "ok": (200, "ann", {"g_who": "ann", "identity": "ann"}),
        "expired": (401, "None", expired),
        "expired, unprotected view": (401, "None", expired),
        "foreign-key": (
            401,
            "None",
            {"detail": "Signature verification failed", "error": "invalid_token"},
        ),
        "revoked": (401, "None", {"message": "Token has been revoked"}),
        "refresh as access": (403, "None", wrong_type),
        "fixed refresh as access": (403, "None", wrong_type),
        "admin ann": (200, "ann", {"admin": "ann"}),
        "admin bob": (403, "bob", {"message": "Admins only!"}),
        "boom": (500, "ann", {"error": "internal", "type": "ValueError"}),
        "members anonymous": (401, "None", {"error": "unauthorized_page"}),
        "members ann": (200, "ann", {"member": "ann"}),
        "members expired": (401, "None", expired),
        "no such route": (500, "ann", {"error": "internal", "type": "NotFound"}),
    }
    for name, (status, x_who, body) in expected.items():
        o = out[name]
        assert (o[0], o[1]["x-who"], json.loads(o[2])) == (status, [x_who], body), name
    assert out["missing"][1]["www-authenticate"] == ['Bearer realm="api"']
    assert out["foreign-key"][1]["www-authenticate"] == ['Bearer error="invalid_token"']
    assert all(o[1]["content-type"] == ["application/json"] for o in out.values())


# -- an async def view ---------------------------------------------------------------


@pytest.mark.parametrize("side", THREADED_SIDES)
async def test_async_view(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        access = (await login(c, "bob")).json()["access_token"]
        out = [seen(await c.request("GET", "/async-protected"))]
        out.append(seen(await c.request("GET", "/async-protected", headers=bearer(access))))
        out.append(seen(await c.request("GET", "/async-protected", headers=bearer(EXPIRED))))
        return out

    out = await differential(SCENARIO, script, side)
    assert statuses(out) == [401, 200, 401]
    assert out[1][2] == b'{"identity":"bob","user":"bob"}\n'


async def test_async_view_from_an_endpoint_on_the_event_loop_never_lets_a_bad_token_in() -> None:
    """On the loop, jwt_required's sync wrapper cannot wait for the ``async def`` view
    (``ensure_sync`` refuses): a valid token may fail loudly (500), but a request
    without one or with an expired one still gets the extension's 401."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        access = (await login(c, "bob")).json()["access_token"]
        return [
            (await c.request("GET", "/async-protected", headers=h)).status
            for h in ({}, bearer(EXPIRED), bearer(access))
        ]

    missing, expired, valid = await run(SCENARIO, script, "fastapi-async")
    assert (missing, expired) == (401, 401)
    assert valid in (200, 500)


# -- many users at once ----------------------------------------------------------------

USERS_AT_ONCE = 20


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_users_never_see_each_other(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[str, t.Any] = {}

        async def one(i: int) -> None:
            user = f"u{i}"
            c = new_client()
            access = (await login(c, user)).json()["access_token"]
            mine = await c.request("GET", "/slow-whoami", headers=bearer(access))
            bad = await c.request("GET", "/slow-whoami", headers=bearer(GHOST))
            answers[user] = (mine.status, mine.json(), bad.status, bad.json())

        async with anyio.create_task_group() as tg:
            for i in range(USERS_AT_ONCE):
                tg.start_soon(one, i)
        return [answers[f"u{i}"] for i in range(USERS_AT_ONCE)]

    out = await differential(SCENARIO, script, side)
    for i, answer in enumerate(out):
        user = f"u{i}"
        ghost = {"msg": "Error loading the user ghost"}
        assert answer == (200, {"first": user, "second": user, "user": user}, 401, ghost)
