"""A Flask-SQLAlchemy app on in-memory SQLite (the extension gives it a StaticPool)."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

from ..harness import Route, Scenario

db = SQLAlchemy()


class Item(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))


#: The sessions the views used, in order, so a test can check each was closed.
SESSIONS_SEEN: list[t.Any] = []


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
