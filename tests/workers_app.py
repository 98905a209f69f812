"""The app tests/test_workers.py serves with several worker processes.

``create_app()`` reads its settings from the environment, as a deployment
does: ``SECRET_KEY`` (shared by every worker), ``SESSION_STORE`` (``cookie``,
Flask's signed cookie, or ``redis``, then ``REDIS_URL``) and
``SESSION_LIFETIME`` (seconds). Each answer names the process that served it.
"""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta

from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat, RedisSessionInterface, request, session


def create_app() -> FastAPI:
    app = FastAPI()
    compat = FlaskCompat(
        app,
        config={
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "PERMANENT_SESSION_LIFETIME": timedelta(
                seconds=float(os.environ.get("SESSION_LIFETIME", "3600"))
            ),
        },
    )
    if os.environ.get("SESSION_STORE", "cookie") == "redis":
        compat.session_interface = RedisSessionInterface(
            url=os.environ["REDIS_URL"], key_prefix=os.environ.get("SESSION_PREFIX", "session:")
        )

    @app.post("/login/{user}")
    async def login(user: str) -> dict[str, t.Any]:
        session["user"] = user
        session.permanent = True
        return {"pid": os.getpid()}

    @app.post("/visit")
    def visit() -> dict[str, t.Any]:  # a sync endpoint: the threadpool
        session["visits"] = session.get("visits", 0) + 1
        return {"pid": os.getpid(), "visits": session["visits"]}

    @app.get("/whoami")
    async def whoami() -> dict[str, t.Any]:
        return {"pid": os.getpid(), "user": session.get("user"), "visits": session.get("visits")}

    @app.get("/client")
    async def client() -> dict[str, t.Any]:
        return {"remote_addr": request.remote_addr, "scheme": request.scheme}

    return app
