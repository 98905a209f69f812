"""Server-side sessions in a real Redis (Debian's ``redis-server``, started by
the ``redis_server`` fixture): the same helper scenario under Flask +
Flask-Session's ``RedisSessionInterface`` and under FastAPI + ours gives the
same answers — values, cookie, permanence, expiry as the Redis TTL, refresh,
clearing deletes the key, forged cookies — and the two apps read each other's
sessions. Then what only ours promises: Flask's value types, ``new``,
``regenerate``, concurrent requests, and Redis being down."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import typing as t
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import anyio
import flask
import flask_session
import httpx
import pytest
import redis
from fastapi import FastAPI
from itsdangerous import Signer
from redis_support import redis_server as run_redis
from starlette.testclient import TestClient
from support import client_for

from fastapi_flaskcompat import FlaskCompat, RedisSessionInterface, make_response, session
from fastapi_flaskcompat.redis_session import RedisSession

pytestmark = pytest.mark.anyio

SECRET = "not-a-real-secret"
LIFETIME = timedelta(seconds=100)


# -- the legacy helpers: the same code under both frameworks ----------------------


def login(sess: t.Any, user: str) -> str:
    sess["user"] = user
    sess["roles"] = ["admin", "dev"]
    sess["visits"] = 0
    return "ok"


def me(sess: t.Any) -> dict[str, t.Any]:
    return {
        "user": sess.get("user"),
        "roles": sess.get("roles"),
        "visits": sess.get("visits"),
        "permanent": sess.permanent,
    }


def visit(sess: t.Any) -> dict[str, t.Any]:
    sess["visits"] = sess.get("visits", 0) + 1
    return me(sess)


def make_temporary(sess: t.Any) -> str:
    sess.permanent = False
    return "ok"


def logout(sess: t.Any) -> str:
    sess.clear()
    return "bye"


def untouched() -> str:
    return "no session here"


ROUTES: list[tuple[str, str, Callable[..., t.Any]]] = [
    ("POST", "/login/{user}", login),
    ("GET", "/me", me),
    ("POST", "/visit", visit),
    ("POST", "/temporary", make_temporary),
    ("POST", "/logout", logout),
]


def config(lifetime: timedelta, refresh: bool) -> dict[str, t.Any]:
    return {
        "SECRET_KEY": SECRET,
        "PERMANENT_SESSION_LIFETIME": lifetime,
        "SESSION_REFRESH_EACH_REQUEST": refresh,
    }


def flask_app(
    client: redis.Redis,
    prefix: str,
    lifetime: timedelta = LIFETIME,
    refresh: bool = True,
    fmt: str = "json",
) -> flask.Flask:
    """Flask + Flask-Session: a signed id cookie (SESSION_USE_SIGNER, deprecated but
    what a site signing its ids runs) and JSON in Redis unless ``fmt`` says otherwise."""
    app = flask.Flask("flaskside")
    app.config.update(config(lifetime, refresh))
    app.config.update(
        SESSION_TYPE="redis",
        SESSION_REDIS=client,
        SESSION_KEY_PREFIX=prefix,
        SESSION_USE_SIGNER=True,
        SESSION_SERIALIZATION_FORMAT=fmt,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        flask_session.Session(app)
    for method, path, helper in ROUTES:

        def view(_helper: Callable[..., t.Any] = helper, **kwargs: t.Any) -> t.Any:
            rv = _helper(flask.session, **kwargs)
            return flask.jsonify(rv) if isinstance(rv, dict) else rv

        app.add_url_rule(
            path.replace("{", "<").replace("}", ">"), helper.__name__, view, methods=[method]
        )
    app.add_url_rule("/untouched", "untouched", untouched)
    return app


def fastapi_app(
    client: redis.Redis | None,
    prefix: str,
    lifetime: timedelta = LIFETIME,
    refresh: bool = True,
    **options: t.Any,
) -> tuple[FastAPI, FlaskCompat]:
    app = FastAPI()
    compat = FlaskCompat(app, config=config(lifetime, refresh))
    compat.session_interface = RedisSessionInterface(client, key_prefix=prefix, **options)
    for method, path, helper in ROUTES:

        def view(
            _helper: Callable[..., t.Any] = helper, user: str | None = None
        ) -> t.Any:  # a sync endpoint: the helper runs in the threadpool
            rv = _helper(session, user) if user is not None else _helper(session)
            return make_response(rv) if isinstance(rv, str) else rv

        app.add_api_route(path, view, methods=[method], name=helper.__name__)

    @app.get("/untouched")
    async def untouched_route() -> t.Any:
        return make_response(untouched())

    @app.get("/me-async")
    async def me_async() -> dict[str, t.Any]:  # on the event loop
        return me(session)

    return app, compat


@pytest.fixture
def rclient(redis_server: t.Any) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}:"


def http_client(app: t.Any, backend: str) -> httpx.Client:
    if isinstance(app, flask.Flask):
        return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t")
    return TestClient(app, base_url="http://t", backend=backend)


def cookie_shape(response: httpx.Response) -> str | None:
    """The Set-Cookie header with its value and date taken out; "deleted" for a
    deletion (Flask-Session deletes with domain and path only, ours with every
    attribute, as Flask 3.1's cookie sessions do)."""
    header = response.headers.get("set-cookie")
    if header is None:
        return None
    if "Max-Age=0" in header or "Expires=Thu, 01 Jan 1970" in header:
        return "deleted"
    header = re.sub(r"^session=[^;]*", "session=<sid>", header)
    return re.sub(r"Expires=[^;]*", "Expires=<date>", header)


def the_key(rclient: redis.Redis, prefix: str) -> str:
    keys = rclient.keys(prefix + "*")
    assert len(keys) == 1, keys
    return t.cast(bytes, keys[0]).decode()


def sid_of(http: httpx.Client) -> str:
    return (
        Signer(SECRET, salt="flask-session", key_derivation="hmac")
        .unsign(http.cookies["session"])
        .decode()
    )


def near(ms: int, target: timedelta, within: float = 3.0) -> bool:
    return abs(ms / 1000 - target.total_seconds()) <= within


def scenario(http: httpx.Client, rclient: redis.Redis, prefix: str) -> list[t.Any]:
    """What a user of either app observes, with ids and dates normalised."""
    seen: list[t.Any] = []
    r = http.post("/login/ann")
    seen += ["login", r.status_code, r.text, cookie_shape(r), r.headers.get("vary")]
    key = the_key(rclient, prefix)
    seen += ["key is prefix + signed sid", key == prefix + sid_of(http)]
    seen += ["ttl", near(t.cast(int, rclient.pttl(key)), LIFETIME)]
    seen += ["stored", json.loads(t.cast(bytes, rclient.get(key)))]
    r = http.get("/me")
    seen += ["me", r.json(), cookie_shape(r)]
    r = http.post("/visit")
    seen += ["visit", r.json(), http.get("/me").json()]
    # Not modified, SESSION_REFRESH_EACH_REQUEST: the TTL starts again.
    rclient.pexpire(key, 5000)
    r = http.get("/me")
    seen += ["refreshed", near(t.cast(int, rclient.pttl(key)), LIFETIME), cookie_shape(r)]
    r = http.get("/untouched")
    seen += ["untouched", r.text, cookie_shape(r)]
    r = http.post("/temporary")
    seen += ["temporary", cookie_shape(r), near(t.cast(int, rclient.pttl(key)), LIFETIME)]
    seen += ["stored", json.loads(t.cast(bytes, rclient.get(key)))]
    r = http.post("/logout")
    seen += ["logout", r.text, cookie_shape(r), rclient.exists(key), rclient.keys(prefix + "*")]
    r = http.get("/me")
    seen += ["after logout", r.json(), cookie_shape(r), rclient.keys(prefix + "*")]
    # A forged id, then a real id with a forged signature: a new session each time.
    for forged in ("forged", sid_of_forged_signature(key, prefix)):
        http.cookies.clear()
        http.cookies.set("session", forged, domain="t.local")
        r = http.get("/me")
        seen += ["forged", r.status_code, r.json(), cookie_shape(r)]
    http.cookies.clear()
    r = http.post("/login/bob")
    key = the_key(rclient, prefix)
    seen += ["new login", r.status_code, key.removeprefix(prefix) not in ("forged",)]
    return seen


def sid_of_forged_signature(key: str, prefix: str) -> str:
    return key.removeprefix(prefix) + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA"


def test_same_answers_as_flask_session(
    rclient: redis.Redis, prefix: str, anyio_backend: str
) -> None:
    with http_client(flask_app(rclient, prefix + "flask:"), anyio_backend) as http:
        expected = scenario(http, rclient, prefix + "flask:")
    app, _ = fastapi_app(rclient, prefix + "ours:")
    with http_client(app, anyio_backend) as http:
        got = scenario(http, rclient, prefix + "ours:")
    assert got == expected
    # What the scenario saw, so a regression on both sides cannot pass unnoticed.
    assert expected[expected.index("me") + 1] == {
        "user": "ann",
        "roles": ["admin", "dev"],
        "visits": 0,
        "permanent": True,
    }
    assert expected[expected.index("logout") + 3 : expected.index("logout") + 5] == [0, []]


def no_refresh_scenario(http: httpx.Client, rclient: redis.Redis, prefix: str) -> list[t.Any]:
    http.post("/login/ann")
    key = the_key(rclient, prefix)
    rclient.pexpire(key, 5000)
    r = http.get("/me")
    ttl = t.cast(int, rclient.pttl(key))
    return [r.json(), cookie_shape(r), 0 < ttl <= 5000]


def test_without_refresh_each_request_the_ttl_is_left(
    rclient: redis.Redis, prefix: str, anyio_backend: str
) -> None:
    with http_client(flask_app(rclient, prefix + "f:", refresh=False), anyio_backend) as http:
        expected = no_refresh_scenario(http, rclient, prefix + "f:")
    app, _ = fastapi_app(rclient, prefix + "o:", refresh=False)
    with http_client(app, anyio_backend) as http:
        assert no_refresh_scenario(http, rclient, prefix + "o:") == expected
    assert expected[1:] == [None, True]


def test_expires_as_configured(rclient: redis.Redis, prefix: str, anyio_backend: str) -> None:
    """PERMANENT_SESSION_LIFETIME is the Redis TTL: wait it out, the session is gone."""
    lifetime = timedelta(seconds=1)
    ours, _ = fastapi_app(rclient, prefix + "o:", lifetime=lifetime)
    apps = {"flask": (flask_app(rclient, prefix + "f:", lifetime), prefix + "f:")}
    apps["ours"] = (ours, prefix + "o:")  # type: ignore[assignment]
    clients = {name: http_client(app, anyio_backend) for name, (app, _) in apps.items()}
    try:
        for http in clients.values():
            http.post("/login/ann")
        ttls = {name: rclient.pttl(the_key(rclient, p)) for name, (_, p) in apps.items()}
        assert all(0 < t.cast(int, ms) <= 1000 for ms in ttls.values()), ttls
        assert all(http.get("/me").json()["user"] == "ann" for http in clients.values())
        time.sleep(1.3)  # the refresh above restarted the 1 s
        answers = {name: http.get("/me").json() for name, http in clients.items()}
        assert answers["ours"] == answers["flask"]
        assert answers["ours"]["user"] is None
        assert rclient.keys(prefix + "*") == []
    finally:
        for http in clients.values():
            http.close()


def test_flask_and_fastapi_share_sessions(
    rclient: redis.Redis, prefix: str, anyio_backend: str
) -> None:
    """A site half migrated: the legacy Flask app and the ported service, same
    SECRET_KEY and Redis, read and change each other's sessions."""
    legacy = flask_app(rclient, prefix)
    ported, _ = fastapi_app(rclient, prefix)
    with http_client(legacy, anyio_backend) as old, http_client(ported, anyio_backend) as new:
        old.post("/login/ann")
        new.cookies.set("session", old.cookies["session"], domain="t.local")
        assert new.post("/visit").json()["visits"] == 1
        assert old.get("/me").json() == {
            "user": "ann",
            "roles": ["admin", "dev"],
            "visits": 1,
            "permanent": True,
        }
        new.cookies.clear()
        new.post("/login/bob")
        old.cookies.clear()
        old.cookies.set("session", new.cookies["session"], domain="t.local")
        assert old.post("/visit").json()["user"] == "bob"
        assert new.get("/me").json()["visits"] == 1
        new.post("/logout")
        assert old.get("/me").json()["user"] is None


def test_flask_session_default_msgpack(
    rclient: redis.Redis, prefix: str, anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Flask-Session's default format (msgpack) is not read here: a new session,
    not a 500. Ours (JSON) is read by Flask-Session whatever its format."""
    legacy = flask_app(rclient, prefix, fmt="msgpack")
    ported, _ = fastapi_app(rclient, prefix)
    with http_client(legacy, anyio_backend) as old, http_client(ported, anyio_backend) as new:
        old.post("/login/ann")
        new.cookies.set("session", old.cookies["session"], domain="t.local")
        with caplog.at_level(logging.WARNING):
            r = new.get("/me")
        assert (r.status_code, r.json()["user"]) == (200, None)
        assert "Unreadable session data" in caplog.text
        new.cookies.clear()
        new.post("/login/bob")
        old.cookies.clear()
        old.cookies.set("session", new.cookies["session"], domain="t.local")
        assert old.get("/me").json()["user"] == "bob"


# -- what only ours promises ---------------------------------------------------------

VALUES: dict[str, t.Any] = {
    "tuple": (1, "a"),
    "bytes": b"\x00\xff",
    "when": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": {" t": "a key like a tag", "list": [1, 2.5, None, True]},  # sorted, as stored
}


def store_values(sess: t.Any) -> str:
    sess.update(VALUES)
    return "ok"


def read_values(sess: t.Any) -> str:
    return repr({k: sess[k] for k in VALUES})


def test_values_round_trip_as_in_flask_cookie_sessions(
    rclient: redis.Redis, prefix: str, anyio_backend: str
) -> None:
    """Flask's tagged JSON in Redis: the types Flask's cookie session keeps
    (checked under flask.Flask) come back as they went in."""
    legacy = flask.Flask("cookie")
    legacy.secret_key = SECRET
    legacy.add_url_rule("/store", "store", lambda: store_values(flask.session), methods=["POST"])
    legacy.add_url_rule("/read", "read", lambda: read_values(flask.session))
    ported, _ = fastapi_app(rclient, prefix)
    ported.add_api_route("/store", lambda: store_values(session), methods=["POST"])
    ported.add_api_route("/read", lambda: read_values(session))
    answers = []
    for app in (legacy, ported):
        with http_client(app, anyio_backend) as http:
            http.post("/store")
            r = http.get("/read")
            answers.append(r.json() if r.headers["content-type"].startswith("app") else r.text)
    assert answers[0] == answers[1] == repr(VALUES)


async def test_new_and_regenerate(rclient: redis.Redis, prefix: str) -> None:
    app, compat = fastapi_app(rclient, prefix)
    interface = t.cast(RedisSessionInterface, compat.session_interface)

    @app.get("/new")
    async def is_new() -> bool:
        return t.cast(bool, session.new)

    @app.post("/regenerate")
    async def regenerate() -> str:
        interface.regenerate(t.cast(RedisSession, session._get_current_object()))
        return "ok"

    async with client_for(app, raise_app_exceptions=True) as http:
        assert (await http.get("/new")).json() is True
        await http.post("/login/ann")
        assert (await http.get("/new")).json() is False
        old_key = the_key(rclient, prefix)
        await http.post("/regenerate")
        new_key = the_key(rclient, prefix)
        assert new_key != old_key and rclient.exists(old_key) == 0
        assert (await http.get("/me")).json()["user"] == "ann"
        assert (await http.get("/me-async")).json()["user"] == "ann"


async def test_a_read_only_request_never_undoes_a_concurrent_write(
    rclient: redis.Redis, prefix: str
) -> None:
    """A slow request that only reads the session refreshes the TTL, and must not
    write back the data it read while another request changed it (Flask-Session
    rewrites the data on every request)."""
    app, _ = fastapi_app(rclient, prefix)
    reading = anyio.Event()

    @app.get("/slow-read")
    async def slow_read() -> str | None:
        user = session.get("user")
        reading.set()
        await anyio.sleep(0.3)
        return t.cast("str | None", user)

    async with client_for(app, raise_app_exceptions=True) as http:
        await http.post("/login/ann")
        results: dict[str, t.Any] = {}

        async def slow() -> None:
            results["slow"] = (await http.get("/slow-read")).json()

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            await reading.wait()
            results["visit"] = (await http.post("/visit")).json()["visits"]
        assert results == {"slow": "ann", "visit": 1}
        assert (await http.get("/me")).json()["visits"] == 1
        key = the_key(rclient, prefix)
        assert near(t.cast(int, rclient.pttl(key)), LIFETIME)


async def test_without_secret_key_flasks_null_session(rclient: redis.Redis, prefix: str) -> None:
    app = FastAPI()
    compat = FlaskCompat(app)
    compat.session_interface = RedisSessionInterface(rclient, key_prefix=prefix)

    @app.get("/read")
    async def read() -> str | None:
        return t.cast("str | None", session.get("user"))

    @app.get("/write")
    async def write() -> str:
        try:
            session["user"] = "ann"
        except RuntimeError as exc:
            return str(exc)
        return "written"

    async with client_for(app, raise_app_exceptions=True) as http:
        assert (await http.get("/read")).json() is None
        assert "no secret key was set" in (await http.get("/write")).json()
    assert rclient.keys(prefix + "*") == []


# -- Redis down ----------------------------------------------------------------------


async def test_redis_down_then_back(
    prefix: str, anyio_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """While Redis is down: a request that touches the session gets a 503 with
    Retry-After, quickly; one that does not is served; a write is an error, never
    a silent loss. When Redis is back, sessions work again."""
    with run_redis() as server:
        client = redis.Redis.from_url(server.url)
        app, _ = fastapi_app(None, prefix, url=server.url, retry_after=0.3)
        async with client_for(app) as http:
            await http.post("/login/ann")
            assert (await http.get("/me")).json()["user"] == "ann"
            server.proc.terminate()
            server.proc.wait(timeout=10)
            with caplog.at_level(logging.ERROR):
                started = time.perf_counter()
                r = await http.get("/me")
                took = time.perf_counter() - started
            assert (r.status_code, r.headers.get("retry-after")) == (503, "1")
            assert "session store is unavailable" in r.text
            assert took < 0.5, took
            assert (await http.get("/untouched")).status_code == 200
            assert (await http.get("/me-async")).status_code == 503
            cookie = http.cookies["session"]
            http.cookies.clear()
            r = await http.post("/login/bob")  # no cookie: a new session, then the write fails
            assert r.status_code == 500 and "set-cookie" not in r.headers
            # Logged once per outage window, not once per request.
            assert caplog.text.count("Session store unavailable") == 1
            http.cookies.set("session", cookie, domain="t.local")
            # The same port again: the data went with the old process.
            with run_redis_on(server.port):
                await anyio.sleep(0.35)
                r = await http.get("/me")
                assert (r.status_code, r.json()["user"]) == (200, None)
                await http.post("/login/cy")
                assert (await http.get("/me")).json()["user"] == "cy"
        client.close()


class run_redis_on:
    """redis-server on a given port (a restart), stopped on exit."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __enter__(self) -> None:
        import shutil
        import subprocess
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        cmd = [t.cast(str, shutil.which("redis-server")), "--bind", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--save", "", "--dir", self.dir.name]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not restart")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.dir.cleanup()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a Redis that hangs."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


async def test_a_hanging_redis_blocks_one_request_per_retry_window(
    silent_server: int, prefix: str
) -> None:
    """The client this library makes times out after 1 s, without retries; for
    ``retry_after`` seconds after that, sessions are unavailable at once."""
    app, _ = fastapi_app(None, prefix, url=f"redis://127.0.0.1:{silent_server}/0", retry_after=5)
    signer = Signer(SECRET, salt="flask-session", key_derivation="hmac")
    cookie = signer.sign("some-session-id").decode()
    async with client_for(app) as http:
        http.cookies.set("session", cookie, domain="t.local")
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            r = await http.get("/me-async")
            timings.append(time.perf_counter() - started)
            assert r.status_code == 503
    assert 0.9 < timings[0] < 2.5, timings
    assert max(timings[1:]) < 0.1, timings


def test_without_the_redis_package_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "redis", None)  # what `import redis` sees uninstalled
    with pytest.raises(RuntimeError, match=r"fastapi-flaskcompat\[redis\]"):
        RedisSessionInterface(url="redis://127.0.0.1:1/0")
