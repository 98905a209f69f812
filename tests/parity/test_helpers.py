"""``jsonify``, ``url_for``, ``abort``, ``copy_current_*_context`` and
``stream_with_context`` under Flask and FlaskCompat, side by side.

Ported from Flask 3.1's tests/test_json.py (jsonify cases),
tests/test_basic.py (url generation, build errors) and tests/test_helpers.py
(stream_with_context, copy_current_request_context).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import threading
import typing as t
import uuid

import anyio
import flask
import pytest
from fastapi.responses import StreamingResponse

import fastapi_flaskcompat

from .harness import (
    ENDPOINT_KINDS,
    Api,
    build_compat,
    build_flask,
    compat_observe,
    exc_info,
    flask_observe,
    run_both,
)

pytestmark = pytest.mark.anyio


@dataclasses.dataclass
class Point:
    x: int
    y: decimal.Decimal


JSONIFY_CASES: dict[str, tuple[tuple[t.Any, ...], dict[str, t.Any]]] = {
    "none": ((), {}),
    "one_arg": (({"b": 1, "a": [1, 2]},), {}),
    "many_args": ((1, "two", None), {}),
    "kwargs_sorted": ((), {"zeta": 1, "alpha": {"d": 1, "c": 2}}),
    "str": (("héllo <tag>",), {}),
    "date": ((datetime.date(2024, 2, 29),), {}),
    "datetime": ((datetime.datetime(2024, 2, 29, 13, 5, 7),), {}),
    "aware": ((datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC),), {}),
    "decimal_uuid": (
        ([decimal.Decimal("1.10"), uuid.UUID("12345678-1234-5678-1234-567812345678")],),
        {},
    ),
    "dataclass": ((Point(1, decimal.Decimal("2.5")),), {}),
    "list_of_dicts": (([{"b": 2, "a": 1}],), {}),
}


@pytest.mark.parametrize("debug", [False, True], ids=["compact", "debug"])
@pytest.mark.parametrize("case", list(JSONIFY_CASES))
def test_jsonify(case: str, debug: bool) -> None:
    args, kwargs = JSONIFY_CASES[case]
    flask_app = build_flask(lambda api, app, ev: None, [])
    compat = build_compat(lambda api, app, ev: None, [])
    results = []
    for api, app in ((flask, flask_app), (__import__("fastapi_flaskcompat"), compat)):
        app.debug = debug
        with app.app_context():
            r = api.jsonify(*args, **kwargs)
            results.append((r.status_code, r.mimetype, r.headers["Content-Type"], r.get_data()))
    theirs, ours = results
    assert ours == theirs


def test_jsonify_errors() -> None:
    results = []
    for api, app in both_apps_with_route():
        with app.app_context():
            results.append(
                [
                    exc_info(lambda api=api: api.jsonify(1, a=2)),
                    exc_info(lambda api=api: api.jsonify(object())),
                    exc_info(lambda api=api: api.jsonify({1j: 1})),
                ]
            )
    theirs, ours = results
    assert ours == theirs
    assert theirs[0] == ("TypeError", "app.json.response() takes either args or kwargs, not both")


def both_apps_with_route() -> list[tuple[Api, t.Any]]:
    import fastapi_flaskcompat

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> None:
        pass

    return [(flask, build_flask(setup, [])), (fastapi_flaskcompat, build_compat(setup, []))]


def url_apps(config: dict[str, t.Any] | None = None) -> list[tuple[Api, t.Any]]:
    """The same three routes on both sides, named alike."""
    import fastapi_flaskcompat

    fl = flask.Flask("parity")
    ours = build_compat(lambda api, app, ev: None, [], config=config)
    if config:
        fl.config.update(config)
    for rule, name in (
        ("/", "index"),
        ("/items/<int:id>", "item"),
        ("/users/<name>/posts", "posts"),
    ):
        fl.add_url_rule(rule, endpoint=name, view_func=lambda **kw: "")
        path = rule.replace("<int:id>", "{id:int}").replace("<name>", "{name}")
        ours.fastapi_app.add_api_route(path, lambda: "", name=name)
    return [(flask, fl), (fastapi_flaskcompat, ours)]


URL_CASES: dict[str, dict[str, t.Any]] = {
    "plain": {"endpoint": "index"},
    "int_param": {"endpoint": "item", "id": 3},
    "extra_query": {"endpoint": "item", "id": 3, "q": "x y&z", "page": 2},
    "none_dropped": {"endpoint": "item", "id": 3, "q": None},
    "list_query": {"endpoint": "index", "tag": ["a", "b"]},
    "str_param": {"endpoint": "posts", "name": "ann"},
    "anchor": {"endpoint": "index", "_anchor": "sec 1/é"},
    "external": {"endpoint": "item", "id": 7, "_external": True},
    "external_query_anchor": {
        "endpoint": "item",
        "id": 7,
        "a": "1",
        "_anchor": "x",
        "_external": True,
    },
    "scheme": {"endpoint": "index", "_external": True, "_scheme": "https"},
    "external_false": {"endpoint": "index", "_external": False},
}


@pytest.mark.parametrize("case", list(URL_CASES))
def test_url_for_in_request(case: str) -> None:
    values = dict(URL_CASES[case])
    endpoint = values.pop("endpoint")
    results = []
    for api, app in url_apps():
        with app.test_request_context("/", base_url="http://example.com:8080/"):
            results.append(api.url_for(endpoint, **values))
    theirs, ours = results
    assert ours == theirs


def test_url_for_errors() -> None:
    """Intended difference: the ``BuildError`` message (Flask's suggests
    close matches from its URL map; ours names the endpoint)."""
    results = []
    for api, app in url_apps():
        with app.test_request_context("/"):
            results.append(
                [
                    type(_raised(lambda api=api: api.url_for("nope"))).__name__,
                    type(_raised(lambda api=api: api.url_for("item"))).__name__,
                    exc_info(lambda api=api: api.url_for("index", _scheme="https")),
                ]
            )
    theirs, ours = results
    assert ours == theirs
    assert theirs[:2] == ["BuildError", "BuildError"]


def _raised(f: t.Callable[[], t.Any]) -> BaseException | None:
    try:
        f()
    except Exception as e:
        return e
    return None


def test_url_for_outside_request() -> None:
    """test_appctx.test_basic_url_generation and
    test_url_generation_requires_server_name."""
    results = []
    for api, app in url_apps():
        with app.app_context():
            no_server = exc_info(lambda api=api: api.url_for("index"))
        app.config.update(SERVER_NAME="example.org", PREFERRED_URL_SCHEME="https")
        with app.app_context():
            results.append(
                (
                    no_server,
                    api.url_for("index"),
                    api.url_for("item", id=1, q="2"),
                    api.url_for("item", id=1, _external=False),
                )
            )
    theirs, ours = results
    assert ours == theirs
    assert theirs[1] == "https://example.org/"
    assert theirs[0] is not None and theirs[0][0] == "RuntimeError"


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_abort_with_response_and_description(endpoint_kind: str) -> None:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.before_request
        def maybe_abort() -> None:
            if api.request.args.get("where") == "before":
                api.abort(api.make_response(("from hook", 418, {"X-A": "b"})))

        def view() -> str:
            kind = api.request.args.get("kind")
            if kind == "response":
                api.abort(api.Response("custom", status=409, headers={"X-A": "v"}))
            if kind == "description":
                api.abort(400, description="Bad <input>")
            if kind == "code":
                api.abort(404)
            return "not aborted"

        return view

    for query in ("where=before", "kind=response", "kind=description", "kind=code"):
        theirs, ours = await run_both(
            setup, f"/?{query}", select=("content-type", "x-a"), endpoint_kind=endpoint_kind
        )
        assert ours == theirs, query
        assert theirs.status in (418, 409, 400, 404)


def _thread_setup(mode: str) -> t.Any:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        def observe() -> None:
            ev.append(
                (
                    api.has_request_context(),
                    api.has_app_context(),
                    api.request.path if api.has_request_context() else None,
                    api.g.get("user") if api.has_app_context() else "no-app",
                    api.current_app.name if api.has_app_context() else None,
                )
            )
            if api.has_app_context():
                api.g.from_thread = True

        def view() -> str:
            api.g.user = "ann"
            if mode == "plain":
                target = observe
            elif mode == "request":
                target = api.copy_current_request_context(observe)
            elif api is flask:
                # Flask 3.1 has no copy_current_app_context: pushing the
                # current app context object is its equivalent.
                app_ctx = flask.globals._cv_app.get()
                inner = observe if mode == "app" else flask.copy_current_request_context(observe)

                def target() -> None:
                    with app_ctx:
                        inner()

            elif mode == "app":
                target = api.copy_current_app_context(observe)
            else:
                target = api.copy_current_app_context(api.copy_current_request_context(observe))
            th = threading.Thread(target=target)
            th.start()
            th.join()
            return f"from_thread={api.g.get('from_thread', False)}"

        return view

    return setup


@pytest.mark.parametrize("mode", ["plain", "request", "app", "app_and_request"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_what_travels_into_a_thread(mode: str, endpoint_kind: str) -> None:
    """A copied request context carries ``request`` (and a fresh app context,
    so no ``g``); ``g`` travels with the app context."""
    theirs, ours = await run_both(_thread_setup(mode), "/p", rule="/p", endpoint_kind=endpoint_kind)
    assert ours == theirs
    expected = {
        "plain": [(False, False, None, "no-app", None)],
        "request": [(True, True, "/p", None, "parity")],
        "app": [(False, True, None, "ann", "parity")],
        "app_and_request": [(True, True, "/p", "ann", "parity")],
    }[mode]
    assert theirs.events == expected


def _stream_setup(decorated: bool) -> t.Any:
    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(("teardown", exc)))

        def generate() -> t.Iterator[str]:
            yield f"path={api.request.path};"
            yield f"x={api.request.args['x']};"
            yield f"g={api.g.get('v')};"
            ev.append("generator done")

        def view() -> t.Any:
            api.g.v = "kept"
            gen = api.stream_with_context(generate)() if decorated else None
            if gen is None:
                gen = api.stream_with_context(generate())
            return api.Response(gen, mimetype="text/plain")

        return view

    return setup


@pytest.mark.parametrize("decorated", [False, True], ids=["generator", "decorator"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_stream_with_context_sync_generator(decorated: bool, endpoint_kind: str) -> None:
    """The generator runs after the view returned, with request and g
    (Flask's test_helpers.TestStreaming).

    Intended difference: Flask 3.1.3 pops the request context when the view
    returns (teardown runs), then re-pushes it around the generator and pops
    it again (teardown runs a second time). Ours keeps the context until the
    stream ends and runs teardown once, after the generator, as Flask's docs
    describe it."""
    theirs, ours = await run_both(
        _stream_setup(decorated), "/s?x=1", rule="/s", endpoint_kind=endpoint_kind
    )
    assert (ours.status, ours.headers, ours.body) == (theirs.status, theirs.headers, theirs.body)
    assert theirs.body == b"path=/s;x=1;g=kept;"
    assert theirs.events == [("teardown", None), "generator done", ("teardown", None)]
    assert ours.events == ["generator done", ("teardown", None)]


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_after_request_runs_before_a_streamed_body_starts(endpoint_kind: str) -> None:
    """Flask runs after_request on a streamed response before the generator's first
    step: what a hook does (an audit row written on the request's connection, a
    value left in g) happens before the body is produced."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        @app.after_request
        def audit(response: t.Any) -> t.Any:
            ev.append("after_request")
            api.g.audited = True
            return response

        def generate() -> t.Iterator[str]:
            ev.append(("first step", api.g.get("audited")))
            yield "a"
            yield "b"

        def view() -> t.Any:
            return api.Response(api.stream_with_context(generate()), mimetype="text/plain")

        return view

    theirs, ours = await run_both(setup, "/s", rule="/s", endpoint_kind=endpoint_kind)
    assert ours == theirs
    assert (theirs.body, theirs.events) == (b"ab", ["after_request", ("first step", True)])


def _wrapping_setup(how: str, fail_at: int | None = None) -> t.Any:
    """A streamed view and an after_request hook that gives the response another
    body: a lazy wrapper of the app's chunks (Flask-Compress does this), one that
    needs the request while it runs (``stream_with_context``), or set_data."""

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(("teardown", type(exc).__name__)))

        @app.after_request
        def rewrite(response: t.Any) -> t.Any:
            if how == "set_data":
                response.set_data(b"replaced")
                return response
            chunks = response.iter_encoded()

            def upper() -> t.Iterator[bytes]:
                yield b"<"
                for chunk in chunks:
                    tag = api.request.args.get("tag", "") if how == "in_context" else ""
                    yield chunk.upper() + tag.encode()
                yield b">"
                ev.append("wrapper done")

            body = upper()
            response.response = api.stream_with_context(body) if how == "in_context" else body
            return response

        def generate() -> t.Iterator[str]:
            for i, part in enumerate(["ab", "cd", "ef"]):
                if i == fail_at:
                    raise ZeroDivisionError("mid-stream")
                yield part
            ev.append("generator done")

        def view() -> t.Any:
            return api.Response(api.stream_with_context(generate()), mimetype="text/plain")

        return view

    return setup


@pytest.mark.parametrize("how", ["lazy", "in_context", "set_data"])
@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_after_request_wrapping_a_streamed_body(how: str, endpoint_kind: str) -> None:
    """What a hook puts around (or instead of) a streamed body is what the client
    gets, as from a WSGI server: never the new headers over the app's own chunks."""
    theirs, ours = await run_both(
        _wrapping_setup(how), "/s?tag=!", rule="/s", endpoint_kind=endpoint_kind
    )
    assert (ours.status, ours.headers, ours.body) == (theirs.status, theirs.headers, theirs.body)
    expected = {"lazy": b"<ABCDEF>", "in_context": b"<AB!CD!EF!>", "set_data": b"replaced"}
    assert theirs.body == expected[how]
    # Flask's test client tears down twice around a stream_with_context (see above).
    assert ours.events.count(("teardown", "NoneType")) == 1
    assert ours.events[-1] == ("teardown", "NoneType")


@pytest.mark.parametrize("endpoint_kind", ENDPOINT_KINDS)
async def test_a_failing_stream_under_a_wrapping_hook_still_tears_down(endpoint_kind: str) -> None:
    """The app's generator raising mid-stream reaches the server through the
    wrapper (Flask's test client raises it), ends the wrapper's thread (no hang)
    and teardown still runs once."""
    setup = _wrapping_setup("lazy", fail_at=1)
    flask_events: list[t.Any] = []
    flask_app = build_flask(setup, flask_events, rule="/s")
    with pytest.raises(ZeroDivisionError):
        flask_app.test_client().get("/s").get_data()
    our_events: list[t.Any] = []
    compat = build_compat(setup, our_events, rule="/s", endpoint_kind=endpoint_kind)
    with anyio.fail_after(10):
        ours = await compat_observe(compat, our_events, "/s")
    assert ours.status == 200 and ours.body.startswith(b"<AB")
    assert b"CD" not in ours.body
    # As the generator's own stream_with_context pops under Flask: with its error.
    assert our_events == ["wrapper done", ("teardown", "ZeroDivisionError")]
    relays = [th for th in threading.enumerate() if "stream relay" in th.name]
    assert relays == [], relays
    assert not fastapi_flaskcompat.has_request_context()


async def test_stream_with_context_async_generator() -> None:
    """Flask has no async generators: the same stream written as an async
    generator in a StreamingResponse gives what Flask's sync one gives."""
    import fastapi_flaskcompat as api

    flask_events: list[t.Any] = []
    flask_app = build_flask(_stream_setup(False), flask_events, rule="/s")
    theirs = flask_observe(flask_app, flask_events, "/s?x=1")

    def setup(api: Api, app: t.Any, ev: list[t.Any]) -> t.Any:
        app.teardown_request(lambda exc: ev.append(("teardown", exc)))

        @api.stream_with_context
        async def generate() -> t.AsyncIterator[str]:
            yield f"path={api.request.path};"
            yield f"x={api.request.args['x']};"
            yield f"g={api.g.get('v')};"
            ev.append("generator done")

        async def view() -> t.Any:
            api.g.v = "kept"
            return StreamingResponse(generate(), media_type="text/plain; charset=utf-8")

        return view

    events: list[t.Any] = []
    ours = await compat_observe(build_compat(setup, events, rule="/s"), events, "/s?x=1")
    assert (ours.status, ours.headers, ours.body) == (theirs.status, theirs.headers, theirs.body)
    assert ours.events == ["generator done", ("teardown", None)]
    assert api.has_request_context() is False


def test_url_for_outside_request_with_application_root() -> None:
    results = []
    for api, app in url_apps({"SERVER_NAME": "h.test:8000", "APPLICATION_ROOT": "/app"}):
        with app.app_context():
            results.append(
                (
                    api.url_for("item", id=2),
                    api.url_for("item", id=2, _external=False),
                    api.url_for("index", _scheme="https", _anchor="a"),
                )
            )
    theirs, ours = results
    assert ours == theirs
    assert theirs[1] == "/app/items/2"
