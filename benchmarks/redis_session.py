"""How long a Redis session holds the event loop: ``python -m benchmarks.redis_session``.

``open_session`` and ``save_session`` are synchronous (Flask's interface) and
the library calls them on the event-loop thread (``save_session`` always,
``open_session`` when an ``async def`` endpoint or hook touches the session
first). This times both, for a logged-in user, against a real
``redis-server`` on 127.0.0.1 (started here) and against Flask's signed
cookie, the default, in the same run. Needs ``redis-server`` and the
``redis`` extra.
"""

from __future__ import annotations

import statistics
import sys
import time
import typing as t
from pathlib import Path

from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat, RedisSessionInterface
from fastapi_flaskcompat.sessions import SecureCookieSessionInterface
from fastapi_flaskcompat.wrappers import Response

ROUNDS, NUMBER = 7, 500


def per_request_us(compat: FlaskCompat, interface: t.Any, modify: bool) -> list[float]:
    """Microseconds of open + save per request, one figure per round."""
    with compat.test_request_context("/"):
        session = interface.open_session(compat, _request())
        session["user"] = "ann"
        response = Response()
        interface.save_session(compat, session, response)
        cookie = response.headers["set-cookie"].split(";", 1)[0]
    figures = []
    for _ in range(ROUNDS):
        with compat.test_request_context("/", headers={"Cookie": cookie}):
            request = _request()
            started = time.perf_counter()
            for i in range(NUMBER):
                session = interface.open_session(compat, request)
                assert session["user"] == "ann"
                if modify:
                    session["n"] = i
                interface.save_session(compat, session, Response())
            figures.append((time.perf_counter() - started) / NUMBER * 1e6)
    return figures


def _request() -> t.Any:
    from fastapi_flaskcompat import request

    return request._get_current_object()


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from redis_support import redis_server

    compat = FlaskCompat(FastAPI(), config={"SECRET_KEY": "bench"})
    with redis_server() as server:
        interfaces = {
            "signed cookie (default)": SecureCookieSessionInterface(),
            "Redis": RedisSessionInterface(url=server.url),
        }
        print(f"open_session + save_session, logged-in user, median of {ROUNDS}x{NUMBER}:")
        for name, interface in interfaces.items():
            for modify in (False, True):
                us = statistics.median(per_request_us(compat, interface, modify))
                what = "changes the session" if modify else "reads it (TTL refresh)"
                print(f"  {name:<24} request {what:<24} {us:8.1f} us")


if __name__ == "__main__":
    main()
