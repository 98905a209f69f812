"""Flask-Babel, unmodified: locale and timezone selectors, catalogs, formatting, templates.

Flask-Babel keeps the request's locale, timezone and translations on
``flask.g._flask_babel`` (``get_locale()`` asks the selector once per request),
reads ``current_app.extensions['babel']`` and installs its filters and
``gettext`` callables on ``app.jinja_env``.
"""

from __future__ import annotations

import typing as t

import anyio
import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat

from .apps import babel_app
from .harness import (
    SIDES,
    NewClient,
    build_flask,
    differential,
    statuses,
)

pytestmark = pytest.mark.anyio

SCENARIO = babel_app.scenario
HEADERS = ("content-type", "content-language")

#: Accept-Language headers a browser sends, and the locale Werkzeug's
#: ``best_match`` picks from ``en, de, fr`` (an exact match beats a better
#: quality that only matches by its primary tag; none: the default, ``en``).
BROWSERS = [
    ("de-DE,de;q=0.9,en;q=0.5", "de"),
    ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
    ("en-GB;q=0.3, de-AT;q=0.8, fr;q=0.5", "fr"),
    ("de-AT", "de"),
    ("pt-BR,pt;q=0.9", "en"),
    ("*", "en"),
    ("", "en"),
]


@pytest.mark.parametrize("side", SIDES)
async def test_locale_follows_each_requests_accept_language(side: str) -> None:
    """One browser, changing its language between requests: each request asks the
    selector again (the cache on ``g`` lives for one request)."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for accept, _ in BROWSERS:
            headers = {"Accept-Language": accept} if accept else {}
            seen.append((await c.request("GET", "/greet", headers=headers)).seen(*HEADERS))
        # The query string and the user's stored locale win over the browser.
        de = {"Accept-Language": "de"}
        seen.append((await c.request("GET", "/greet?lang=fr", headers=de)).seen(*HEADERS))
        seen.append((await c.request("GET", "/greet", headers={**de, "X-User": "kim"})).seen())
        seen.append((await c.request("GET", "/greet?name=%3Cb%3E", headers=de)).seen())
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * (len(BROWSERS) + 3)
    expected = [locale for _, locale in BROWSERS] + ["fr", "fr", "de"]
    assert [o[1]["content-language"] for o in seen[: len(BROWSERS) + 1]] == [
        [locale] for locale in expected[: len(BROWSERS) + 1]
    ]
    assert seen[0][2] == (
        b'{"apples":["0 \\u00c4pfel","1 Apfel","2 \\u00c4pfel","5 \\u00c4pfel"],'
        b'"hello":"Hallo","lazy":"Willkommen","locale":"de","named":"Hallo Ann!",'
        b'"welcome":"Willkommen"}\n'
    )
    assert seen[1][2] == (
        b'{"apples":["0 pomme","1 pomme","2 pommes","5 pommes"],"hello":"Bonjour",'
        b'"lazy":"Bienvenue","locale":"fr","named":"Bonjour Ann !","welcome":"Bienvenue"}\n'
    )
    assert b'"hello":"Hello"' in seen[4][2] and b'"1 apple"' in seen[4][2]
    assert b'"named":"Hallo <b>!"' in seen[-1][2]


@pytest.mark.parametrize("side", SIDES)
async def test_formatting_in_the_users_locale_and_timezone(side: str) -> None:
    """``format_*`` with the locale and the timezone the selectors chose: the
    timezone selector reads ``g.user``, which a ``before_request`` hook set."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for headers in (
            {"Accept-Language": "en-US,en;q=0.9"},
            {"X-User": "ann"},  # de, Europe/Berlin
            {"X-User": "bob", "Accept-Language": "fr"},  # browser's fr, America/New_York
            {"X-User": "kim"},  # fr, Asia/Tokyo
        ):
            seen.append((await c.request("GET", "/formats", headers=headers)).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200, 200]
    en, ann, bob, kim = (o[2] for o in seen)
    assert b'"datetime":"Mar 9, 2024, 5:45:30\\u202fPM"' in en
    assert b'"currency":"\\u20ac1,234.50"' in en and b'"timezone":"UTC"' in en
    assert b'"datetime":"09.03.2024, 18:45:30"' in ann
    assert b'"currency":"1.234,50\\u00a0\\u20ac"' in ann
    assert b'"timezone":"Europe/Berlin"' in ann
    assert b'"user_time":"2024-03-09T12:45:30-05:00"' in bob and b'"locale":"fr"' in bob
    assert b'"timezone":"Asia/Tokyo"' in kim and b'"utc_unrebased":"17:45"' in kim


@pytest.mark.parametrize("side", SIDES)
async def test_force_locale_and_refresh(side: str) -> None:
    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for headers in ({"Accept-Language": "de"}, {"Accept-Language": "en"}):
            seen.append((await c.request("GET", "/forced", headers=headers)).seen(*HEADERS))
        for to in ("fr", "de"):
            path = f"/switch?to={to}"
            r = await c.request("GET", path, headers={"Accept-Language": "en"})
            seen.append(r.seen(*HEADERS))
        # The switch lasted one request: the next one asks the browser again.
        seen.append((await c.request("GET", "/greet", headers={"Accept-Language": "en"})).seen())
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 5
    assert seen[0][2] == (
        b'{"after":"Hallo","before":"Hallo","locale":"de","mail":{"after_nested":"Bonjour",'
        b'"apples":"2 pommes","decimal":"1\\u202f234,5","hello":"Bonjour","locale":"fr",'
        b'"welcome":"Bienvenue"},"nested":"Hallo"}\n'
    )
    assert seen[0][1]["content-language"] == ["de"]
    assert seen[2][2] == (
        b'{"before":"Hello","cached":{"hello":"Hello","locale":"en"},'
        b'"refreshed":{"locale":"fr","message":"Langue modifi\\u00e9e"}}\n'
    )
    # after_request reads the refreshed locale.
    assert [seen[2][1]["content-language"], seen[3][1]["content-language"]] == [["fr"], ["de"]]
    assert b'"locale":"en"' in seen[4][2]


@pytest.mark.parametrize("side", SIDES)
async def test_jinja_filters_and_gettext_in_templates(side: str) -> None:
    """``init_app`` put its filters and the i18n extension on ``app.jinja_env``."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for headers in ({"Accept-Language": "de"}, {"X-User": "bob"}, {"X-User": "kim"}):
            seen.append((await c.request("GET", "/page", headers=headers)).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200]
    assert seen[0][1]["content-type"] == ["text/html; charset=utf-8"]
    assert (
        seen[0][2]
        == (
            "<p>Hallo, &lt;Ann&gt;</p>\n<p>3 Äpfel</p>\n<p>Hallo &lt;Ann&gt;!</p>\n"
            "<p>09.03.24, 17:45 / 9. März 2024</p>\n<p>99,50\u00a0€ 50\u00a0% 1.234.567</p>"
        ).encode()
    )
    assert b"3/9/24, 12:45\xe2\x80\xafPM" in seen[1][2]
    assert b"<p>3 pommes</p>" in seen[2][2]


@pytest.mark.parametrize("side", SIDES)
async def test_translated_error_pages(side: str) -> None:
    """A 404 handler that translates: ``before_request`` ran (``g.user``), and
    ``after_request`` adds Content-Language to the error response too."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for path in ("/articles/welcome", "/articles/missing", "/nowhere"):
            for headers in ({"X-User": "ann"}, {"Accept-Language": "fr"}, {}):
                seen.append((await c.request("GET", path, headers=headers)).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200] * 3 + [404] * 6
    assert [o[1]["content-language"] for o in seen] == [["de"], ["fr"], ["en"]] * 3
    assert seen[0][2] == b'{"title":"Willkommen"}\n'
    assert seen[3][2] == b'{"error":"Keine solche Seite: /articles/missing"}\n'
    assert seen[7][2] == b'{"error":"Page introuvable : /nowhere"}\n'
    assert seen[8][2] == b'{"error":"No such page: /nowhere"}\n'


@pytest.mark.parametrize("side", SIDES)
async def test_streamed_export_keeps_the_requests_locale(side: str) -> None:
    """``stream_with_context``: the generator runs after the view returned, still
    in the request (``g``'s cached locale, the timezone from ``g.user``)."""

    async def script(new_client: NewClient) -> list[t.Any]:
        c = new_client()
        seen = []
        for headers in ({"X-User": "ann"}, {"X-User": "bob", "Accept-Language": "fr"}, {}):
            seen.append((await c.request("GET", "/export", headers=headers)).seen(*HEADERS))
        return seen

    seen = await differential(SCENARIO, script, side)
    assert statuses(seen) == [200, 200, 200]
    assert seen[0][1] == {"content-type": ["text/csv; charset=utf-8"], "content-language": ["de"]}
    assert (
        seen[0][2]
        == ("Hallo;de\n1 Apfel;1.000,5\n2 Äpfel;2.001\n09.03.24, 18:45;Europe/Berlin\n").encode()
    )
    assert seen[1][2].startswith(b"Bonjour;fr\n1 pomme;")
    assert seen[2][2].endswith(b";UTC\n")


USERS_AT_ONCE = 30


async def concurrent_browsers(path: str, side: str) -> None:
    """30 browsers with different languages at once: each request's cached locale,
    translations and timezone are its own."""
    languages = [("de", "Hallo"), ("fr", "Bonjour"), ("en", "Hello")]
    users = [None, "ann", "bob", "kim"]

    def request_of(i: int) -> dict[str, str]:
        headers = {"Accept-Language": languages[i % 3][0]}
        user = users[i % 4]
        if user:
            headers["X-User"] = user
        return headers

    async def script(new_client: NewClient) -> list[t.Any]:
        answers: dict[int, t.Any] = {}

        async def one(i: int) -> None:
            c = new_client()
            r = await c.request("GET", path, headers=request_of(i))
            answers[i] = (r.status, r.header("content-language"), r.json())

        async with anyio.create_task_group() as tg:
            for i in range(USERS_AT_ONCE):
                tg.start_soon(one, i)
        return [answers[i] for i in range(USERS_AT_ONCE)]

    seen = await differential(SCENARIO, script, side)
    for i, (status, content_language, body) in enumerate(seen):
        user = users[i % 4]
        locale = (babel_app.USERS[user]["locale"] if user else None) or languages[i % 3][0]
        hello = dict(languages)[locale]
        tz = babel_app.USERS[user]["tz"] if user else "UTC"
        assert (status, content_language) == (200, [locale])
        assert body == {
            "first": {"locale": locale, "hello": hello},
            "second": {"locale": locale, "hello": hello},
            "timezone": tz,
        }


@pytest.mark.parametrize("side", SIDES)
async def test_concurrent_browsers_each_get_their_own_locale(side: str) -> None:
    await concurrent_browsers("/slow-locale", side)


# An ``async def`` view: Flask runs it with asgiref; a port has it in an ``async def``
# endpoint (the harness's ``def`` endpoint does not await a view).
@pytest.mark.parametrize("side", ["flask", "fastapi-async"])
async def test_concurrent_browsers_across_an_await_in_an_async_view(side: str) -> None:
    await concurrent_browsers("/slow-locale-async", side)


def background_job() -> dict[str, t.Any]:
    """A job outside any request (a translated e-mail from a worker): the locale
    is forced, the selector never runs; without it, the selector reads the request."""
    from flask_babel import force_locale, format_decimal, get_locale, get_timezone, gettext

    with force_locale("fr"):
        seen: dict[str, t.Any] = {
            "hello": gettext("Hello"),
            "welcome": str(babel_app.WELCOME),
            "decimal": format_decimal(1234.5),
            "locale": str(get_locale()),
            "timezone": str(get_timezone()),
        }
    try:
        get_locale()
    except RuntimeError as exc:
        seen["unforced"] = str(exc).splitlines()[0]
    return seen


# Sync code in a worker, not a request: "fastapi-sync" is a bare FlaskCompat.
@pytest.mark.parametrize("side", ["flask", "fastapi-sync"])
def test_force_locale_in_an_app_context_outside_requests(side: str) -> None:
    flask_app = build_flask(SCENARIO)
    with flask_app.app_context():
        theirs = background_job()
    if side != "flask":
        compat = FlaskCompat(FastAPI(), config=SCENARIO.config, bridge_flask=True)
        SCENARIO.init_app(compat)
        with compat.app_context():
            assert background_job() == theirs
    assert theirs == {
        "hello": "Bonjour",
        "welcome": "Bienvenue",
        "decimal": "1\u202f234,5",
        "locale": "fr",
        "timezone": "UTC",
        "unforced": "Working outside of request context.",
    }
