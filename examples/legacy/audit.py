"""Audit trail: a row per response (after_request) and per background job."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, request
from flask_login import current_user

from .db import get_db


def begin() -> None:
    """before_request: the request id the audit rows and the response carry."""
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]


def record(event: str, status: int | None = None) -> None:
    user = current_user.get_id() if current_user.is_authenticated else None
    db = get_db()
    db.execute(
        "INSERT INTO audit (request_id, tenant, user, event, status) VALUES (?, ?, ?, ?, ?)",
        (g.request_id, g.get("tenant"), user, event, status),
    )
    db.commit()


def audit_log(response: Any) -> Any:
    """after_request: also for error responses and before streaming starts."""
    record(f"{request.method} {request.full_path.rstrip('?')}", response.status_code)
    response.headers["X-Request-Id"] = g.request_id
    return response


def recent(tenant: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = get_db().execute(
        "SELECT request_id, user, event, status FROM"
        " (SELECT * FROM audit WHERE tenant = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
        (tenant, limit),
    )
    return [dict(row) for row in rows]
