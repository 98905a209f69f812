"""The example service, served two ways from the same helper modules
(examples/legacy/): the original Flask app (examples/legacy_flask.py) and its
FastAPI port (examples/legacy_service.py). The same scripted requests run
against both and must get the same answers; then real concurrent users,
each seeing only itself."""

from __future__ import annotations

import csv
import functools
import importlib
import io
import itertools
import json
import shlex
import sqlite3
import sys
import threading
import typing as t
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import flask
import httpx
import pytest
from fastapi import FastAPI

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
legacy_service = importlib.import_module("legacy_service")
legacy_flask = importlib.import_module("legacy_flask")
legacy = importlib.import_module("legacy")

pytestmark = pytest.mark.anyio

#: Headers compared between the two apps (Content-Length is not: Flask's JSON
#: is sorted and ends with a newline, FastAPI's is neither; bodies are compared
#: parsed).
HEADERS = (
    "content-type",
    "x-request-id",
    "x-tenant",
    "cache-control",
    "content-disposition",
    "vary",
    "allow",
    "set-cookie",
)
TIMEOUT = 60


@dataclass(frozen=True)
class Seen:
    status: int
    headers: dict[str, tuple[str, ...]]
    body: t.Any

    @property
    def json(self) -> t.Any:
        assert self.headers["content-type"] == ("application/json",), self
        return self.body


def _cookie_shape(value: str) -> str:
    """A Set-Cookie without what differs between runs (the signed value's
    timestamp, the date)."""
    name, _, rest = value.partition("=")
    cookie_value, *attrs = rest.split(";")
    kept = [name, "<deleted>" if cookie_value in ("", '""') else "<value>"]
    kept += sorted(
        a.strip().partition("=")[0] if "expires" in a.lower() else a.strip() for a in attrs
    )
    return "; ".join(kept)


def _allow(value: str) -> str:
    # Documented difference: Flask adds HEAD and OPTIONS to Allow, FastAPI doesn't.
    return ", ".join(sorted({m.strip() for m in value.split(",")} - {"HEAD", "OPTIONS"}))


NORMALIZE: dict[str, Callable[[str], str]] = {"set-cookie": _cookie_shape, "allow": _allow}


def seen(status: int, headers: list[tuple[str, str]], body: bytes) -> Seen:
    selected: dict[str, tuple[str, ...]] = {}
    for name in HEADERS:
        values = [v for k, v in headers if k.lower() == name]
        if values:
            selected[name] = tuple(NORMALIZE.get(name, lambda v: v)(v) for v in values)
    content_type = dict((k.lower(), v) for k, v in headers).get("content-type", "")
    parsed: t.Any = json.loads(body) if content_type == "application/json" else body.decode()
    return Seen(status, selected, parsed)


class Browser(t.Protocol):
    """One user agent with its own cookie jar."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
        content: str | None = None,
    ) -> Seen: ...

    def cookie(self, name: str) -> str | None: ...

    def set_cookie(self, name: str, value: str) -> None: ...


class FlaskBrowser:
    """Flask's test client, each request in a worker thread as a WSGI server runs it.
    ``buffered``: the response is read and closed, so what the app runs on close
    (its background job) has run when the answer is back, as for the port."""

    def __init__(self, app: flask.Flask) -> None:
        self._client = app.test_client()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
        content: str | None = None,
    ) -> Seen:
        call = functools.partial(
            self._client.open,
            url,
            method=method,
            headers=headers,
            data=content if content is not None else data,
            json=json,
            buffered=True,
        )
        r = await anyio.to_thread.run_sync(call)
        return seen(r.status_code, list(r.headers.items()), r.get_data())

    def cookie(self, name: str) -> str | None:
        cookie = self._client.get_cookie(name)
        return None if cookie is None else cookie.value

    def set_cookie(self, name: str, value: str) -> None:
        self._client.set_cookie(name, value)


class FastAPIBrowser:
    def __init__(self, app: FastAPI) -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://localhost")

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json: t.Any = None,
        content: str | None = None,
    ) -> Seen:
        r = await self._client.request(
            method, url, headers=headers, data=data, json=json, content=content
        )
        return seen(r.status_code, r.headers.multi_items(), r.content)

    def cookie(self, name: str) -> str | None:
        return self._client.cookies.get(name)

    def set_cookie(self, name: str, value: str) -> None:
        self._client.cookies.set(name, value, domain="localhost.local")  # cookielib's name

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass
class Service:
    """One of the two apps, and a way to open browsers on it."""

    kind: str
    app: t.Any  # flask.Flask or FastAPI
    compat: t.Any  # the app's Flask-style object: flask.Flask or FlaskCompat
    browsers: list[t.Any]

    def browser(self) -> Browser:
        b = FlaskBrowser(self.app) if self.kind == "flask" else FastAPIBrowser(self.app)
        self.browsers.append(b)
        return b


def build(kind: str, database: Path) -> Service:
    config = {"DATABASE": str(database)}
    if kind == "flask":
        app = legacy_flask.create_app(config)
        return Service(kind, app, app, [])
    fastapi_app = legacy_service.create_app(config)
    return Service(kind, fastapi_app, fastapi_app.state.flaskcompat, [])


KINDS = ("flask", "fastapi")


async def on_both(
    tmp_path: Path, script: Callable[[Service], Awaitable[t.Any]]
) -> dict[str, t.Any]:
    """What ``script`` saw on each app, each with a fresh database."""
    seen_by: dict[str, t.Any] = {}
    for kind in KINDS:
        service = build(kind, tmp_path / f"{kind}.sqlite3")
        try:
            with anyio.fail_after(TIMEOUT):
                seen_by[kind] = await script(service)
        finally:
            for b in service.browsers:
                if isinstance(b, FastAPIBrowser):
                    await b.aclose()
    return seen_by


# -- the scripted scenario ---------------------------------------------------------

ANN_KEY = {"X-API-Key": "ann-key"}
BOB_KEY = {"X-API-Key": "bob-key"}
ROOT_KEY = {"X-API-Key": "root-key"}

#: (browser, method, url, options): ``ann`` logs in with the session cookie,
#: ``anon`` never does, ``keys`` sends API keys (Flask-Login's request_loader).
STEPS: list[tuple[str, str, str, dict[str, t.Any]]] = [
    ("anon", "GET", "/", {}),
    # 401: the notes blueprint's before_request; the app's JSON error handler.
    ("anon", "GET", "/notes", {}),
    ("anon", "GET", "/me", {}),  # 401: Flask-Login's login_required
    ("anon", "POST", "/login", {"data": {"username": "ann", "password": "wrong"}}),
    ("anon", "POST", "/login", {"data": {"username": "ann"}}),  # 400
    ("ann", "POST", "/login", {"data": {"username": "ann", "password": "ann-pw"}}),
    ("ann", "GET", "/me", {}),
    ("ann", "GET", "/me", {}),  # the session counts visits
    ("ann", "GET", "/notes", {}),
    ("ann", "POST", "/notes", {"json": {"text": "  three little words "}}),
    # The background job's effect: words counted, an audit row.
    ("ann", "GET", "/notes/4", {}),
    ("ann", "GET", "/me", {}),  # the flash of the POST, once
    ("ann", "PUT", "/notes/4", {"json": {"text": "now four words here"}}),
    ("ann", "GET", "/notes/4", {}),
    ("ann", "POST", "/notes", {"json": {"text": "   "}}),  # 400
    (
        "ann",
        "POST",
        "/notes",
        {"content": "{not json", "headers": {"Content-Type": "application/json"}},
    ),
    ("ann", "POST", "/notes", {"data": {"text": "a form"}}),  # 415
    ("ann", "GET", "/notes/999", {}),  # 404: the blueprint's NoteNotFound handler
    ("ann", "GET", "/notes/3", {}),  # globex's note: 404 too
    ("ann", "GET", "/notes/abc", {}),  # no route: the app's 404
    ("ann", "GET", "/nowhere", {}),
    ("ann", "DELETE", "/notes", {}),  # 405: the app's handler, Allow kept
    ("ann", "GET", "/notes?tenant=globex", {}),  # 403: the blueprint's handler
    ("ann", "GET", "/notes/export", {}),  # streamed CSV
    ("ann", "DELETE", "/notes/4", {}),
    ("ann", "GET", "/notes/4", {}),
    ("keys", "GET", "/notes", {"headers": BOB_KEY}),
    ("keys", "GET", "/notes/1", {"headers": BOB_KEY}),  # acme's note: 404 for bob
    ("keys", "GET", "/notes?tenant=globex", {"headers": ROOT_KEY}),  # an admin may
    ("keys", "GET", "/me", {"headers": {"X-API-Key": "nope"}}),
    ("keys", "POST", "/notes", {"json": {"text": "by key"}, "headers": ANN_KEY}),
    ("ann", "GET", "/audit", {}),
    ("ann", "POST", "/logout", {}),
    ("ann", "GET", "/notes", {}),  # 401 again
    ("ann", "GET", "/me", {}),
]


async def run_steps(service: Service) -> list[Seen]:
    browsers = {name: service.browser() for name in ("anon", "ann", "keys")}
    out = []
    for i, (who, method, url, options) in enumerate(STEPS):
        options = dict(options)
        headers = {"X-Request-Id": f"step-{i}", **options.pop("headers", {})}
        out.append(await browsers[who].request(method, url, headers=headers, **options))
    return out


async def test_same_requests_same_answers_from_flask_and_the_port(tmp_path: Path) -> None:
    answers = await on_both(tmp_path, run_steps)
    theirs, ours = answers["flask"], answers["fastapi"]
    assert len(theirs) == len(ours) == len(STEPS)
    for step, flask_seen, fastapi_seen in zip(STEPS, theirs, ours, strict=True):
        assert fastapi_seen == flask_seen, step

    # What the identical answers are (so both being wrong the same way fails too).
    by_step = dict(enumerate(theirs))
    assert [s.status for s in theirs] == [
        200, 401, 401, 401, 400, 200, 200, 200, 200, 201, 200, 200, 200, 200, 400, 400,
        415, 404, 404, 404, 404, 405, 403, 200, 200, 404, 200, 404, 200, 401, 201, 200,
        200, 401, 401,
    ]  # fmt: skip
    assert by_step[0].json["try"][0] == "http://localhost/login"
    assert by_step[1].json["error"] == "Unauthorized"
    assert by_step[1].headers["cache-control"] == ("no-store",)  # the blueprint's after_request
    assert by_step[5].json == {"user": "ann", "tenant": "acme"}
    assert by_step[5].headers["set-cookie"] == ("session; <value>; HttpOnly; Path=/; SameSite=Lax",)
    assert [by_step[i].json["visits"] for i in (6, 7, 11)] == [1, 2, 3]
    assert by_step[9].json == {
        "id": 4,
        "author": "ann",
        "text": "three little words",
        "words": None,
    }
    assert by_step[10].json["words"] == 3  # counted after the response
    assert (by_step[7].json["messages"], by_step[11].json["messages"]) == ([], ["Note 4 saved."])
    assert by_step[13].json["words"] == 4
    assert by_step[17].json == {"error": "Note Not Found", "id": 999}
    assert by_step[17].headers["x-tenant"] == ("acme",)
    assert by_step[18].json == {"error": "Note Not Found", "id": 3}
    assert by_step[19].json["error"] == by_step[20].json["error"] == "Not Found"
    assert "cache-control" not in by_step[19].headers  # no route: not the blueprint's
    assert by_step[21].headers["allow"] == ("GET, POST",)
    assert by_step[22].json == {
        "error": "Forbidden",
        "detail": "ann may not act for tenant 'globex'.",
        "user": "ann",
    }
    assert by_step[23].headers["content-disposition"] == ('attachment; filename="notes-acme.csv"',)
    assert list(csv.reader(io.StringIO(by_step[23].body))) == [
        ["id", "author", "words", "text"],
        ["1", "ann", "4", "Welcome to acme's notes."],
        ["2", "ann", "8", "Served by Flask and by FastAPI, same helpers."],
        ["4", "ann", "4", "now four words here"],
    ]
    assert by_step[26].json["tenant"] == by_step[28].json["tenant"] == "globex"
    assert by_step[26].json["notes"] == by_step[28].json["notes"]
    assert "set-cookie" not in by_step[26].headers  # an API key opens no session
    assert by_step[32].headers["set-cookie"] == (
        "session; <deleted>; Expires; HttpOnly; Max-Age=0; Path=/; SameSite=Lax",
    )
    entries = [
        (e["request_id"], e["user"], e["event"], e["status"]) for e in by_step[31].json["entries"]
    ]
    # after_request audits every response in the tenant (the login is in none), errors
    # too; the background
    # job's rows carry the id of the request that scheduled it.
    assert entries == [
        ("step-6", "ann", "GET /me", 200),
        ("step-7", "ann", "GET /me", 200),
        ("step-8", "ann", "GET /notes", 200),
        ("step-9", "ann", "POST /notes", 201),
        ("step-9", "ann", "indexed note 4: 3 words", None),
        ("step-10", "ann", "GET /notes/4", 200),
        ("step-11", "ann", "GET /me", 200),
        ("step-12", "ann", "PUT /notes/4", 200),
        ("step-12", "ann", "indexed note 4: 4 words", None),
        ("step-13", "ann", "GET /notes/4", 200),
        ("step-14", "ann", "POST /notes", 400),
        ("step-15", "ann", "POST /notes", 400),
        ("step-16", "ann", "POST /notes", 415),
        ("step-17", "ann", "GET /notes/999", 404),
        ("step-18", "ann", "GET /notes/3", 404),
        ("step-23", "ann", "GET /notes/export", 200),
        ("step-24", "ann", "DELETE /notes/4", 200),
        ("step-25", "ann", "GET /notes/4", 404),
        ("step-30", "ann", "POST /notes", 201),
        ("step-30", "ann", "indexed note 5: 2 words", None),
    ]


async def test_a_session_cookie_of_one_app_logs_in_on_the_other(tmp_path: Path) -> None:
    """The same SECRET_KEY: log in on the Flask app, carry on on the port, and back."""
    flask_service = build("flask", tmp_path / "flask.sqlite3")
    fastapi_service = build("fastapi", tmp_path / "fastapi.sqlite3")
    on_flask, on_fastapi = flask_service.browser(), fastapi_service.browser()
    try:
        form = {"username": "bob", "password": "bob-pw"}
        assert (await on_flask.request("POST", "/login", data=form)).status == 200
        cookie = on_flask.cookie("session")
        assert cookie is not None
        on_fastapi.set_cookie("session", cookie)
        me = await on_fastapi.request("GET", "/me")
        assert (me.status, me.json["user"], me.json["visits"]) == (200, "bob", 1)
        back = on_fastapi.cookie("session")
        assert back is not None and back != cookie
        on_flask.set_cookie("session", back)
        me = await on_flask.request("GET", "/me")
        assert (me.status, me.json["user"], me.json["visits"]) == (200, "bob", 2)
    finally:
        await t.cast(FastAPIBrowser, on_fastapi).aclose()


async def test_the_printed_curl_lines_answer_the_same_on_both(tmp_path: Path) -> None:
    """Every ``curl`` line the example prints, as a shell user runs them: those
    with ``-b`` share a cookie jar, the others send no cookie."""
    lines = legacy_service.banner("http://localhost").splitlines()
    calls = [shlex.split(line.strip())[2:] for line in lines if line.strip().startswith("curl")]
    assert len(calls) >= 10

    async def script(service: Service) -> list[Seen]:
        jar = service.browser()
        out = []
        for i, words in enumerate(calls):
            browser = jar if "-b" in words else service.browser()
            headers = {"X-Request-Id": f"curl-{i}"}  # the only header added
            body = None
            for flag, value in itertools.pairwise(words):
                if flag == "-H":
                    name, _, header_value = value.partition(":")
                    headers[name.strip()] = header_value.strip()
                elif flag == "-d":
                    body = value
            if body is not None:
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")  # curl's
            method = "GET" if body is None else "POST"
            out.append(await browser.request(method, words[-1], headers=headers, content=body))
        return out

    answers = await on_both(tmp_path, script)
    assert answers["fastapi"] == answers["flask"]
    statuses = [s.status for s in answers["flask"]]
    assert statuses == [200, 401, 200, 200, 200, 201, 200, 404, 403, 200, 200, 200]


async def test_one_connection_per_request_closed_at_teardown(tmp_path: Path) -> None:
    """get_db() keeps a sqlite connection in g, never shared between requests,
    closed by teardown_appcontext, the streamed export's too, on both apps.

    (Flask 3.1 tears a streamed request's contexts down when the view returns and
    pushes them again for the body, so its export sees two teardowns and two
    connections; the port tears down once, after the body.)"""

    async def script(service: Service) -> list[int]:
        grabbed: list[tuple[str, sqlite3.Connection]] = []

        @service.compat.teardown_request  # runs before teardown_appcontext's close_db
        def grab(exc: BaseException | None) -> None:
            grabbed.append((flask.request.path, flask.g.db))

        browser = service.browser()
        paths = ("/me", "/notes", "/notes/export", "/audit")
        statuses = [(await browser.request("GET", p, headers=ANN_KEY)).status for p in paths]
        assert {path for path, _ in grabbed} == set(paths)
        assert len({id(conn) for _, conn in grabbed}) == len(grabbed)
        for _, conn in grabbed:
            with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                conn.execute("SELECT 1")
        return statuses

    answers = await on_both(tmp_path, script)
    assert answers["flask"] == answers["fastapi"] == [200, 200, 200, 200]


# -- concurrency -------------------------------------------------------------------

USERS = 16


@pytest.mark.parametrize("kind", KINDS)
async def test_concurrent_users_never_see_each_other(kind: str, tmp_path: Path) -> None:
    """USERS users at once, each in its own tenant, half by session cookie and
    half by API key: each sees only its own identity, notes, export and audit
    rows, its background jobs ran as itself, and the requests really overlapped."""
    service = build(kind, tmp_path / "notes.sqlite3")
    compat = service.compat
    with compat.app_context():
        for i in range(USERS):
            legacy.db.create_user(f"u{i}", f"u{i}-pw", f"u{i}-key", f"t{i}", False)

    lock = threading.Lock()
    in_flight = peak = 0

    @compat.before_request
    def enter() -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)

    # after_request, not teardown: Flask also tears down the copied contexts of
    # background jobs and (3.1) a streamed response's twice.
    @compat.after_request
    def leave(response: t.Any) -> t.Any:
        nonlocal in_flight
        with lock:
            in_flight -= 1
        return response

    problems: list[str] = []

    async def user(i: int) -> None:
        name, tenant = f"u{i}", f"t{i}"
        browser = service.browser()
        auth: dict[str, str] = {}
        if i % 2:
            auth = {"X-API-Key": f"u{i}-key"}
        else:
            form = {"username": name, "password": f"u{i}-pw"}
            login = await browser.request("POST", "/login", data=form)
            if login.status != 200 or login.json != {"user": name, "tenant": tenant}:
                problems.append(f"{name} login: {login}")
        created = []
        for n in range(2):
            headers = {**auth, "X-Request-Id": f"{name}-post{n}"}
            r = await browser.request(
                "POST", "/notes", json={"text": f"{name} " * (n + 1)}, headers=headers
            )
            created.append(r.json["id"])
            if r.headers.get("x-tenant") != (tenant,) or r.json["author"] != name:
                problems.append(f"{name} post: {r}")
        me = await browser.request("GET", "/me", headers=auth)
        if (me.json["user"], me.json["tenant"]) != (name, tenant):
            problems.append(f"{name} me: {me}")
        listed = await browser.request("GET", "/notes", headers=auth)
        expected = [
            {"id": note_id, "author": name, "text": f"{name} " * (n + 1), "words": n + 1}
            for n, note_id in enumerate(created)
        ]
        for note in expected:
            note["text"] = note["text"].strip()
        if listed.json != {"tenant": tenant, "notes": expected}:
            problems.append(f"{name} notes: {listed}")
        export = await browser.request("GET", "/notes/export", headers=auth)
        if export.status != 200:
            problems.append(f"{name} export: {export}")
            return
        rows = list(csv.reader(io.StringIO(export.body)))[1:]
        if rows != [[str(n["id"]), name, str(n["words"]), n["text"]] for n in expected]:
            problems.append(f"{name} export: {rows}")
        audit = await browser.request("GET", "/audit", headers=auth)
        entries = audit.json["entries"]
        if {e["user"] for e in entries} != {name}:
            problems.append(f"{name} audit users: {entries}")
        jobs = [(e["request_id"], e["event"]) for e in entries if e["status"] is None]
        if jobs != [
            (f"{name}-post{n}", f"indexed note {note_id}: {n + 1} words")
            for n, note_id in enumerate(created)
        ]:
            problems.append(f"{name} jobs: {jobs}")

    try:
        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tg:
                for i in range(USERS):
                    tg.start_soon(user, i)
    finally:
        for b in service.browsers:
            if isinstance(b, FastAPIBrowser):
                await b.aclose()
    assert problems == []
    assert in_flight == 0
    assert peak >= 2, "the requests never overlapped: this proved nothing"
