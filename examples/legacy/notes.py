"""The notes store, scoped to the current tenant, and the notes blueprint's
hooks and error handlers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import abort, flash, g, request
from flask_login import current_user

from . import auth
from .db import get_db, query
from .tenancy import tenant_id

COLUMNS = "id, author, text, words"


class NoteNotFound(LookupError):
    def __init__(self, note_id: int) -> None:
        super().__init__(note_id)
        self.note_id = note_id


def list_notes() -> list[dict[str, Any]]:
    rows = query(f"SELECT {COLUMNS} FROM notes WHERE tenant = ? ORDER BY id", (tenant_id(),))
    return [dict(row) for row in rows]


def get_note(note_id: int) -> dict[str, Any]:
    rows = query(f"SELECT {COLUMNS} FROM notes WHERE id = ? AND tenant = ?", (note_id, tenant_id()))
    if not rows:
        raise NoteNotFound(note_id)  # another tenant's note does not exist either
    return dict(rows[0])


def note_text() -> str:
    """The ``text`` of a JSON body: 415 for another type, 400 for bad JSON, as Flask."""
    data = request.get_json()
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        abort(400, description='Send JSON {"text": "..."}.')
    return text.strip()


def add_note(text: str) -> dict[str, Any]:
    db = get_db()
    cur = db.execute(
        "INSERT INTO notes (tenant, author, text) VALUES (?, ?, ?)",
        (tenant_id(), current_user.id, text),
    )
    db.commit()
    note_id = int(cur.lastrowid or 0)
    flash(f"Note {note_id} saved.")
    return get_note(note_id)


def update_note(note_id: int, text: str) -> dict[str, Any]:
    get_note(note_id)
    db = get_db()
    # words: NULL until the background job counted them again.
    db.execute("UPDATE notes SET text = ?, words = NULL WHERE id = ?", (text, note_id))
    db.commit()
    return get_note(note_id)


def delete_note(note_id: int) -> dict[str, Any]:
    get_note(note_id)
    db = get_db()
    db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
    db.commit()
    return {"deleted": note_id}


def export_filename() -> str:
    return f'attachment; filename="notes-{tenant_id()}.csv"'


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def export_rows() -> Iterator[str]:
    """CSV, read from the database row by row while the response streams."""
    yield _csv_line(["id", "author", "words", "text"])  # out before the query runs
    rows = get_db().execute(
        f"SELECT {COLUMNS} FROM notes WHERE tenant = ? ORDER BY id", (tenant_id(),)
    )
    for row in rows:
        yield _csv_line([row["id"], row["author"], row["words"], row["text"]])


# -- the blueprint's hooks and error handlers ------------------------------------


def require_login() -> Any:
    """before_request of the notes blueprint: logged in, and a tenant."""
    if not current_user.is_authenticated:
        return auth.login_manager.unauthorized()
    tenant_id()
    return None


def private_headers(response: Any) -> Any:
    """after_request of the notes blueprint, error responses included."""
    response.headers["Cache-Control"] = "no-store"
    if "tenant" in g:
        response.headers["X-Tenant"] = g.tenant
    return response


def note_not_found(e: NoteNotFound) -> Any:
    return {"error": "Note Not Found", "id": e.note_id}, 404


def forbidden(e: Any) -> Any:
    return {"error": "Forbidden", "detail": e.description, "user": current_user.get_id()}, 403
