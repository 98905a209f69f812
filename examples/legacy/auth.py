"""Flask-Login: a session login for browsers, an ``X-API-Key`` header for scripts."""

from __future__ import annotations

from typing import Any

from flask import abort, get_flashed_messages, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.security import check_password_hash

from .db import query
from .tenancy import tenant_id

login_manager = LoginManager()


class User(UserMixin):
    def __init__(self, row: Any) -> None:
        self.id: str = row["id"]
        self.tenant: str = row["tenant"]
        self.admin = bool(row["admin"])
        self.password_hash: str = row["password_hash"]


def _user(sql: str, value: str) -> User | None:
    rows = query(f"SELECT id, password_hash, tenant, admin FROM users WHERE {sql} = ?", (value,))
    return User(rows[0]) if rows else None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return _user("id", user_id)


@login_manager.request_loader
def load_user_from_request(req: Any) -> User | None:
    key = req.headers.get("X-API-Key")
    return _user("api_key", key) if key else None


def authenticate(username: str, password: str) -> User | None:
    user = _user("id", username)
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def credentials() -> tuple[str, str]:
    """``username`` and ``password`` from a form or a JSON body."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict):  # a form is a MultiDict, a dict too
        data = {}
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        abort(400, description="Send username and password (a form or JSON).")
    return username, password


def log_in() -> dict[str, Any]:
    user = authenticate(*credentials())
    if user is None:
        abort(401, description="Wrong username or password.")
    login_user(user)
    session["visits"] = 0
    return {"user": user.id, "tenant": user.tenant}


def log_out() -> dict[str, Any]:
    user_id = current_user.get_id()
    logout_user()
    session.pop("visits", None)
    return {"logged_out": user_id}


def profile() -> dict[str, Any]:
    """Who is asking; counts this session's visits; shows what was flashed."""
    session["visits"] = session.get("visits", 0) + 1
    return {
        "user": current_user.id,
        "tenant": tenant_id(),
        "admin": current_user.admin,
        "visits": session["visits"],
        "messages": get_flashed_messages(),
    }
