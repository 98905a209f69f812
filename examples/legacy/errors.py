"""The app's error pages are JSON: ``{"error": ..., "detail": ...}``."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException


def http_error(e: HTTPException) -> Any:
    # The exception's own headers (Allow on a 405...), not its HTML type.
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    return {"error": e.name, "detail": e.description}, e.code, headers
