"""The legacy notes service ported to FastAPI, its helpers unchanged.

``legacy/`` holds the old Flask service's helpers, byte-identical to the
ones the original Flask app (``legacy_flask.py``) serves: they still import
from ``flask`` and ``flask_login``, and ``FlaskCompat(app, bridge_flask=True)``
makes those names this request's. Only the views were ported: async and sync
endpoints, a ``fastapi_flaskcompat.Blueprint`` carrying the old blueprint's
hooks and error handlers, FastAPI's ``BackgroundTasks`` for the job the old
app ran after the response, a ``StreamingResponse`` for the CSV export.

    python examples/legacy_service.py            # the port, http://127.0.0.1:8000
    python examples/legacy_service.py --flask    # the original Flask app
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import legacy
from fastapi import BackgroundTasks, FastAPI
from fastapi.responses import StreamingResponse
from flask_login import login_required
from legacy import audit, auth, jobs, notes
from legacy.db import init_db
from legacy.settings import Settings
from legacy.tenancy import tenant_id

from fastapi_flaskcompat import Blueprint, FlaskCompat, g, stream_with_context, url_for

#: What the index lists, by route name (the Flask app's endpoint names).
INDEX = ("login", "me", "notes.list_notes", "notes.export_notes", "recent_audit")


def create_app(config: dict[str, Any] | None = None) -> FastAPI:
    app = FastAPI(title="legacy-notes")
    compat = FlaskCompat(app, bridge_flask=True)
    compat.config.from_object(Settings)
    compat.config.update(config or {})
    legacy.init_app(compat)  # the same hooks, registered on the FlaskCompat
    # Start-up code runs in an app context, as under Flask.
    with compat.app_context():
        init_db()

    @app.get("/")
    async def index() -> dict[str, Any]:
        return {"service": "legacy-notes", "try": [url_for(n, _external=True) for n in INDEX]}

    @app.post("/login")
    async def login() -> dict[str, Any]:
        # On the event loop: the form or JSON body was preloaded for legacy code.
        return auth.log_in()

    # Flask-Login's decorator, unchanged, on sync endpoints (the threadpool).
    @app.post("/logout")
    @login_required
    def logout() -> dict[str, Any]:
        return auth.log_out()

    @app.get("/me")
    @login_required
    def me() -> dict[str, Any]:
        return auth.profile()

    @app.get("/audit")
    @login_required
    def recent_audit() -> dict[str, Any]:
        return {"tenant": tenant_id(), "entries": audit.recent(tenant_id())}

    bp = Blueprint("notes", __name__, url_prefix="/notes")
    legacy.init_blueprint(bp)  # its before/after_request hooks and error handlers

    @bp.get("")
    def list_notes() -> dict[str, Any]:
        return {"tenant": tenant_id(), "notes": notes.list_notes()}

    @bp.post("", status_code=201)
    async def create_note(background: BackgroundTasks) -> dict[str, Any]:
        note = notes.add_note(notes.note_text())
        # After the response, still in this request's context (g, current_user).
        background.add_task(jobs.index_note, note["id"], g.request_id)
        return note

    @bp.get("/{note_id:int}")
    async def get_note(note_id: int) -> dict[str, Any]:
        return notes.get_note(note_id)  # NoteNotFound: the blueprint's handler

    @bp.put("/{note_id:int}")
    def update_note(note_id: int, background: BackgroundTasks) -> dict[str, Any]:
        note = notes.update_note(note_id, notes.note_text())
        background.add_task(jobs.index_note, note_id, g.request_id)
        return note

    @bp.delete("/{note_id:int}")
    async def delete_note(note_id: int) -> dict[str, Any]:
        return notes.delete_note(note_id)

    @bp.get("/export")
    def export_notes() -> StreamingResponse:
        return StreamingResponse(
            stream_with_context(notes.export_rows()),
            media_type="text/csv",
            headers={"Content-Disposition": notes.export_filename()},
        )

    compat.register_blueprint(bp)
    return app


def banner(base: str, flask: bool = False) -> str:
    jar = "-b /tmp/notes.jar -c /tmp/notes.jar"
    ann = "-H 'X-API-Key: ann-key'"
    json = "-H 'Content-Type: application/json'"
    served = "the original Flask app" if flask else "ported to FastAPI, helpers unchanged"
    return f"""\
legacy-notes, {served}.
Database: {Settings.DATABASE}
Users: ann/ann-pw (acme), bob/bob-pw (globex), root/root-pw (acme, admin);
API keys: ann-key, bob-key, root-key.

  # public: lists the URLs below
  curl -i {base}/
  # 401 (JSON, the app's error handler): the notes blueprint wants a login
  curl -i {base}/notes
  # log in (Flask-Login, the session cookie goes to a cookie jar), then who am I
  curl -i {jar} -d 'username=ann&password=ann-pw' {base}/login
  curl -i {jar} {base}/me
  # or an API key (Flask-Login's request_loader): the notes of ann's tenant
  curl -i {ann} {base}/notes
  # create a note: 201, its words are counted by a background job
  curl -i {ann} {json} -d '{{"text": "hello from curl"}}' {base}/notes
  curl -i {ann} {base}/notes/1
  # 404 from the blueprint's error handler; 403 from its before_request hook
  curl -i {ann} {base}/notes/999
  curl -i {ann} '{base}/notes?tenant=globex'
  # root is an admin: may act for globex
  curl -i -H 'X-API-Key: root-key' '{base}/notes?tenant=globex'
  # streaming CSV export
  curl -i {ann} {base}/notes/export
  # the audit trail (after_request hook and background jobs)
  curl -i {ann} {base}/audit

Every response carries the X-Request-Id header the audit hook adds.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--flask", action="store_true", help="serve the original Flask app")
    args = parser.parse_args()
    print(banner(f"http://{args.host}:{args.port}", args.flask), flush=True)
    if args.flask:
        import legacy_flask

        legacy_flask.create_app().run(host=args.host, port=args.port)
    else:
        import uvicorn

        uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
