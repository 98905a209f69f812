"""A Flask-SQLAlchemy app on in-memory SQLite (the extension gives it a StaticPool).

``notes_scenario`` is the same app on a SQLite file, for concurrent requests: an
in-memory database is one connection shared by every session (Flask-SQLAlchemy's
StaticPool), so concurrent requests would share one transaction whatever the
framework does; a file gives each session its own pooled connection, as a server
database would.
"""

from __future__ import annotations

import threading
import time
import typing as t

import anyio
import sqlalchemy as sa
from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

from ..harness import Route, Scenario

db = SQLAlchemy()


class Item(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(20), index=True)
    text: Mapped[str] = mapped_column(sa.String(40))


#: The sessions the views used, in order, so a test can check each was closed.
SESSIONS_SEEN: list[t.Any] = []
#: Note requests between their write and their read right now, and the most seen.
IN_FLIGHT = {"now": 0, "peak": 0}
_in_flight_lock = threading.Lock()
#: The file engines the notes apps made, for the test to dispose of.
ENGINES: list[sa.Engine] = []
#: The pause between write and read, in which other requests run.
NOTE_PAUSE = 0.01


def init_app(app: t.Any) -> None:
    db.init_app(app)
    with app.app_context():
        db.create_all()
        db.session.add_all(Item(id=i, name=f"item-{i}") for i in range(1, 26))
        db.session.commit()


def session_state() -> t.Any:
    session = db.session()
    SESSIONS_SEEN.append(session)
    fresh = "seen_by" not in session.info
    session.info["seen_by"] = request.path
    count = db.session.execute(sa.select(sa.func.count(Item.id))).scalar_one()
    return {
        "fresh": fresh,
        "same_in_request": db.session() is session,
        "in_transaction": session.in_transaction(),
        "count": count,
    }


def get_item(item_id: int) -> t.Any:
    item = db.get_or_404(Item, item_id)
    return {"id": item.id, "name": item.name}


def list_items() -> t.Any:
    page = db.paginate(db.select(Item).order_by(Item.id), max_per_page=10)
    return {
        "items": [item.name for item in page.items],
        "total": page.total,
        "pages": page.pages,
        "page": page.page,
        "per_page": page.per_page,
        "has_next": page.has_next,
    }


def rename(item_id: int) -> t.Any:
    item = db.get_or_404(Item, item_id)
    item.name = request.form["name"]
    db.session.commit()
    return {"id": item.id, "name": item.name}


def _fast_sqlite(dbapi_connection: t.Any, _record: t.Any) -> None:
    # WAL: readers never wait for the writer; NORMAL: no fsync per commit.
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def init_notes_app(app: t.Any) -> None:
    db.init_app(app)
    with app.app_context():
        sa.event.listen(db.engine, "connect", _fast_sqlite)
        db.drop_all()  # the file outlives the other side's run
        db.create_all()
        ENGINES.append(db.engine)


def _write_note() -> tuple[t.Any, str]:
    session = db.session()
    SESSIONS_SEEN.append(session)
    owner = request.form["owner"]
    session.info["owner"] = owner
    db.session.add(Note(owner=owner, text=request.form["text"]))
    # Committed before the pause: a SQLite write lock held across it would make every
    # other writer wait, and on the event loop block it until SQLite's busy timeout.
    db.session.commit()
    with _in_flight_lock:
        IN_FLIGHT["now"] += 1
        IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
    return session, owner


def _read_notes(session: t.Any, owner: str) -> t.Any:
    with _in_flight_lock:
        IN_FLIGHT["now"] -= 1
    texts = db.session.scalars(sa.select(Note.text).where(Note.owner == owner).order_by(Note.id))
    return {
        "owner": request.form["owner"],
        "same_session": db.session() is session,
        "session_owner": db.session().info.get("owner"),
        "in_transaction": db.session().in_transaction(),
        "mine": list(texts),
    }


def add_note() -> t.Any:
    """Writes a note, lets other requests run (a worker thread's pause), reads its own back."""
    session, owner = _write_note()
    time.sleep(NOTE_PAUSE)
    return _read_notes(session, owner)


async def add_note_async() -> t.Any:
    """The same as an ``async def`` view: other requests run during the ``await``."""
    session, owner = _write_note()
    await anyio.sleep(NOTE_PAUSE)
    return _read_notes(session, owner)


scenario = Scenario(
    import_name=__name__,
    config={"SQLALCHEMY_DATABASE_URI": "sqlite://"},
    init_app=init_app,
    routes=[
        Route("/session", "session_state", session_state),
        Route("/items", "list_items", list_items),
        Route("/items/<int:item_id>", "get_item", get_item),
        Route("/items/<int:item_id>/rename", "rename", rename, ("POST",)),
    ],
)

notes_scenario = Scenario(
    import_name=__name__,
    init_app=init_notes_app,
    routes=[
        Route("/notes", "add_note", add_note, ("POST",)),
        Route("/notes-async", "add_note_async", add_note_async, ("POST",)),
    ],
)
