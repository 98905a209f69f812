"""The apps the servers load (``--factory`` entry points), one per check.

Each factory builds a fresh FastAPI app with ``FlaskCompat`` (or its bare
FastAPI / ``flask.Flask`` counterpart) using only the library's public API,
as a ported service would. Events the client cannot see (teardown, code
after a response) go to the run's journal (``journal.write``).
"""

from __future__ import annotations

import threading
import time
import typing as t

from fastapi import Body, FastAPI
from fastapi.responses import PlainTextResponse

from fastapi_flaskcompat import FlaskCompat, g, request

from . import journal

# -- shutdown: sync views still running when the server is told to stop ------


def shutdown_app() -> FastAPI:
    """``GET /sleep?ms=&rid=``: a sync view; teardown must run once, after it ended."""
    app = FastAPI()
    compat = FlaskCompat(app)
    ended: set[str] = set()
    lock = threading.Lock()

    @compat.before_request
    def load_user() -> None:
        g.rid = request.args.get("rid", "-")

    @compat.teardown_request
    def close(exc: BaseException | None) -> None:
        rid = g.get("rid", "-")
        with lock:
            after = rid in ended
        journal.write("teardown", rid, "after-view" if after else "view-still-running")

    @app.get("/sleep")
    def sleep(ms: int = 1000) -> PlainTextResponse:
        journal.write("view-start", g.rid)
        time.sleep(ms / 1000)
        with lock:
            ended.add(g.rid)
        journal.write("view-end", g.rid)
        return PlainTextResponse(g.rid)

    return app


# -- slow clients: bodies that never finish arriving --------------------------


def slow_client_app() -> FastAPI:
    """A plain sync hook, a sync view reading the body, and ``GET /ok``."""
    app = FastAPI()
    compat = FlaskCompat(app)

    @compat.before_request
    def load_user() -> None:  # any plain (threadpool) hook
        g.user = request.headers.get("x-user", "anon")

    @app.post("/upload")
    def upload() -> dict[str, int]:
        return {"size": len(request.get_data())}

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


def slow_client_bare_app() -> FastAPI:
    """The same service in bare FastAPI: FastAPI receives the body on the loop."""
    app = FastAPI()

    @app.post("/upload")
    def upload(
        body: t.Annotated[bytes, Body(media_type="application/octet-stream")],
    ) -> dict[str, int]:
        return {"size": len(body)}

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app
