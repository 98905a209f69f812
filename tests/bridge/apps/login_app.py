"""A Flask-Login app as a Flask codebase has it: nothing here knows about FastAPI."""

from __future__ import annotations

import time
import typing as t

from flask import get_flashed_messages, request, session
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)

from ..harness import Route, Scenario


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


#: user id -> password; ``u0`` ... ``u49`` for the concurrency test.
USERS = {"ann": "ann-pw", "bob": "bob-pw", **{f"u{i}": f"u{i}-pw" for i in range(50)}}


def load_user(user_id: str) -> User | None:
    return User(user_id) if user_id in USERS else None


def init_app(app: t.Any) -> None:
    manager = LoginManager()
    manager.user_loader(load_user)
    # The app's own settings: where to send anonymous users (None: answer 401).
    manager.login_view = app.config.get("LOGIN_VIEW")
    manager.init_app(app)


def login() -> t.Any:
    if request.method == "GET":
        # The login page shows what ``unauthorized()`` flashed.
        flashes = get_flashed_messages(with_categories=True)
        return {"flashes": flashes, "next": request.args.get("next")}
    user_id = request.form["user"]
    if USERS.get(user_id) != request.form.get("password"):
        return {"error": "bad credentials"}, 403
    login_user(User(user_id), remember=request.form.get("remember") == "1")
    return {"logged_in": current_user.get_id()}


def logout() -> t.Any:
    logout_user()
    return {"logged_out": True}


def me() -> t.Any:
    """Public: anonymous users see ``is_authenticated`` False."""
    return {
        "authenticated": current_user.is_authenticated,
        "id": current_user.get_id(),
        "fresh": session.get("_fresh"),
    }


@login_required
def private() -> t.Any:
    return {"id": current_user.get_id(), "endpoint": request.endpoint}


@login_required
def slow_whoami() -> t.Any:
    """Reads the user, lets other requests run, reads it again."""
    first = current_user.get_id()
    time.sleep(0.005)
    return {"first": first, "second": current_user.get_id(), "session": session.get("_user_id")}


scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret", "SESSION_PROTECTION": "basic"},
    init_app=init_app,
    routes=[
        Route("/login", "login", login, ("GET", "POST")),
        Route("/logout", "logout", logout),
        Route("/me", "me", me),
        Route("/private", "private", private),
        Route("/slow-whoami", "slow_whoami", slow_whoami),
    ],
)
