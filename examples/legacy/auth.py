"""API-key authentication: ``load_user`` runs before every request."""

from __future__ import annotations

import uuid

# was: from flask import abort, current_app, g, request
from fastapi_flaskcompat import abort, current_app, g, request

#: Endpoints anyone may call (Flask endpoint names = FastAPI route names).
PUBLIC_ENDPOINTS = {"index"}


def load_user() -> None:
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]
    key = request.headers.get("X-API-Key")
    account = current_app.config["API_KEYS"].get(key) if key else None
    g.user = account["user"] if account else None
    g.account = account
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        abort(401, description="Send a valid X-API-Key header.")


def current_user() -> str:
    if g.get("user") is None:
        abort(401)
    return g.user  # type: ignore[no-any-return]


def is_admin() -> bool:
    return bool(g.account and g.account.get("admin"))
