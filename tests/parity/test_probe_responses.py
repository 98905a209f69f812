"""Probes: what views and helpers return and send, under Flask and FlaskCompat.

Each probe runs one scenario under a real ``flask.Flask`` and under FastAPI +
FlaskCompat and compares what a client sees (status, selected headers, body)
and what the helpers returned. Flask 3.1 is the reference: a failing probe is
a finding, not a test to relax.

Areas: ``make_response`` forms and ``Response`` attributes, a view returning
None, ``jsonify`` and ``app.json``, ``redirect``, ``abort``, ``url_for``
(quoting, query strings, build-error handlers), ``flash`` across requests,
the session cookie, ``set_cookie``/``delete_cookie``, ``after_this_request``,
HEAD, 204/304 and conditional responses, Content-Length.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import re
import typing as t
import uuid
from collections.abc import Callable, Sequence
from http import HTTPStatus

import flask
import httpx
import pytest
import werkzeug
from markupsafe import Markup
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, NotFound

import fastapi_flaskcompat

from .harness import (
    ENDPOINT_KINDS,
    Api,
    Observation,
    Setup,
    build_compat,
    build_flask,
    exc_info,
    run_both,
)

pytestmark = pytest.mark.anyio

SELECT = (
    "content-type",
    "content-length",
    "location",
    "x-a",
    "vary",
    "allow",
    "www-authenticate",
    "retry-after",
    "cache-control",
    "etag",
    "expires",
    "last-modified",
    "content-range",
    "accept-ranges",
)


def _compare(theirs: Observation, ours: Observation) -> None:
    assert (ours.status, ours.headers, ours.body, ours.events) == (
        theirs.status,
        theirs.headers,
        theirs.body,
        theirs.events,
    )


# -- view return values: make_response forms and Response objects ----------------


def _gen_str() -> t.Iterator[str]:
    yield "a"
    yield "é"


def _gen_mixed() -> t.Iterator[t.Any]:
    yield "one,"
    yield b"two"


def _wsgi_app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
    start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-A", environ["PATH_INFO"])])
    return [b"from wsgi"]


def _edited(api: Api) -> t.Any:
    r = api.make_response("x")
    r.mimetype = "text/plain"
    r.status_code = 202
    r.headers["X-A"] = "edited"
    r.set_data("changed body")
    return r


def _data_prop(api: Api) -> t.Any:
    r = api.make_response("short")
    r.data = "longer body é"
    return r


def _caching(api: Api) -> t.Any:
    r = api.make_response("cached")
    r.cache_control.max_age = 60
    r.cache_control.public = True
    r.expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    r.last_modified = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    r.set_etag("abc")
    r.vary.add("Accept")
    return r


def _multi_header(api: Api) -> t.Any:
    r = api.make_response("m")
    r.headers.add("X-A", "1")
    r.headers.add("X-A", "2")
    return r


def _content_type_prop(api: Api) -> t.Any:
    r = api.make_response("<x/>")
    r.content_type = "application/xml"
    return r


def _location_relative(api: Api) -> t.Any:
    r = api.make_response("moved", 302)
    r.headers["Location"] = "/elsewhere?a=1"
    return r


RETURN_VALUES: dict[str, Callable[[Api], t.Any]] = {
    "bytearray": lambda api: bytearray(b"ba"),
    "empty_str": lambda api: "",
    "non_ascii_str": lambda api: "héllo €",
    "status_str_headers_list": lambda api: ("b", "201 CREATED", [("X-A", "1"), ("X-A", "2")]),
    "status_bare_code_str": lambda api: ("b", "201"),
    "status_enum": lambda api: ("b", HTTPStatus.CREATED),
    "header_int_value": lambda api: ("b", {"X-A": 5}),
    "header_latin1_value": lambda api: ("b", {"X-A": "café"}),
    "dict_headers": lambda api: ({"a": 1}, {"X-A": "1"}),
    "list_status_str": lambda api: ([1, 2], "202 ACCEPTED"),
    "dict_content_type_override": lambda api: (
        {"a": 1},
        200,
        {"Content-Type": "application/vnd.x+json"},
    ),
    "generator_str": lambda api: _gen_str(),
    "generator_mixed": lambda api: _gen_mixed(),
    "generator_status_headers": lambda api: (_gen_str(), 201, {"X-A": "g"}),
    "response_mimetype": lambda api: api.Response("x", mimetype="text/plain"),
    "response_content_type": lambda api: api.Response(
        "x", content_type="text/csv; charset=latin-1"
    ),
    "response_json_mimetype": lambda api: api.Response('{"a":1}', mimetype="application/json"),
    "response_status_str": lambda api: api.Response("x", status="418 I'M A TEAPOT"),
    "response_bytes_list": lambda api: api.Response([b"a", b"b"]),
    "response_tuple_status_headers": lambda api: (api.Response("r"), 201, {"X-A": "t"}),
    "response_edited": _edited,
    "response_data_prop": _data_prop,
    "response_caching_attrs": _caching,
    "response_multi_header": _multi_header,
    "response_content_type_prop": _content_type_prop,
    "response_location_relative": _location_relative,
    "redirect_werkzeug_class": lambda api: api.redirect("/w", 303, Response=werkzeug.Response),
    "werkzeug_response": lambda api: werkzeug.Response("wz", status=201, headers={"X-A": "w"}),
    "http_exception_returned": lambda api: NotFound(),
    "http_exception_description": lambda api: NotFound("Nothing <here>"),
    "wsgi_callable": lambda api: _wsgi_app,
    "jsonify_list": lambda api: api.jsonify([1, 2]),
    "jsonify_args": lambda api: api.jsonify(1, 2),
    "jsonify_kwargs_status_headers": lambda api: (api.jsonify(b=1, a=2), 201, {"X-A": "j"}),
    "make_response_dict": lambda api: api.make_response({"a": [1]}),
    "make_response_list_headers": lambda api: api.make_response("x", 201, [("X-A", "l")]),
    "make_response_headers_only": lambda api: api.make_response("x", {"X-A": "h"}),
    "make_response_response_status": lambda api: api.make_response(api.Response("x"), 202),
    "make_response_generator": lambda api: api.make_response(_gen_str()),
}


@pytest.mark.parametrize("case", list(RETURN_VALUES))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_view_return_value(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: RETURN_VALUES[case](api)

    theirs, ours = await run_both(setup, "/?q=1", select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


@pytest.mark.parametrize("case", ["non_ascii_str", "generator_str", "response_edited"])
async def test_after_request_sees_the_same_response(case: str) -> None:
    """What an after_request hook reads off the converted response."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(
                (
                    r.status,
                    r.mimetype,
                    r.content_type,
                    r.mimetype_params,
                    r.is_streamed,
                    r.content_length,
                )
            )
            return r

        return lambda: RETURN_VALUES[case](api)

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


# -- a view returning None --------------------------------------------------------


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
@pytest.mark.parametrize("form", ["none", "none_status"])
async def test_view_returning_none_is_a_500_with_flasks_type_error(
    form: str, endpoint_kind: str
) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.status_code))
            return r

        app.teardown_request(lambda exc: ev.append(("teardown", type(exc).__name__, str(exc))))

        def view() -> t.Any:
            return None if form == "none" else (None, 201)

        return view

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)
    assert theirs.status == 500
    assert "The view function for 'view' did not return a valid response" in theirs.events[1][2]


# -- jsonify and app.json ---------------------------------------------------------


class Html:
    def __html__(self) -> str:
        return "<b>html</b>"


class Token:
    def __str__(self) -> str:
        return "token"


JSON_CASES: dict[str, tuple[dict[str, t.Any], Callable[[Api], t.Any]]] = {
    "int_keys": ({}, lambda api: api.jsonify({2: "b", 1: "a"})),
    "nested_types": (
        {},
        lambda api: api.jsonify(
            when=datetime.datetime(2024, 5, 6, 7, 8, 9),
            d=datetime.date(2024, 5, 6),
            n=decimal.Decimal("3.14"),
            u=uuid.UUID(int=5),
            m=Markup("<i>m</i>"),
            h=Html(),
            t=(1, 2),
        ),
    ),
    "non_ascii": ({}, lambda api: api.jsonify(name="Zoë", emoji="😀")),
    "unsorted_provider": ({"sort_keys": False}, lambda api: api.jsonify(b=1, a={"d": 1, "c": 2})),
    "no_ascii_provider": ({"ensure_ascii": False}, lambda api: api.jsonify(name="Zoë")),
    "not_compact_provider": ({"compact": False}, lambda api: api.jsonify(a=[1, 2])),
    "compact_provider": ({"compact": True}, lambda api: api.jsonify(a=[1, 2])),
    "mimetype_provider": (
        {"mimetype": "application/vnd.api+json"},
        lambda api: api.jsonify(a=1),
    ),
    "dict_return_unsorted": ({"sort_keys": False}, lambda api: {"b": 1, "a": 2}),
    "list_return_no_ascii": ({"ensure_ascii": False}, lambda api: ["é"]),
    "custom_default": (
        {"default": staticmethod(lambda o: sorted(o) if isinstance(o, set) else str(o))},
        lambda api: api.jsonify(s={3, 1, 2}, o=Token()),
    ),
    "json_dumps_in_request": (
        {"sort_keys": False, "ensure_ascii": False},
        lambda api: api.json.dumps({"b": "é", "a": 1}),
    ),
    "json_dumps_default_in_request": ({}, lambda api: api.json.dumps({"b": "é", "a": 1})),
    "json_loads_in_request": ({}, lambda api: repr(api.json.loads('{"b": [1, 2.5, null]}'))),
}


@pytest.mark.parametrize("case", list(JSON_CASES))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_json_through_a_request(case: str, endpoint_kind: str) -> None:
    provider_attrs, make = JSON_CASES[case]

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        for name, value in provider_attrs.items():
            if isinstance(value, staticmethod):
                value = value.__func__
            setattr(app.json, name, value)
        return lambda: make(api)

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


@pytest.mark.parametrize("debug", [False, True])
async def test_jsonify_in_debug_config_through_a_request(debug: bool) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: api.jsonify(b=[1, {"d": 2}], a=None)

    theirs, ours = await run_both(setup, select=SELECT, config={"DEBUG": debug})
    _compare(theirs, ours)


async def test_json_sort_keys_config_is_ignored_as_in_flask_3() -> None:
    """Flask 3 dropped ``JSON_SORT_KEYS`` (and ``JSON_AS_ASCII``): setting them does nothing."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: api.jsonify(b=1, a="é")

    config = {
        "JSON_SORT_KEYS": False,
        "JSON_AS_ASCII": False,
        "JSONIFY_MIMETYPE": "application/x-old",
        "JSONIFY_PRETTYPRINT_REGULAR": True,
    }
    theirs, ours = await run_both(setup, select=SELECT, config=config)
    _compare(theirs, ours)


def test_json_dumps_outside_an_app() -> None:
    """``flask.json.dumps`` without an app: the stdlib's defaults plus Flask's
    ``default`` (keys not sorted)."""
    obj = {"b": datetime.date(2024, 1, 2), "a": "é"}
    theirs = flask.json.dumps(obj)
    ours = fastapi_flaskcompat.json.dumps(obj)
    assert ours == theirs


def test_jsonify_errors_for_unserializable_values() -> None:
    results = []
    for api, app in (
        (flask, build_flask(lambda a, b, c: None, [])),
        (fastapi_flaskcompat, build_compat(lambda a, b, c: None, [])),
    ):
        with app.app_context():
            results.append(
                [
                    exc_info(lambda api=api: api.jsonify({1, 2})),
                    exc_info(lambda api=api: api.jsonify(b"bytes")),
                    exc_info(lambda api=api: api.jsonify({"a": 1, 2: "b"})),
                    exc_info(lambda api=api: api.jsonify(datetime.time(1, 2))),
                ]
            )
    theirs, ours = results
    assert ours == theirs


# -- redirect -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 305, 307, 308])
async def test_redirect_codes(code: int) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: api.redirect("/target?x=1", code=code)

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


REDIRECT_LOCATIONS = [
    "/relative",
    "relative/no/slash",
    "http://example.com/x?y=1&z=<2>",
    "/café/ü?q=é",
    "/a b",
    "https://exämple.com/ü",
    "//other.example/path",
    "/x?next=/a/b#frag",
    "/日本/ページ",
]


@pytest.mark.parametrize("location", REDIRECT_LOCATIONS)
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_redirect_locations(location: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: api.redirect(location)

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


async def test_redirect_to_url_for_with_next() -> None:
    """``redirect(url_for("login", next=request.path))``: the login pattern."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda step: api.redirect(api.url_for("view", step="login", next=api.request.path))

    theirs, ours = await run_both(setup, "/account/settings", rule="/<path:step>", select=SELECT)
    _compare(theirs, ours)


def test_redirect_outside_any_context() -> None:
    results = []
    for api in (flask, fastapi_flaskcompat):
        r = api.redirect("/out", 307)
        results.append((r.status, r.headers.get("Location"), r.get_data(), r.mimetype))
    theirs, ours = results
    assert ours == theirs


# -- abort ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 415, 418, 422, 429, 500, 501, 503]
)
async def test_abort_codes(code: int) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(("teardown", exc)))
        return lambda: api.abort(code)

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


class PaymentRequired(HTTPException):
    code = 402
    description = "Pay <first>."


class WithHeaders(HTTPException):
    code = 400
    description = "bad"

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        return [("Content-Type", "text/plain; charset=utf-8"), ("X-A", "from-exception")]

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        return "plain body"


ABORTS: dict[str, Callable[[Api], t.Any]] = {
    "positional_description": lambda api: api.abort(404, "No such <thing>"),
    "valid_methods": lambda api: api.abort(405, valid_methods=["GET", "POST"]),
    "www_authenticate": lambda api: api.abort(
        401, www_authenticate=werkzeug.datastructures.WWWAuthenticate("basic", {"realm": "r"})
    ),
    "retry_after": lambda api: api.abort(503, retry_after=30),
    "retry_after_429": lambda api: api.abort(429, retry_after=5),
    "unknown_code": lambda api: api.abort(999),
    "custom_exception_class": lambda api: (_ for _ in ()).throw(PaymentRequired()),
    "exception_with_headers": lambda api: (_ for _ in ()).throw(WithHeaders()),
    "exception_with_response": lambda api: (_ for _ in ()).throw(
        NotFound(response=api.make_response(("custom nf", 404, {"X-A": "r"})))
    ),
    "abort_json_response": lambda api: api.abort(
        api.make_response(api.jsonify(error="nope"), 400, {"X-A": "j"})
    ),
    "abort_tuple_via_make_response": lambda api: api.abort(api.make_response(("t", 409))),
}


@pytest.mark.parametrize("case", list(ABORTS))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_abort_forms(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(("teardown", type(exc).__name__)))
        return lambda: ABORTS[case](api)

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


async def test_abort_description_reaches_the_error_handler() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(403)
        def forbidden(e: t.Any) -> t.Any:
            return api.jsonify(code=e.code, name=e.name, description=e.description), e.code

        return lambda: api.abort(403, description="Go away")

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


# -- url_for: quoting and query strings ------------------------------------------------

URL_FOR_CASES: dict[str, dict[str, t.Any]] = {
    "space_in_param": {"name": "a b"},
    "non_ascii_param": {"name": "é"},
    "reserved_in_param": {"name": "a?b#c%d"},
    "safe_chars_in_param": {"name": "a+b=c&d@e:f"},
    "slash_in_string_param": {"name": "a/b"},
    "int_for_string_param": {"name": 5},
    "query_path_value": {"name": "x", "next": "/a/b"},
    "query_url_value": {"name": "x", "next": "/a/b?c=d:e@f"},
    "query_safe_chars": {"name": "x", "q": "~-._!$'()*,;"},
    "query_non_ascii_bool_list": {"name": "x", "q": "é ü", "t": True, "n": [1, 2]},
    "query_empty_value": {"name": "x", "q": ""},
    "query_list_with_none": {"name": "x", "tag": ["a", None, "b"]},
    "method_get": {"name": "x", "_method": "GET"},
    "method_not_allowed": {"name": "x", "_method": "POST"},
    "anchor_reserved": {"name": "x", "_anchor": "a b#c?d"},
    "external_scheme": {"name": "x", "_external": True, "_scheme": "https"},
}


@pytest.mark.parametrize("case", list(URL_FOR_CASES))
async def test_url_for_quoting(case: str) -> None:
    values = URL_FOR_CASES[case]

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view(name: str) -> str:
            try:
                return repr(api.url_for("view", **values))
            except Exception as e:
                return type(e).__name__

        return view

    theirs, ours = await run_both(setup, "/users/zz", rule="/users/<name>", select=SELECT)
    _compare(theirs, ours)


async def test_url_for_empty_string_param() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view(name: str) -> str:
            try:
                return repr(api.url_for("view", name=""))
            except Exception as e:
                return type(e).__name__

        return view

    theirs, ours = await run_both(setup, "/users/zz", rule="/users/<name>", select=SELECT)
    _compare(theirs, ours)


async def test_url_for_build_error_handler() -> None:
    """``app.url_build_error_handlers``: Flask's url_for hands a BuildError to
    ``handle_url_build_error``, whose handlers may return a URL."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def external(error: t.Any, endpoint: str, values: dict[str, t.Any]) -> str | None:
            ev.append((endpoint, sorted(values)))
            if endpoint == "legacy.page":
                return "https://legacy.example/page"
            return None

        app.url_build_error_handlers.append(external)
        return lambda: api.url_for("legacy.page", id=3)

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


async def test_url_for_app_url_defaults_fill_query_and_path() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.url_defaults
        def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
            values.setdefault("lang", "fr")
            ev.append((endpoint, dict(values)))

        return lambda lang: api.url_for("view", q=1) + " " + api.url_for("view", lang="de")

    theirs, ours = await run_both(setup, "/en/", rule="/<lang>/", select=SELECT)
    _compare(theirs, ours)


async def test_url_for_script_root() -> None:
    """A request under an app mounted at a prefix: the prefix leads the URL."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: " ".join(
            [api.url_for("view"), api.url_for("view", _external=True), api.request.script_root]
        )

    flask_app = build_flask(setup, [])
    theirs = flask_app.test_client().get("/", environ_overrides={"SCRIPT_NAME": "/pre"})
    compat = build_compat(setup, [])
    transport = httpx.ASGITransport(app=compat.fastapi_app, root_path="/pre")  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        ours = await client.get("/pre/")
    assert (ours.status_code, ours.content) == (theirs.status_code, theirs.get_data())


# -- several requests: flash, the session cookie ---------------------------------------

SECRET = "parity-secret"
SESSION_SELECT = ("set-cookie", "vary", "location", "content-type")


def _session_serializer() -> t.Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(
        SECRET,
        salt="cookie-session",
        serializer=flask.sessions.session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


_EXPIRES = re.compile(r"Expires=([^;]+)")


def _normalize_cookie(header: str) -> str:
    """The session cookie's value decoded (it carries a timestamp), a future
    ``Expires`` as minutes from now (it depends on the clock)."""
    name, _, rest = header.partition("=")
    value, sep, attrs = rest.partition(";")
    if name in ("session", "sess") and value:
        try:
            value = f"<{_session_serializer().loads(value)!r}>"
        except Exception as e:  # a cookie we cannot read is itself a finding
            value = f"<unreadable {type(e).__name__}>"

    def expires(m: re.Match[str]) -> str:
        when = werkzeug.http.parse_date(m.group(1))
        if when is None or when.year < 2000:
            return m.group(0)
        minutes = round((when - datetime.datetime.now(datetime.UTC)).total_seconds() / 60)
        return f"Expires=<now+{minutes}min>"

    return f"{name}={value}{sep}{_EXPIRES.sub(expires, attrs)}"


def _update_jar(jar: dict[str, str], set_cookies: Sequence[str]) -> None:
    for header in set_cookies:
        name, _, rest = header.partition("=")
        value = rest.partition(";")[0]
        lowered = header.lower()
        if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            jar.pop(name, None)
        else:
            jar[name] = value


Step = tuple[str, dict[str, str]]  # path, extra request headers


async def run_steps(
    setup: Setup,
    steps: Sequence[str | Step],
    *,
    config: dict[str, t.Any] | None = None,
    endpoint_kind: str = "async",
    select: Sequence[str] = SESSION_SELECT,
    rule: str = "/<step>",
    initial_cookies: dict[str, str] | None = None,
) -> tuple[list[t.Any], list[t.Any]]:
    """Several requests, each side carrying its own cookies from one to the next
    (by hand, identically: no cookie jar's rules in the way). Each step is
    ``(status, selected headers with normalized cookies, body)``."""
    config = {"SECRET_KEY": SECRET, **(config or {})}
    norm_steps: list[Step] = [(s, {}) if isinstance(s, str) else s for s in steps]

    def observe(status: int, headers: t.Any, body: bytes, jar: dict[str, str]) -> t.Any:
        getlist = getattr(headers, "getlist", None) or headers.get_list
        _update_jar(jar, getlist("set-cookie"))
        selected = {
            n: [_normalize_cookie(v) for v in getlist(n)] if n == "set-cookie" else getlist(n)
            for n in select
        }
        return status, selected, body

    def cookie_header(jar: dict[str, str]) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    flask_events: list[t.Any] = []
    flask_app = build_flask(setup, flask_events, rule=rule, methods=("GET",), config=config)
    client = flask_app.test_client(use_cookies=False)
    jar = dict(initial_cookies or {})
    theirs = []
    for path, headers in norm_steps:
        r = client.get(path, headers={**cookie_header(jar), **headers})
        theirs.append(observe(r.status_code, r.headers, r.get_data(), jar))
    theirs.append(flask_events)

    our_events: list[t.Any] = []
    compat = build_compat(
        setup, our_events, rule=rule, methods=("GET",), config=config, endpoint_kind=endpoint_kind
    )
    transport = httpx.ASGITransport(app=compat.fastapi_app, raise_app_exceptions=False)  # type: ignore[arg-type]
    jar = dict(initial_cookies or {})
    ours = []
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as ac:
        for path, headers in norm_steps:
            resp = await ac.get(path, headers={**cookie_header(jar), **headers})
            ac.cookies.clear()
            ours.append(observe(resp.status_code, resp.headers, resp.content, jar))
    ours.append(our_events)
    return theirs, ours


def _flash_setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
    def view(step: str) -> t.Any:
        if step == "flash":
            api.flash("plain")
            api.flash("careful", "warning")
            api.flash(Markup("<b>bold</b>"), "error")
            return api.redirect("/show")
        if step == "show":
            return repr(api.get_flashed_messages())
        if step == "cats":
            return repr(api.get_flashed_messages(with_categories=True))
        if step == "filter":
            first = api.get_flashed_messages(category_filter=["warning"])
            again = api.get_flashed_messages(with_categories=True, category_filter=["error"])
            everything = api.get_flashed_messages()
            return repr((first, again, everything))
        if step == "same":
            api.flash("now")
            got = api.get_flashed_messages()
            api.flash("later")
            return repr((got, api.get_flashed_messages()))
        if step == "empty":
            return repr(api.get_flashed_messages(with_categories=True))
        return "?"

    return view


FLASH_SEQUENCES = {
    "flash_then_show": ["/flash", "/show", "/show"],
    "flash_then_categories": ["/flash", "/cats", "/empty"],
    "flash_then_filter": ["/flash", "/filter", "/empty"],
    "flash_and_read_in_one_request": ["/same", "/show"],
    "nothing_flashed": ["/empty"],
}


@pytest.mark.parametrize("sequence", list(FLASH_SEQUENCES))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_flash_across_requests(sequence: str, endpoint_kind: str) -> None:
    theirs, ours = await run_steps(
        _flash_setup, FLASH_SEQUENCES[sequence], endpoint_kind=endpoint_kind
    )
    assert ours == theirs


def _session_setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
    def view(step: str) -> t.Any:
        s = api.session
        if step == "set":
            s["user"] = "ann"
            s["n"] = 1
            return "set"
        if step == "read":
            return repr(s.get("user"))
        if step == "contains":
            return repr("user" in s)
        if step == "nothing":
            return "nothing"
        if step == "types":
            s["t"] = (1, "a")
            s["b"] = b"\x00\xff"
            s["u"] = uuid.UUID(int=7)
            s["d"] = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
            s["m"] = Markup("<m>")
            s["tagged"] = {" t": [1]}
            s["nested"] = {"x": [1, {"y": 2}]}
            return "types"
        if step == "show_types":
            return repr(sorted((k, type(v).__name__, v) for k, v in s.items()))
        if step == "mutate_nested":
            s["nested"]["x"].append(3)
            return repr(s.modified)
        if step == "mutate_nested_marked":
            s["nested"]["x"].append(4)
            s.modified = True
            return "marked"
        if step == "permanent":
            s.permanent = True
            s["user"] = "perm"
            return "permanent"
        if step == "clear":
            s.clear()
            return "cleared"
        if step == "pop":
            return repr(s.pop("user", None))
        if step == "setdefault":
            return repr(s.setdefault("k", "v"))
        if step == "attrs":
            return repr((s.new, s.modified, s.permanent, s.accessed, len(s)))
        return "?"

    return view


SESSION_SEQUENCES = {
    "set_then_read": ["/set", "/read", "/nothing"],
    "nothing_without_cookie": ["/nothing", "/read", "/contains"],
    "contains_does_not_vary": ["/set", "/contains"],
    "types_round_trip": ["/types", "/show_types"],
    "nested_mutation_is_not_saved": ["/types", "/mutate_nested", "/show_types"],
    "nested_mutation_marked": ["/types", "/mutate_nested_marked", "/show_types"],
    "clear_deletes_cookie": ["/set", "/clear", "/read"],
    "pop_last_key_deletes_cookie": ["/permanent", "/clear", "/read"],
    "clear_without_cookie": ["/clear"],
    "pop_without_cookie": ["/pop"],
    "setdefault": ["/setdefault", "/read", "/setdefault"],
    "attrs": ["/attrs", "/set", "/attrs", "/permanent", "/attrs"],
    "permanent_refreshed_on_read": ["/permanent", "/nothing", "/read"],
}


@pytest.mark.parametrize("sequence", list(SESSION_SEQUENCES))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_session_across_requests(sequence: str, endpoint_kind: str) -> None:
    theirs, ours = await run_steps(
        _session_setup, SESSION_SEQUENCES[sequence], endpoint_kind=endpoint_kind
    )
    assert ours == theirs


SESSION_CONFIGS: dict[str, dict[str, t.Any]] = {
    "no_refresh": {"SESSION_REFRESH_EACH_REQUEST": False},
    "cookie_attrs": {
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": "example.org",
        "SESSION_COOKIE_PATH": "/app",
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PARTITIONED": True,
    },
    "samesite_strict": {"SESSION_COOKIE_SAMESITE": "Strict"},
    "cookie_name": {"SESSION_COOKIE_NAME": "sess"},
    "application_root": {"APPLICATION_ROOT": "/root"},
    "lifetime_seconds": {"PERMANENT_SESSION_LIFETIME": 600},
    "lifetime_timedelta": {"PERMANENT_SESSION_LIFETIME": datetime.timedelta(hours=2)},
}


@pytest.mark.parametrize("config", list(SESSION_CONFIGS))
async def test_session_cookie_config(config: str) -> None:
    steps = ["/set", "/read", "/permanent", "/nothing", "/read", "/clear"]
    theirs, ours = await run_steps(_session_setup, steps, config=SESSION_CONFIGS[config])
    assert ours == theirs


async def test_session_without_secret_key() -> None:
    """A write without SECRET_KEY is Flask's RuntimeError (a 500); reads see an
    empty session."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(exc and (type(exc).__name__, str(exc))))
        return _session_setup(api, app, ev)

    theirs, ours = await run_steps(setup, ["/read", "/attrs", "/set"], config={"SECRET_KEY": None})
    assert ours == theirs


async def test_session_cookie_made_by_flask_is_read_with_the_same_key() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return _session_setup(api, app, ev)

    flask_app = build_flask(setup, [], rule="/<step>", config={"SECRET_KEY": SECRET})
    r = flask_app.test_client(use_cookies=False).get("/types")
    cookie = r.headers["Set-Cookie"].partition(";")[0].partition("=")[2]
    theirs, ours = await run_steps(
        setup, ["/show_types", "/read"], initial_cookies={"session": cookie}
    )
    assert ours == theirs


async def test_session_cookie_signed_with_a_fallback_key() -> None:
    cookie = _session_serializer().dumps({"user": "old"})
    theirs, ours = await run_steps(
        _session_setup,
        ["/read", "/set"],
        config={"SECRET_KEY": "new-key", "SECRET_KEY_FALLBACKS": [SECRET]},
        initial_cookies={"session": cookie},
    )
    assert ours == theirs


async def test_session_bad_signature_gives_an_empty_session() -> None:
    theirs, ours = await run_steps(
        _session_setup, ["/read", "/attrs"], initial_cookies={"session": "garbage.value.sig"}
    )
    assert ours == theirs


async def test_session_written_in_after_request_and_after_this_request() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def count(r: t.Any) -> t.Any:
            api.session["hits"] = api.session.get("hits", 0) + 1
            return r

        def view(step: str) -> str:
            @api.after_this_request
            def mark(r: t.Any) -> t.Any:
                api.session["last"] = step
                return r

            return repr(dict(api.session))

        return view

    theirs, ours = await run_steps(setup, ["/a", "/b", "/c"])
    assert ours == theirs


# -- response.set_cookie / delete_cookie -------------------------------------------------

COOKIE_CALLS: dict[str, Callable[[t.Any], None]] = {
    "plain": lambda r: r.set_cookie("a", "1"),
    "max_age_int": lambda r: r.set_cookie("a", "1", max_age=3600),
    "max_age_timedelta": lambda r: r.set_cookie("a", "1", max_age=datetime.timedelta(days=1)),
    "expires_datetime": lambda r: r.set_cookie(
        "a", "1", expires=datetime.datetime(2031, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
    ),
    "expires_int": lambda r: r.set_cookie("a", "1", expires=1900000000),
    "all_attrs": lambda r: r.set_cookie(
        "a",
        "1",
        path="/p",
        domain="example.org",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
    ),
    "samesite_none": lambda r: r.set_cookie("a", "1", samesite="None", secure=True),
    "quoted_value": lambda r: r.set_cookie("a", 'v a;l"ue,é'),
    "two_cookies": lambda r: (r.set_cookie("a", "1"), r.set_cookie("b", "2")),
    "delete": lambda r: r.delete_cookie("a"),
    "delete_attrs": lambda r: r.delete_cookie(
        "a", path="/p", domain="example.org", secure=True, httponly=True, samesite="Lax"
    ),
}


@pytest.mark.parametrize("case", list(COOKIE_CALLS))
@pytest.mark.parametrize("where", ["view", "after_request"])
async def test_set_and_delete_cookie(case: str, where: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        if where == "after_request":

            @app.after_request
            def after(r: t.Any) -> t.Any:
                COOKIE_CALLS[case](r)
                return r

            return None

        def view() -> t.Any:
            r = api.make_response("c")
            COOKIE_CALLS[case](r)
            return r

        return view

    theirs, ours = await run_both(setup, select=("set-cookie", "content-length"))
    for obs in (theirs, ours):  # max_age also writes an Expires from the clock
        obs.headers["set-cookie"] = [_normalize_cookie(v) for v in obs.headers["set-cookie"]]
    _compare(theirs, ours)


async def test_cookies_and_session_cookie_together() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view(step: str) -> t.Any:
            api.session["x"] = step
            r = api.make_response("both")
            r.set_cookie("other", "1")
            return r

        return view

    theirs, ours = await run_steps(setup, ["/a", "/b"])
    assert ours == theirs


# -- after_this_request ------------------------------------------------------------------


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_after_this_request_order_and_edits(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.before_request
        def before() -> None:
            @api.after_this_request
            def from_hook(r: t.Any) -> t.Any:
                ev.append("from_hook")
                r.headers.add("X-A", "hook")
                return r

        @app.after_request
        def after(r: t.Any) -> t.Any:
            ev.append(("after", r.headers.getlist("X-A")))
            return r

        def view() -> str:
            @api.after_this_request
            def first(r: t.Any) -> t.Any:
                ev.append("first")
                r.headers.add("X-A", "first")
                return r

            @api.after_this_request
            def second(r: t.Any) -> t.Any:
                ev.append("second")
                return api.make_response(("replaced", 201, {"X-A": "second"}))

            return "view"

        return view

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


@pytest.mark.parametrize("failure", ["abort", "error_handled", "unhandled"])
async def test_after_this_request_on_the_error_path(failure: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.errorhandler(ZeroDivisionError)
        def zero(e: t.Any) -> t.Any:
            return "handled", 418

        def view() -> t.Any:
            @api.after_this_request
            def mark(r: t.Any) -> t.Any:
                ev.append(("callback", r.status_code))
                r.headers["X-A"] = "ran"
                return r

            if failure == "abort":
                api.abort(404)
            if failure == "error_handled":
                return 1 // 0
            raise RuntimeError("boom")

        return view

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


# -- HEAD, 204, 304, conditional responses ---------------------------------------------


HEAD_VIEWS: dict[str, Callable[[Api], t.Any]] = {
    "str": lambda api: "hello",
    "jsonify": lambda api: api.jsonify(a=1),
    "generator": lambda api: _gen_str(),
    "abort": lambda api: api.abort(404),
    "redirect": lambda api: api.redirect("/x"),
}


@pytest.mark.parametrize("case", list(HEAD_VIEWS))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_head_request_to_a_get_route(case: str, endpoint_kind: str) -> None:
    """Flask routes HEAD to every GET rule; the body is dropped, the headers kept."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view() -> t.Any:
            ev.append(api.request.method)
            return HEAD_VIEWS[case](api)

        return view

    theirs, ours = await run_both(
        setup, method="HEAD", methods=("GET",), select=SELECT, endpoint_kind=endpoint_kind
    )
    _compare(theirs, ours)


@pytest.mark.parametrize("case", list(HEAD_VIEWS))
async def test_head_request_to_a_route_declaring_head(case: str) -> None:
    """With HEAD declared on both sides, only the body handling differs, if anything."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: HEAD_VIEWS[case](api)

    theirs, ours = await run_both(setup, method="HEAD", methods=("GET", "HEAD"), select=SELECT)
    _compare(theirs, ours)


BODILESS: dict[str, Callable[[Api], t.Any]] = {
    "204_empty": lambda api: ("", 204),
    "204_with_body": lambda api: ("ignored", 204, {"X-A": "1"}),
    "204_response": lambda api: api.Response(status=204),
    "204_jsonify": lambda api: (api.jsonify(a=1), 204),
    "304_with_body": lambda api: (
        "ignored",
        304,
        {"ETag": '"e"', "Expires": "Thu, 01 Jan 2030 00:00:00 GMT", "Last-Modified": "x"},
    ),
    "101_like_100": lambda api: ("x", 100),
    "205": lambda api: ("reset", 205),
}


@pytest.mark.parametrize("case", list(BODILESS))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_bodiless_statuses(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: BODILESS[case](api)

    theirs, ours = await run_both(setup, select=SELECT, endpoint_kind=endpoint_kind)
    _compare(theirs, ours)


def _conditional(api: Api) -> t.Any:
    r = api.make_response("0123456789")
    r.set_etag("v1")
    r.last_modified = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    return r.make_conditional(api.request, accept_ranges=True)


CONDITIONAL_REQUESTS: dict[str, dict[str, str]] = {
    "plain": {},
    "if_none_match": {"If-None-Match": '"v1"'},
    "if_none_match_other": {"If-None-Match": '"v2"'},
    "if_modified_since": {"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"},
    "range": {"Range": "bytes=2-4"},
    "range_unsatisfiable": {"Range": "bytes=50-60"},
    "if_range_mismatch": {"Range": "bytes=2-4", "If-Range": '"v0"'},
}


@pytest.mark.parametrize("case", list(CONDITIONAL_REQUESTS))
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_make_conditional(case: str, endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        return lambda: _conditional(api)

    theirs, ours = await run_both(
        setup, headers=CONDITIONAL_REQUESTS[case], select=SELECT, endpoint_kind=endpoint_kind
    )
    _compare(theirs, ours)


async def test_add_etag_and_freeze_in_after_request() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def etag(r: t.Any) -> t.Any:
            r.add_etag()
            ev.append((r.get_etag(), r.content_length))
            return r.make_conditional(api.request)

        return lambda: "etag me"

    first, _ = await run_both(setup, select=SELECT)
    tag = first.headers["etag"][0]
    theirs, ours = await run_both(setup, headers={"If-None-Match": tag}, select=SELECT)
    _compare(theirs, ours)


# -- Content-Length and the body as sent ------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "explicit_wrong_length",
        "direct_passthrough",
        "no_auto_length",
        "iterable_list",
    ],
)
async def test_content_length_edge_cases(case: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view() -> t.Any:
            if case == "explicit_wrong_length":
                return api.Response("abc", headers={"Content-Length": "3"})
            if case == "direct_passthrough":
                r = api.Response([b"ab", b"cd"], direct_passthrough=True)
                return r
            if case == "no_auto_length":
                r = api.Response("abcdef")
                r.automatically_set_content_length = False
                del r.headers["Content-Length"]
                return r
            return api.Response(iter([b"x", b"yz"]))

        return view

    theirs, ours = await run_both(setup, select=SELECT)
    _compare(theirs, ours)


def test_response_class_defaults() -> None:
    """Attributes legacy code reads off a fresh response object."""
    results = []
    for api in (flask, fastapi_flaskcompat):
        r = api.Response("x")
        results.append(
            (
                r.status,
                r.status_code,
                r.mimetype,
                r.content_type,
                r.default_mimetype,
                r.default_status,
                r.max_cookie_size,
                r.autocorrect_location_header,
                list(r.headers.items()),
                r.is_json,
                r.is_streamed,
                r.is_sequence,
            )
        )
    theirs, ours = results
    assert ours == theirs


def test_response_json_property() -> None:
    results = []
    for api, app in (
        (flask, build_flask(lambda a, b, c: None, [])),
        (fastapi_flaskcompat, build_compat(lambda a, b, c: None, [])),
    ):
        with app.app_context():
            r = api.jsonify(a=[1, "é"])
            results.append((r.is_json, r.json, r.get_json(), r.content_length))
    theirs, ours = results
    assert ours == theirs


def test_make_response_in_app_context_without_request() -> None:
    results = []
    for api, app in (
        (flask, build_flask(lambda a, b, c: None, [])),
        (fastapi_flaskcompat, build_compat(lambda a, b, c: None, [])),
    ):
        with app.app_context():
            r = api.make_response(("x", 201, {"X-A": "1"}))
            results.append((r.status, r.headers.get("X-A"), r.get_data()))
            results.append(exc_info(lambda api=api: api.make_response(None)))
    theirs, ours = results[:2], results[2:]
    assert ours == theirs


def test_headers_given_as_a_headers_object_with_duplicates() -> None:
    results = []
    for _api, app in (
        (flask, build_flask(lambda a, b, c: None, [])),
        (fastapi_flaskcompat, build_compat(lambda a, b, c: None, [])),
    ):
        with app.test_request_context("/"):
            h = Headers([("X-A", "1"), ("X-A", "2"), ("Content-Type", "text/plain")])
            r = app.make_response(("x", 200, h))
            results.append(list(r.headers.items()))
    theirs, ours = results
    assert ours == theirs


# -- more: Location fix-ups, converters, providers, flash without a key ---------------


LOCATION_CASES: dict[str, Callable[[Api], t.Any]] = {
    "autocorrect_relative": lambda api: api.redirect("/there?x=1"),
    "autocorrect_no_slash": lambda api: api.redirect("sibling"),
    "content_location_iri": lambda api: ("x", {"Content-Location": "/café"}),
}


@pytest.mark.parametrize("case", list(LOCATION_CASES))
async def test_location_headers_with_autocorrect(case: str) -> None:
    """``response_class.autocorrect_location_header = True`` (Werkzeug < 2.1's
    default, kept by apps that want absolute Locations), and Content-Location
    made a URI as Werkzeug's get_wsgi_headers does."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        class R(api.Response):  # type: ignore[name-defined,misc]
            autocorrect_location_header = True
            default_mimetype = "text/plain"

        app.response_class = R
        return lambda step: LOCATION_CASES[case](api)

    theirs, ours = await run_both(
        setup, "/dir/page", rule="/dir/<step>", select=(*SELECT, "content-location")
    )
    _compare(theirs, ours)


URL_CONVERTER_CASES: dict[str, tuple[str, str, dict[str, t.Any]]] = {
    "path_with_space": ("/files/<path:p>", "/files/x", {"p": "a/b c/é"}),
    "float_whole": ("/price/<float:v>", "/price/2.5", {"v": 1.0}),
    "float_fraction": ("/price/<float:v>", "/price/2.5", {"v": 0.25}),
    "int_from_str": ("/item/<int:v>", "/item/1", {"v": "7"}),
}


@pytest.mark.parametrize("case", list(URL_CONVERTER_CASES))
async def test_url_for_with_converters(case: str) -> None:
    rule, path, values = URL_CONVERTER_CASES[case]

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view(**kw: t.Any) -> str:
            try:
                return repr(api.url_for("view", **values))
            except Exception as e:
                return type(e).__name__

        return view

    theirs, ours = await run_both(setup, path, rule=rule, select=SELECT)
    _compare(theirs, ours)


async def test_a_custom_json_provider_serves_jsonify_and_dict_returns() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        base = (
            flask.json.provider.DefaultJSONProvider
            if api is flask
            else fastapi_flaskcompat.json.DefaultJSONProvider
        )

        class Provider(base):  # type: ignore[misc,valid-type]
            sort_keys = False

            def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
                return "/*custom*/" + super().dumps(obj, **kwargs)

        app.json = Provider(app)

        def view(step: str) -> t.Any:
            if step == "jsonify":
                return api.jsonify(b=1, a=2)
            return {"b": 1, "a": 2}

        return view

    for step in ("jsonify", "dict"):
        theirs, ours = await run_both(setup, f"/{step}", rule="/<step>", select=SELECT)
        _compare(theirs, ours)


async def test_vary_merges_with_the_session_cookie() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def view(step: str) -> t.Any:
            api.session["x"] = 1
            r = api.make_response("v")
            r.vary.add("Accept-Encoding")
            r.headers.add("Vary", "Origin")
            return r

        return view

    theirs, ours = await run_steps(setup, ["/a"])
    assert ours == theirs


async def test_flash_without_a_secret_key() -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(exc and (type(exc).__name__, str(exc))))
        return _flash_setup(api, app, ev)

    theirs, ours = await run_steps(setup, ["/empty", "/flash"], config={"SECRET_KEY": None})
    assert ours == theirs


def test_after_this_request_outside_a_request() -> None:
    results = []
    for api, app in (
        (flask, build_flask(lambda a, b, c: None, [])),
        (fastapi_flaskcompat, build_compat(lambda a, b, c: None, [])),
    ):
        results.append(exc_info(lambda api=api: api.after_this_request(lambda r: r)))
        with app.app_context():
            results.append(exc_info(lambda api=api: api.after_this_request(lambda r: r)))
    assert results[2:] == results[:2]
