"""Work done after the response: counting a note's words (the slow part)."""

from __future__ import annotations

from flask import g

from . import audit
from .db import get_db
from .notes import get_note


def index_note(note_id: int, request_id: str) -> None:
    # Under Flask a copied request context has a fresh g (g belongs to the app
    # context), so the request id travels as an argument.
    g.request_id = request_id
    note = get_note(note_id)
    words = len(note["text"].split())
    db = get_db()
    db.execute("UPDATE notes SET words = ? WHERE id = ?", (words, note_id))
    db.commit()
    audit.record(f"indexed note {note_id}: {words} words")
