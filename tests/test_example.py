"""The example service (examples/legacy_service.py): every URL it prints, through
httpx.ASGITransport, and the same legacy helpers under a real Flask app."""

from __future__ import annotations

import csv
import importlib
import io
import shutil
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import flask
import httpx
import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import g

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
legacy_service = importlib.import_module("legacy_service")

pytestmark = pytest.mark.anyio

ANN = {"X-API-Key": "ann-key"}
BOB = {"X-API-Key": "bob-key"}
ROOT = {"X-API-Key": "root-key"}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return legacy_service.create_app(str(tmp_path / "notes.sqlite3"))


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_index_is_public_and_lists_urls(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.json() == {
        "service": "legacy-notes",
        "try": [
            "http://localhost/me",
            "http://localhost/notes",
            "http://localhost/notes/export",
            "http://localhost/audit",
        ],
    }
    assert r.headers["X-Request-Id"]


async def test_me_requires_api_key(app: FastAPI) -> None:
    async with client(app) as c:
        missing = await c.get("/me")
        wrong = await c.get("/me", headers={"X-API-Key": "nope"})
    for r in (missing, wrong):
        assert r.status_code == 401
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "Send a valid X-API-Key header." in r.text
        # after_request runs on the abort() response too.
        assert r.headers["X-Request-Id"]


async def test_me_async_endpoint_and_sync_dependency(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/me", headers={**ANN, "X-Request-Id": "req-1"})
    assert r.status_code == 200
    # g.request_id set in before_request, read in the endpoint and in after_request.
    assert r.json() == {"user": "ann", "tenant": "acme", "request_id": "req-1"}
    assert r.headers["X-Request-Id"] == "req-1"


async def test_notes_sync_endpoint_scoped_to_tenant(app: FastAPI) -> None:
    async with client(app) as c:
        ann = await c.get("/notes", headers=ANN)
        bob = await c.get("/notes", headers=BOB)
        denied = await c.get("/notes", params={"tenant": "globex"}, headers=ANN)
        root = await c.get("/notes", params={"tenant": "globex"}, headers=ROOT)
    assert ann.json()["tenant"] == "acme"
    assert {n["author"] for n in ann.json()["notes"]} == {"ann"}
    assert len(ann.json()["notes"]) == 2
    assert bob.json() == {
        "tenant": "globex",
        "notes": [{"id": 3, "author": "bob", "text": "Globex sees only its own notes."}],
    }
    assert denied.status_code == 403
    assert "ann may not act for tenant" in denied.text
    assert root.json() == bob.json()


async def test_create_note_runs_background_task_in_request_context(app: FastAPI) -> None:
    async with client(app) as c:
        created = await c.post("/notes", json={"text": "from the test"}, headers=ANN)
        listed = await c.get("/notes", headers=ANN)
        audit = await c.get("/audit", headers=ANN)
    assert created.status_code == 201
    note_id = created.json()["id"]
    assert created.json() == {"id": note_id, "tenant": "acme"}
    assert {"id": note_id, "author": "ann", "text": "from the test"} in listed.json()["notes"]
    request_id = created.headers["X-Request-Id"]
    entries = [e for e in audit.json()["entries"] if e["request_id"] == request_id]
    # The background task ran after the response, with the request's g (same id, user).
    assert sorted((e["user"], e["event"], e["status"]) for e in entries) == [
        ("ann", "POST /notes", 201),
        ("ann", f"note {note_id} created by ann", None),
    ]


async def test_export_streams_csv_with_context(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/notes/export", headers=BOB)
        headers = r.headers
        audit = await c.get("/audit", headers=BOB)
    assert headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows == [["id", "author", "text"], ["3", "bob", "Globex sees only its own notes."]]
    # audit_log ran at the start of the stream, after the tenant dependency.
    assert {
        "request_id": headers["X-Request-Id"],
        "user": "bob",
        "event": "GET /notes/export",
        "status": 200,
    } in audit.json()["entries"]


async def test_teardown_closes_the_request_connection(app: FastAPI) -> None:
    compat = app.state.flaskcompat
    seen: list[sqlite3.Connection] = []

    @compat.teardown_request  # runs before teardown_appcontext (close_db)
    def grab(exc: BaseException | None) -> None:
        seen.append(g.db)

    async with client(app) as c:
        for path in ("/me", "/notes", "/audit"):
            assert (await c.get(path, headers=ANN)).status_code == 200
    assert len(seen) == 3
    assert len({id(conn) for conn in seen}) == 3  # one connection per request
    for conn in seen:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


async def test_concurrent_users_never_see_each_other(app: FastAPI) -> None:
    keys = {"ann-key": ("ann", "acme"), "bob-key": ("bob", "globex")}
    mismatches: list[str] = []

    async with client(app) as c:

        async def one(i: int) -> None:
            key = "ann-key" if i % 2 else "bob-key"
            rid = f"r{i}"
            path = "/me" if i % 3 else "/notes"
            r = await c.get(path, headers={"X-API-Key": key, "X-Request-Id": rid})
            body = r.json()
            user, tenant = keys[key]
            if r.headers["X-Request-Id"] != rid or body["tenant"] != tenant:
                mismatches.append(f"{i}: {r.headers['X-Request-Id']} {body}")
            if path == "/me" and (body["user"], body["request_id"]) != (user, rid):
                mismatches.append(f"{i}: {body}")
            if path == "/notes" and any(n["author"] != user for n in body["notes"]):
                mismatches.append(f"{i}: {body}")

        async with anyio.create_task_group() as tg:
            for i in range(120):
                tg.start_soon(one, i)
    assert mismatches == []


# -- the same legacy modules under a real Flask app ---------------------------


@pytest.fixture(scope="module")
def legacy_on_flask(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """examples/legacy with its imports switched back to ``flask``."""
    root = tmp_path_factory.mktemp("flask_legacy")
    target = root / "legacy_on_flask"
    shutil.copytree(EXAMPLES / "legacy", target)
    for path in target.glob("*.py"):
        source = path.read_text()
        path.write_text(source.replace("from fastapi_flaskcompat import", "from flask import"))
    assert "fastapi_flaskcompat import" not in "".join(p.read_text() for p in target.glob("*.py"))
    sys.path.insert(0, str(root))
    try:
        for name in ("db", "auth", "tenancy", "audit", "notes"):
            importlib.import_module(f"legacy_on_flask.{name}")
        return importlib.import_module("legacy_on_flask")
    finally:
        sys.path.remove(str(root))


def make_flask_app(legacy: ModuleType, database: str) -> flask.Flask:
    """The Flask service the example was ported from."""
    notes, audit = legacy.notes, legacy.audit
    current_user, tenant_id = legacy.auth.current_user, legacy.tenancy.tenant_id
    app = flask.Flask("legacy-notes")
    app.config.update(DATABASE=database, API_KEYS=legacy_service.API_KEYS)
    legacy.init_app(app)
    with app.app_context():
        legacy.db.init_db()

    @app.get("/")
    def index() -> Any:
        names = ("me", "list_notes", "export_notes", "recent_audit")
        return {
            "service": flask.current_app.name,
            "try": [flask.url_for(n, _external=True) for n in names],
        }

    @app.get("/me")
    def me() -> Any:
        return {"user": current_user(), "tenant": tenant_id(), "request_id": flask.g.request_id}

    @app.get("/notes")
    def list_notes() -> Any:
        return {"tenant": tenant_id(), "notes": notes.list_notes()}

    @app.post("/notes")
    def create_note() -> Any:
        note_id = notes.add_note(flask.request.get_json()["text"])
        audit.record(f"note {note_id} created by {current_user()}")
        return {"id": note_id, "tenant": tenant_id()}, 201

    @app.get("/notes/export")
    def export_notes() -> Any:
        tenant_id()
        return flask.Response(flask.stream_with_context(notes.export_csv()), mimetype="text/csv")

    @app.get("/audit")
    def recent_audit() -> Any:
        return {"tenant": tenant_id(), "entries": audit.recent(tenant_id())}

    return app


SCRIPT: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/", {}, None),
    ("GET", "/me", {}, None),
    ("GET", "/me", {"X-API-Key": "nope"}, None),
    ("GET", "/me", ANN, None),
    ("GET", "/notes", ANN, None),
    ("GET", "/notes", BOB, None),
    ("GET", "/notes?tenant=globex", ANN, None),
    ("GET", "/notes?tenant=globex", ROOT, None),
    ("POST", "/notes", ANN, {"text": "hello"}),
    ("GET", "/notes", ANN, None),
    ("GET", "/notes/export", ANN, None),
    ("GET", "/audit", ANN, None),
]


def observe(status: int, content_type: str, text: str) -> tuple[Any, ...]:
    if content_type == "application/json":
        body = flask.json.loads(text)
        if isinstance(body, dict):
            body.pop("request_id", None)
            if "entries" in body:
                # Request ids are random; a background task runs after the
                # response, an inline call before it: compare as a multiset.
                body["entries"] = sorted(
                    (e["user"], e["event"], e["status"]) for e in body["entries"]
                )
        return status, content_type, body
    return status, content_type, text


async def test_same_helpers_same_answers_as_flask(
    legacy_on_flask: ModuleType, tmp_path: Path
) -> None:
    flask_app = make_flask_app(legacy_on_flask, str(tmp_path / "flask.sqlite3"))
    fastapi_app = legacy_service.create_app(str(tmp_path / "fastapi.sqlite3"))
    flask_client = flask_app.test_client()
    async with client(fastapi_app) as c:
        for method, url, headers, json in SCRIPT:
            f = flask_client.open(url, method=method, headers=headers, json=json)
            r = await c.request(method, url, headers=headers, json=json)
            expected = observe(f.status_code, f.mimetype or "", f.get_data(as_text=True))
            got = observe(r.status_code, r.headers["content-type"].split(";")[0], r.text)
            assert got == expected, (method, url)
            assert r.headers["X-Request-Id"] and f.headers["X-Request-Id"]
