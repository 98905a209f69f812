"""SPEC: Running old ``from flask import ...`` modules untouched.

The bridge itself: Flask's own names and helpers, unmodified, resolving to
this library's request; import order; ``isinstance`` checks; a real Flask
app in the same process; ``ensure_sync``; sessions shared with Flask.
"""

from __future__ import annotations

import threading
import typing as t

import anyio
import flask
import pytest
from fastapi import FastAPI
from flask import g as g_imported_before_any_bridge
from flask import request as request_imported_before_any_bridge
from parity.twoapps import Req, Side, run
from support import client_for

import fastapi_flaskcompat
from fastapi_flaskcompat import Blueprint, FlaskCompat

pytestmark = pytest.mark.anyio


def bridged(**options: t.Any) -> tuple[FastAPI, FlaskCompat]:
    app = FastAPI(title="bridged")
    return app, FlaskCompat(app, bridge_flask=True, **options)


async def test_flask_names_imported_before_and_after_the_bridge_resolve_to_the_request() -> None:
    app, compat = bridged()
    from flask import current_app as imported_after, g as g_after, session  # noqa: I001

    @compat.before_request
    def load() -> None:
        g_imported_before_any_bridge.user = request_imported_before_any_bridge.args["user"]

    @app.get("/")
    async def index() -> t.Any:
        return {
            "user": g_after.user,
            "same_g": flask.g._get_current_object() is fastapi_flaskcompat.g._get_current_object(),
            "app": imported_after._get_current_object() is compat,
            "has_request": flask.has_request_context(),
            "session_is_ours": session.__class__.__name__,
        }

    async with client_for(app) as client:
        body = (await client.get("/?user=ann")).json()
    assert body == {
        "user": "ann",
        "same_g": True,
        "app": True,
        "has_request": True,
        "session_is_ours": "NullSession",
    }
    assert not flask.has_request_context()


async def test_isinstance_checks_extensions_make() -> None:
    early = Blueprint("early", __name__)  # made before any bridge exists in this test
    app, compat = bridged()
    late = Blueprint("late", __name__)
    seen: dict[str, bool] = {}

    @compat.after_request
    def check(response: t.Any) -> t.Any:
        seen["response"] = isinstance(response, flask.Response)
        return response

    @app.get("/")
    async def index() -> str:
        seen["request"] = isinstance(flask.request._get_current_object(), flask.Request)
        seen["made_response"] = isinstance(flask.make_response("x"), flask.Response)
        return "ok"

    async with client_for(app) as client:
        await client.get("/")
    assert seen == {"request": True, "made_response": True, "response": True}
    assert isinstance(early, flask.Blueprint) and isinstance(late, flask.Blueprint)
    # Still ours, with our routing: the FastAPI decorators are first in line.
    assert isinstance(late, Blueprint) and late.get is not flask.Blueprint.get


def test_a_bridged_response_pickles_as_a_flask_response_does() -> None:
    """Flask-Caching and other caches pickle a view's response; the bridge's class
    (ours and Flask's) must survive it, in a process that never made a bridge too."""
    import pickle
    import subprocess
    import sys

    reference = flask.Response("hi", status=203, headers={"X-A": "1"})
    _, compat = bridged()
    ours = compat.response_class("hi", status=203, headers={"X-A": "1"})
    for response in (reference, ours):
        response.set_cookie("seen", "1")
    back = pickle.loads(pickle.dumps(ours))
    assert type(back) is compat.response_class
    assert (back.status, back.get_data(), back.headers.to_wsgi_list()) == (
        reference.status,
        reference.get_data(),
        reference.headers.to_wsgi_list(),
    )
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pickle, sys, flask, fastapi_flaskcompat as f;"
            "r = pickle.loads(sys.stdin.buffer.read());"
            "print(isinstance(r, flask.Response), isinstance(r, f.Response), r.status)",
        ],
        input=pickle.dumps(ours),
        capture_output=True,
        timeout=60,
    )
    assert fresh.stdout.decode().split() == [
        "True",
        "True",
        "203",
        "NON",
        "AUTHORITATIVE",
        "INFORMATION",
    ], fresh.stderr


async def test_a_real_flask_app_in_the_same_process_keeps_its_own_contexts() -> None:
    """Both serve at once: neither sees the other's app, ``g`` or request."""
    app, compat = bridged()
    real = flask.Flask("real")
    mismatches: list[t.Any] = []

    @real.route("/<int:i>")
    def real_view(i: int) -> str:
        flask.g.i = i
        ok = flask.current_app._get_current_object() is real and flask.g.i == i
        return "ok" if ok and flask.request.view_args == {"i": i} else "mixed"

    @app.get("/{i}")
    async def ours(i: int) -> str:
        flask.g.i = i
        await anyio.sleep(0)
        ok = flask.current_app._get_current_object() is compat and flask.g.i == i
        return "ok" if ok and flask.request.path == f"/{i}" else "mixed"

    def flask_requests() -> None:
        client = real.test_client()
        for i in range(200):
            body = client.get(f"/{i}").get_data(as_text=True)
            if body != "ok":
                mismatches.append(("flask", i, body))

    thread = threading.Thread(target=flask_requests)
    thread.start()
    async with client_for(app) as client, anyio.create_task_group() as tg:
        for i in range(200):

            async def one(i: int = i) -> None:
                body = (await client.get(f"/{i}")).json()
                if body != "ok":
                    mismatches.append(("ours", i, body))

            tg.start_soon(one)
    await anyio.to_thread.run_sync(thread.join)
    assert mismatches == []


async def test_ensure_sync_never_hands_back_a_coroutine() -> None:
    app, compat = bridged()

    async def verify(password: str) -> bool:
        await anyio.sleep(0)
        return password == "right"

    checked = compat.ensure_sync(verify)

    @app.get("/thread")
    def in_a_worker_thread() -> t.Any:
        return [checked("right"), checked("wrong")]

    @app.get("/loop")
    async def on_the_event_loop() -> t.Any:
        try:
            return checked("wrong")
        except RuntimeError as e:
            return str(e)

    async with client_for(app) as client:
        assert (await client.get("/thread")).json() == [True, False]
        message = (await client.get("/loop")).json()
    assert "event loop thread" in message and "verify" in message


@pytest.mark.parametrize("written_by", ["flask", "ours"])
async def test_a_session_cookie_is_read_by_the_other_side(written_by: str) -> None:
    """The legacy Flask app and the ported service share users' sessions."""
    secret = {"SECRET_KEY": "shared", "SECRET_KEY_FALLBACKS": ["old"]}
    real = flask.Flask("legacy")
    real.config.update(secret)
    app, _ = bridged(config=secret)

    @real.route("/write")
    def real_write() -> str:
        flask.session["user"] = "ann"
        flask.session["roles"] = ("admin", b"\x00bytes")
        flask.session.permanent = True
        return "written"

    @real.route("/read")
    def real_read() -> t.Any:
        return {"user": flask.session.get("user"), "roles": repr(flask.session.get("roles"))}

    @app.get("/write")
    async def our_write() -> str:
        flask.session["user"] = "ann"
        flask.session["roles"] = ("admin", b"\x00bytes")
        flask.session.permanent = True
        return "written"

    @app.get("/read")
    async def our_read() -> t.Any:
        return {"user": flask.session.get("user"), "roles": repr(flask.session.get("roles"))}

    flask_client = real.test_client()
    async with client_for(app) as client:
        if written_by == "flask":
            flask_client.get("/write")
            cookie = flask_client.get_cookie("session")
            assert cookie is not None
            r = await client.get("/read", cookies={"session": cookie.value})
            seen = r.json()
        else:
            r = await client.get("/write")
            value = r.cookies["session"]
            assert "Expires=" in r.headers["set-cookie"]  # permanent
            flask_client.set_cookie("session", value)
            seen = flask_client.get("/read").get_json()
    assert seen == {"user": "ann", "roles": "('admin', b'\\x00bytes')"}


async def test_a_cookie_signed_with_a_fallback_key_is_still_read() -> None:
    old = flask.Flask("legacy")
    old.config["SECRET_KEY"] = "old"

    @old.route("/write")
    def write() -> str:
        flask.session["user"] = "ann"
        return "written"

    client = old.test_client()
    client.get("/write")
    cookie = client.get_cookie("session")
    assert cookie is not None
    app, compat = bridged(config={"SECRET_KEY": "new", "SECRET_KEY_FALLBACKS": ["old"]})

    @app.get("/read")
    async def read() -> t.Any:
        return flask.session.get("user")

    async with client_for(app) as c:
        assert (await c.get("/read", cookies={"session": cookie.value})).json() == "ann"
        compat.config["SECRET_KEY_FALLBACKS"] = []  # rotated out: a new, empty session
        assert (await c.get("/read", cookies={"session": cookie.value})).json() is None


# -- Flask's helpers, unmodified, through the bridge, against Flask itself ---------


async def test_flask_helpers_through_the_bridge_answer_as_under_flask() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api, app = s.api, s.app
        app.secret_key = "k"

        @app.after_request
        def after(response: t.Any) -> t.Any:
            response.headers["X-After"] = api.request.endpoint or "-"
            return response

        def helpers() -> t.Any:
            @api.after_this_request
            def this_request(response: t.Any) -> t.Any:
                response.headers["X-This"] = "yes"
                return response

            api.flash("saved", "info")
            return api.jsonify(
                url=api.url_for("target", page=2, _anchor="a"),
                external=api.url_for("target", _external=True),
                endpoint=api.request.endpoint,
                has=[api.has_request_context(), api.has_app_context()],
            )

        def target() -> t.Any:
            return api.make_response(("made", 201, {"X-Made": "1"}))

        def flashes() -> t.Any:
            return {"messages": api.get_flashed_messages(with_categories=True)}

        def go() -> t.Any:
            return api.redirect(api.url_for("target"))

        def missing() -> t.Any:
            api.abort(404, description="nothing here")

        def threaded() -> t.Any:
            out: list[str] = []

            @api.copy_current_request_context
            def work() -> None:
                out.append(api.request.args.get("q", ""))

            worker = threading.Thread(target=work)
            worker.start()
            worker.join()
            return out[0]

        def streamed() -> t.Any:
            @api.stream_with_context
            def gen() -> t.Iterator[str]:
                yield api.request.args.get("q", "")
                yield "|"
                yield api.request.path

            return gen()

        def templated() -> t.Any:
            return api.render_template_string(
                "{{ request.path }} {{ url_for('target') }} {{ g.x }} {{ name }}", name="n"
            )

        def template_stream() -> t.Any:
            return api.stream_template_string("{{ request.args.q }}-{{ g.x }}")

        def flask_json() -> t.Any:
            # flask.json reads current_app.json: the provider and its config.
            return api.json.dumps({"b": 1, "a": [api.json.loads('"x"')]})

        @app.before_request
        def set_x() -> None:
            api.g.x = "gx"

        views = (helpers, target, flashes, go, missing, threaded, streamed, templated)
        for view in (*views, template_stream, flask_json):
            s.route(app, f"/{view.__name__}", view)

    requests = [
        "/helpers",
        "/flashes",
        "/flashes",
        "/target",
        "/go",
        "/missing",
        "/threaded?q=v",
        "/streamed?q=s",
        "/templated",
        "/template_stream?q=t",
        "/flask_json",
    ]
    select = ("content-type", "location", "x-after", "x-this", "x-made")
    theirs, ours = await run(setup, [Req(p) for p in requests], select=select, bridge=True)
    assert ours == theirs
    bodies = [o.body for o in theirs]
    assert b'"url":"/target?page=2#a"' in bodies[0]
    assert bodies[1] == b'{"messages":[["info","saved"]]}\n'
    assert bodies[2] == b'{"messages":[]}\n'
    assert (theirs[3].status, bodies[3]) == (201, b"made")
    assert theirs[4].status == 302 and theirs[4].headers["location"] == ["/target"]
    assert theirs[5].status == 404 and b"nothing here" in bodies[5]
    assert bodies[6:] == [
        b"v",
        b"s|/streamed",
        b"/templated /target gx n",
        b"t-gx",
        b'{"a": ["x"], "b": 1}',
    ]
