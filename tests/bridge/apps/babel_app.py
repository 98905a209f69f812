"""A Flask-Babel app as a Flask codebase has it: selectors, catalogs, formatting, templates.

The catalogs are compiled at import into a temporary folder (``.mo`` files as
``pybabel compile`` writes them), named by an absolute
``BABEL_TRANSLATION_DIRECTORIES``: the two sides' ``root_path`` differ (the
harness builds the ``FlaskCompat`` without an ``import_name``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import typing as t
from datetime import UTC, date, datetime

import anyio
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Response, abort, g, render_template_string, request, stream_with_context
from flask_babel import (
    Babel,
    force_locale,
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    get_locale,
    get_timezone,
    gettext,
    lazy_gettext,
    ngettext,
    refresh,
    to_user_timezone,
)

from ..harness import Route, Scenario

#: locale -> msgid -> msgstr; a tuple msgid is (singular, plural).
MESSAGES: dict[str, dict[t.Any, t.Any]] = {
    "de": {
        "Hello": "Hallo",
        "Hello %(name)s!": "Hallo %(name)s!",
        "Welcome": "Willkommen",
        "Language changed": "Sprache geändert",
        "No such page: %(path)s": "Keine solche Seite: %(path)s",
        ("%(num)d apple", "%(num)d apples"): ("%(num)d Apfel", "%(num)d Äpfel"),
    },
    "fr": {
        "Hello": "Bonjour",
        "Hello %(name)s!": "Bonjour %(name)s !",
        "Welcome": "Bienvenue",
        "Language changed": "Langue modifiée",
        "No such page: %(path)s": "Page introuvable : %(path)s",
        # French has three forms: one (0 and 1), many (millions), other.
        ("%(num)d apple", "%(num)d apples"): (
            "%(num)d pomme",
            "%(num)d de pommes",
            "%(num)d pommes",
        ),
    },
}
SUPPORTED = ["en", "de", "fr"]


def compile_catalogs(root: str) -> None:
    for locale, messages in MESSAGES.items():
        catalog = Catalog(locale=locale, domain="messages")
        for msgid, msgstr in messages.items():
            assert isinstance(msgid, str) or len(msgstr) == catalog.num_plurals
            catalog.add(msgid, msgstr)
        folder = os.path.join(root, locale, "LC_MESSAGES")
        os.makedirs(folder)
        with open(os.path.join(folder, "messages.mo"), "wb") as f:
            write_mo(f, catalog)


TRANSLATIONS = tempfile.mkdtemp(prefix="bridge-babel-")
atexit.register(shutil.rmtree, TRANSLATIONS, ignore_errors=True)
compile_catalogs(TRANSLATIONS)

#: The users the app knows: a stored locale (or None: the browser decides) and timezone.
USERS: dict[str, dict[str, str | None]] = {
    "ann": {"locale": "de", "tz": "Europe/Berlin"},
    "bob": {"locale": None, "tz": "America/New_York"},
    "kim": {"locale": "fr", "tz": "Asia/Tokyo"},
}

#: Module level, as forms and constants have them: translated when used.
WELCOME = lazy_gettext("Welcome")
WHEN = datetime(2024, 3, 9, 17, 45, 30, tzinfo=UTC)

babel = Babel()


def select_locale() -> str | None:
    override = g.get("locale_override")
    if override:
        return override
    user = g.get("user")
    if user and user["locale"]:
        return user["locale"]
    if "lang" in request.args:
        return request.args["lang"]
    return request.accept_languages.best_match(SUPPORTED)


def select_timezone() -> str | None:
    user = g.get("user")
    return user["tz"] if user else None


def load_user() -> None:
    g.user = USERS.get(request.headers.get("X-User", ""))


def content_language(response: t.Any) -> t.Any:
    response.headers["Content-Language"] = str(get_locale())
    return response


def not_found(error: t.Any) -> t.Any:
    """A translated error page, for a missing route and for ``abort(404)`` alike."""
    return {"error": gettext("No such page: %(path)s", path=request.path)}, 404


def init_app(app: t.Any) -> None:
    app.before_request(load_user)
    app.after_request(content_language)
    app.register_error_handler(404, not_found)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def greet() -> t.Any:
    name = request.args.get("name", "Ann")
    return {
        "locale": str(get_locale()),
        "hello": gettext("Hello"),
        "named": gettext("Hello %(name)s!", name=name),
        "apples": [ngettext("%(num)d apple", "%(num)d apples", n) for n in (0, 1, 2, 5)],
        "welcome": str(WELCOME),
        # A lazy string straight into the JSON, as WTForms labels and errors go.
        "lazy": WELCOME,
    }


def formats() -> t.Any:
    return {
        "locale": str(get_locale()),
        "timezone": str(get_timezone()),
        "datetime": format_datetime(WHEN),
        "datetime_full": format_datetime(WHEN, "full"),
        "date_long": format_date(WHEN, "long"),
        "plain_date": format_date(date(2024, 12, 24)),
        "time_short": format_time(WHEN, "short"),
        "pattern": format_datetime(WHEN, "yyyy-MM-dd HH:mm zzzz"),
        "utc_unrebased": format_datetime(WHEN, "HH:mm", rebase=False),
        "user_time": to_user_timezone(WHEN).isoformat(),
        "currency": format_currency(1234.5, "EUR"),
        "currency_usd": format_currency(-0.5, "USD"),
        "decimal": format_decimal(1234567.891),
        "decimal_pattern": format_decimal(1234.5, "#,##0.00"),
        "percent": format_percent(0.256),
    }


def forced() -> t.Any:
    """An e-mail in the recipient's language, then the page in the reader's."""
    before = gettext("Hello")
    with force_locale("fr"):
        mail = {
            "locale": str(get_locale()),
            "hello": gettext("Hello"),
            "apples": ngettext("%(num)d apple", "%(num)d apples", 2),
            "decimal": format_decimal(1234.5),
            "welcome": str(WELCOME),
        }
        with force_locale("de"):
            nested = gettext("Hello")
        mail["after_nested"] = gettext("Hello")
    return {
        "before": before,
        "mail": mail,
        "nested": nested,
        "after": gettext("Hello"),
        "locale": str(get_locale()),
    }


def switch() -> t.Any:
    """The user picks a language: cached until ``refresh()``, then the new one."""
    before = gettext("Hello")
    g.locale_override = request.args["to"]
    cached = {"locale": str(get_locale()), "hello": gettext("Hello")}
    refresh()
    return {
        "before": before,
        "cached": cached,
        "refreshed": {"locale": str(get_locale()), "message": gettext("Language changed")},
    }


PAGE = """\
<p>{{ _('Hello') }}, {{ user }}</p>
<p>{{ ngettext('%(num)d apple', '%(num)d apples', count) }}</p>
<p>{{ gettext('Hello %(name)s!', name=user) }}</p>
<p>{{ when|datetimeformat('short') }} / {{ when|dateformat('long') }}</p>
<p>{{ price|currencyformat('EUR') }} {{ ratio|percentformat }} {{ big|numberformat }}</p>
"""


def page() -> t.Any:
    return render_template_string(
        PAGE, user="<Ann>", count=3, when=WHEN, price=99.5, ratio=0.5, big=1234567
    )


def slow_locale() -> t.Any:
    """Reads the locale, lets other requests run, reads it again."""
    first = {"locale": str(get_locale()), "hello": gettext("Hello")}
    time.sleep(0.005)
    second = {"locale": str(get_locale()), "hello": gettext("Hello")}
    return {"first": first, "second": second, "timezone": str(get_timezone())}


async def slow_locale_async() -> t.Any:
    """The same across an ``await``: the request's context goes with the task."""
    first = {"locale": str(get_locale()), "hello": gettext("Hello")}
    await anyio.sleep(0.005)
    second = {"locale": str(get_locale()), "hello": gettext("Hello")}
    return {"first": first, "second": second, "timezone": str(get_timezone())}


def export() -> t.Any:
    """A streamed CSV export: the body is made after the view returned."""

    def rows() -> t.Iterator[str]:
        yield f"{gettext('Hello')};{get_locale()}\n"
        for n in (1, 2):
            time.sleep(0.002)
            yield f"{ngettext('%(num)d apple', '%(num)d apples', n)};{format_decimal(n * 1000.5)}\n"
        yield f"{format_datetime(WHEN, 'short')};{get_timezone()}\n"

    return Response(stream_with_context(rows()), mimetype="text/csv")


def article(slug: str) -> t.Any:
    if slug != "welcome":
        abort(404)
    return {"title": str(WELCOME)}


scenario = Scenario(
    import_name=__name__,
    config={"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS},
    init_app=init_app,
    routes=[
        Route("/greet", "greet", greet),
        Route("/formats", "formats", formats),
        Route("/forced", "forced", forced),
        Route("/switch", "switch", switch),
        Route("/page", "page", page),
        Route("/slow-locale", "slow_locale", slow_locale),
        Route("/slow-locale-async", "slow_locale_async", slow_locale_async),
        Route("/articles/<slug>", "article", article),
        Route("/export", "export", export),
    ],
)
