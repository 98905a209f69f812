"""Fake requests for unit tests of helpers: ``test_request_context``.

The request is described with Werkzeug's ``EnvironBuilder`` (Flask's own
test helper), then turned into the ASGI scope and body the middleware
would have seen.
"""

from __future__ import annotations

import typing as t

from starlette.types import Message, Receive, Scope
from werkzeug.test import EnvironBuilder

from .body import BODY_KEY, Body

if t.TYPE_CHECKING:
    from .app import FlaskCompat


def scope_from_builder(app: FlaskCompat, *args: t.Any, **kwargs: t.Any) -> tuple[Scope, Receive]:
    """Build an ASGI http scope and a ``receive`` replaying the body."""
    if "base_url" not in kwargs and not (len(args) > 1):
        server_name = app.config.get("SERVER_NAME") or "localhost"
        scheme = app.config.get("PREFERRED_URL_SCHEME") or "http"
        root = (app.config.get("APPLICATION_ROOT") or "/").rstrip("/")
        kwargs["base_url"] = f"{scheme}://{server_name}{root}/"
    builder = EnvironBuilder(*args, **kwargs)
    try:
        environ = builder.get_environ()
        body = environ["wsgi.input"].read()
    finally:
        builder.close()
    headers: list[tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if not value:
                continue
            name = key.replace("_", "-").lower()
        else:
            continue
        headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
    root_path = environ["SCRIPT_NAME"]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": environ["SERVER_PROTOCOL"].split("/", 1)[1],
        "method": environ["REQUEST_METHOD"],
        "scheme": environ["wsgi.url_scheme"],
        "server": (environ["SERVER_NAME"], int(environ["SERVER_PORT"])),
        "client": (environ.get("REMOTE_ADDR") or "127.0.0.1", 0),
        "root_path": root_path,
        "path": root_path + environ["PATH_INFO"],
        "raw_path": (root_path + environ["PATH_INFO"]).encode("latin-1"),
        "query_string": environ["QUERY_STRING"].encode("latin-1"),
        "headers": headers,
    }
    if app.fastapi_app is not None:
        scope["app"] = app.fastapi_app
    if body:
        # The same body API as in a served request, with no event loop needed.
        recorded = Body.from_bytes(body)
        scope[BODY_KEY] = recorded
        return scope, recorded.receive
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, receive
