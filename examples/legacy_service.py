"""A small notes service ported from Flask to FastAPI, its helpers unchanged.

The ``legacy`` package next to this file holds the old Flask helpers
(``get_db()``, ``current_user()``, ``tenant_id()``, ``audit_log()``...);
only their import lines changed. This module is the new FastAPI code that
calls them from an async endpoint, a sync endpoint, a dependency, a
background task and a streaming response.

    python examples/legacy_service.py            # http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any

import legacy
from fastapi import BackgroundTasks, Depends, FastAPI
from fastapi.responses import StreamingResponse
from legacy import audit, notes
from legacy.auth import current_user
from legacy.db import init_db
from legacy.tenancy import tenant_id
from pydantic import BaseModel

from fastapi_flaskcompat import FlaskCompat, current_app, g, stream_with_context, url_for

API_KEYS: dict[str, dict[str, Any]] = {
    "ann-key": {"user": "ann", "tenant": "acme"},
    "bob-key": {"user": "bob", "tenant": "globex"},
    "root-key": {"user": "root", "tenant": "acme", "admin": True},
}

DEFAULT_DATABASE = os.environ.get("LEGACY_NOTES_DB") or os.path.join(
    tempfile.gettempdir(), "legacy-notes.sqlite3"
)


class NoteIn(BaseModel):
    text: str


def tenant_scope() -> str:
    """A sync dependency (runs in the threadpool) calling a legacy helper."""
    return tenant_id()


def create_app(database: str | None = None) -> FastAPI:
    app = FastAPI(title="legacy-notes")
    compat = FlaskCompat(app, config={"DATABASE": database or DEFAULT_DATABASE})
    compat.config["API_KEYS"] = API_KEYS
    legacy.init_app(compat)  # the old extension set-up: same hooks, same names

    # Scripts and start-up code use an app context, as under Flask.
    with compat.app_context():
        init_db()

    @app.get("/")
    async def index() -> dict[str, Any]:
        # Public: load_user lets the "index" endpoint through without a key.
        return {
            "service": current_app.name,
            "try": [
                url_for(name, _external=True)
                for name in ("me", "list_notes", "export_notes", "recent_audit")
            ],
        }

    @app.get("/me")
    async def me(tenant: str = Depends(tenant_scope)) -> dict[str, Any]:
        # Async endpoint: helpers run on the event loop.
        return {"user": current_user(), "tenant": tenant, "request_id": g.request_id}

    @app.get("/notes")
    def list_notes() -> dict[str, Any]:
        # Sync endpoint: FastAPI runs it in a worker thread; g is the same.
        return {"tenant": tenant_id(), "notes": notes.list_notes()}

    @app.post("/notes", status_code=201)
    async def create_note(
        note: NoteIn, background: BackgroundTasks, tenant: str = Depends(tenant_scope)
    ) -> dict[str, Any]:
        note_id = notes.add_note(note.text)
        # Runs after the response is sent, still inside this request's context.
        background.add_task(audit.record, f"note {note_id} created by {current_user()}")
        return {"id": note_id, "tenant": tenant}

    @app.get("/notes/export")
    def export_notes(tenant: str = Depends(tenant_scope)) -> StreamingResponse:
        # The generator reads g while the body streams. The tenant is resolved
        # first (dependency) so audit_log, which runs when the response
        # starts, already sees it.
        return StreamingResponse(stream_with_context(notes.export_csv()), media_type="text/csv")

    @app.get("/audit")
    async def recent_audit(tenant: str = Depends(tenant_scope)) -> dict[str, Any]:
        return {"tenant": tenant, "entries": audit.recent(tenant)}

    return app


app = create_app()


def banner(base: str) -> str:
    ann = "-H 'X-API-Key: ann-key'"
    json = "-H 'Content-Type: application/json'"
    return f"""\
legacy-notes: a Flask service's helpers running unchanged on FastAPI.
Database: {DEFAULT_DATABASE}   API keys: ann-key, bob-key, root-key (admin)

  # public endpoint, lists the URLs below
  curl -i {base}/
  # 401 from the before_request hook: no X-API-Key
  curl -i {base}/me
  # async endpoint + sync dependency
  curl -i {ann} {base}/me
  # sync endpoint (threadpool)
  curl -i {ann} {base}/notes
  # async endpoint + background task
  curl -i {ann} {json} -d '{{"text": "hello"}}' {base}/notes
  # streaming response (CSV)
  curl -i {ann} {base}/notes/export
  # 403: ann may not read another tenant; root may
  curl -i {ann} '{base}/notes?tenant=globex'
  curl -i -H 'X-API-Key: root-key' '{base}/notes?tenant=globex'
  # what the audit_log after_request hook and the background task recorded
  curl -i {ann} {base}/audit

Every response carries the X-Request-Id header that audit_log adds.
"""


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    print(banner(f"http://{args.host}:{args.port}"), flush=True)
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
