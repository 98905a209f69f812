"""The notes store, scoped to the current tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .auth import current_user
from .db import get_db, query
from .tenancy import tenant_id


def list_notes() -> list[dict[str, Any]]:
    rows = query("SELECT id, author, text FROM notes WHERE tenant = ? ORDER BY id", (tenant_id(),))
    return [dict(row) for row in rows]


def add_note(text: str) -> int:
    db = get_db()
    cur = db.execute(
        "INSERT INTO notes (tenant, author, text) VALUES (?, ?, ?)",
        (tenant_id(), current_user(), text),
    )
    db.commit()
    return int(cur.lastrowid or 0)


def export_csv() -> Iterator[str]:
    yield "id,author,text\n"
    for note in list_notes():
        text = note["text"].replace('"', '""')
        yield f'{note["id"]},{note["author"]},"{text}"\n'
