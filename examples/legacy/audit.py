"""Audit trail: every response gets a row and an ``X-Request-Id`` header."""

from __future__ import annotations

from typing import Any

from fastapi_flaskcompat import g, request  # was: from flask import g, request

from .db import get_db


def record(event: str, status: int | None = None) -> None:
    db = get_db()
    db.execute(
        "INSERT INTO audit (request_id, tenant, user, event, status) VALUES (?, ?, ?, ?, ?)",
        (g.request_id, g.get("tenant"), g.get("user"), event, status),
    )
    db.commit()


def audit_log(response: Any) -> Any:
    record(f"{request.method} {request.full_path.rstrip('?')}", response.status_code)
    response.headers["X-Request-Id"] = g.request_id
    return response


def recent(tenant: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = get_db().execute(
        "SELECT request_id, user, event, status FROM audit WHERE tenant = ?"
        " ORDER BY id DESC LIMIT ?",
        (tenant, limit),
    )
    return [dict(row) for row in rows]
