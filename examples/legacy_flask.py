"""The legacy notes service as it was: a ``flask.Flask`` app.

Its helpers (``legacy/``) are the very files the FastAPI port
(``legacy_service.py``) serves; only the views below were ported.

    python examples/legacy_service.py --flask     # http://127.0.0.1:8000
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import legacy
from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    copy_current_request_context,
    g,
    stream_with_context,
    url_for,
)
from flask_login import login_required
from legacy import audit, auth, jobs, notes
from legacy.db import init_db
from legacy.settings import Settings
from legacy.tenancy import tenant_id

#: What the index lists, by endpoint (Flask's names, the port's route names).
INDEX = ("login", "me", "notes.list_notes", "notes.export_notes", "recent_audit")


def run_after_response(f: Callable[..., None], *args: Any) -> None:
    """The old service's background jobs: run ``f`` once the response was sent
    (the WSGI server closes it), in a copy of this request's context."""
    job = copy_current_request_context(f)

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(lambda: job(*args))
        return response


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Settings)
    app.config.update(config or {})
    legacy.init_app(app)
    with app.app_context():
        init_db()

    @app.get("/")
    def index() -> Any:
        return {"service": "legacy-notes", "try": [url_for(n, _external=True) for n in INDEX]}

    @app.post("/login")
    def login() -> Any:
        return auth.log_in()

    @app.post("/logout")
    @login_required
    def logout() -> Any:
        return auth.log_out()

    @app.get("/me")
    @login_required
    def me() -> Any:
        return auth.profile()

    @app.get("/audit")
    @login_required
    def recent_audit() -> Any:
        return {"tenant": tenant_id(), "entries": audit.recent(tenant_id())}

    bp = Blueprint("notes", __name__, url_prefix="/notes")
    legacy.init_blueprint(bp)

    @bp.get("")
    def list_notes() -> Any:
        return {"tenant": tenant_id(), "notes": notes.list_notes()}

    @bp.post("")
    def create_note() -> Any:
        note = notes.add_note(notes.note_text())
        run_after_response(jobs.index_note, note["id"], g.request_id)
        return note, 201

    @bp.get("/<int:note_id>")
    def get_note(note_id: int) -> Any:
        return notes.get_note(note_id)

    @bp.put("/<int:note_id>")
    def update_note(note_id: int) -> Any:
        note = notes.update_note(note_id, notes.note_text())
        run_after_response(jobs.index_note, note_id, g.request_id)
        return note

    @bp.delete("/<int:note_id>")
    def delete_note(note_id: int) -> Any:
        return notes.delete_note(note_id)

    @bp.get("/export")
    def export_notes() -> Any:
        return Response(
            stream_with_context(notes.export_rows()),
            mimetype="text/csv",
            headers={"Content-Disposition": notes.export_filename()},
        )

    app.register_blueprint(bp)
    return app
