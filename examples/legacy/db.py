"""One sqlite connection per app context, kept in ``g``, closed at teardown."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import current_app, g
from werkzeug.security import generate_password_hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    api_key TEXT UNIQUE,
    tenant TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    words INTEGER
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

#: (id, password, API key, tenant, admin): the demo accounts.
USERS = [
    ("ann", "ann-pw", "ann-key", "acme", False),
    ("bob", "bob-pw", "bob-key", "globex", False),
    ("root", "root-pw", "root-key", "acme", True),
]


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        # check_same_thread=False: the FastAPI port uses one request's connection
        # from the event loop and from threadpool workers, one after the other
        # (Flask used it from one thread; the flag costs it nothing).
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=30, check_same_thread=False)
        g.db.row_factory = sqlite3.Row
    return g.db  # type: ignore[no-any-return]


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def query(sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    return get_db().execute(sql, args).fetchall()


def create_user(user_id: str, password: str, api_key: str | None, tenant: str, admin: bool) -> None:
    db = get_db()
    db.execute(
        "INSERT OR IGNORE INTO users (id, password_hash, api_key, tenant, admin)"
        " VALUES (?, ?, ?, ?, ?)",
        # A cheap hash: demo accounts, created at every start.
        (user_id, generate_password_hash(password, "pbkdf2:sha256:1000"), api_key, tenant, admin),
    )
    db.commit()


#: Bumped when SCHEMA changes: a demo database of another version starts again.
SCHEMA_VERSION = 2


def init_db() -> None:
    """Create the schema and the demo data (run in an app context at start-up)."""
    db = get_db()
    db.execute("PRAGMA journal_mode=WAL")  # readers do not wait for writers
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        db.executescript("DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS notes;")
        db.executescript("DROP TABLE IF EXISTS audit;")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.executescript(SCHEMA)
    for user in USERS:
        create_user(*user)
    if db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0:
        db.executemany(
            "INSERT INTO notes (tenant, author, text, words) VALUES (?, ?, ?, ?)",
            [
                ("acme", "ann", "Welcome to acme's notes.", 4),
                ("acme", "ann", "Served by Flask and by FastAPI, same helpers.", 8),
                ("globex", "bob", "Globex sees only its own notes.", 6),
            ],
        )
    db.commit()
