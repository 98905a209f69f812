"""One sqlite connection per request, stored in ``g``, closed at teardown."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi_flaskcompat import current_app, g  # was: from flask import current_app, g

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    tenant TEXT,
    user TEXT,
    event TEXT NOT NULL,
    status INTEGER
);
"""


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        # check_same_thread=False: under FastAPI one request may use the
        # connection from the event loop and from threadpool workers (hooks,
        # sync endpoints), one after the other; Flask kept it in one thread.
        # The one line of the legacy helpers that changed beyond imports.
        g.db = sqlite3.connect(current_app.config["DATABASE"], check_same_thread=False)
        g.db.row_factory = sqlite3.Row
    return g.db  # type: ignore[no-any-return]


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    db = get_db()
    db.executescript(SCHEMA)
    if db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0:
        db.executemany(
            "INSERT INTO notes (tenant, author, text) VALUES (?, ?, ?)",
            [
                ("acme", "ann", "Welcome to acme's notes."),
                ("acme", "ann", "Ported to FastAPI without touching this helper."),
                ("globex", "bob", "Globex sees only its own notes."),
            ],
        )
    db.commit()


def query(sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    return get_db().execute(sql, args).fetchall()
