"""``current_app``, ``app_context()``, ``test_request_context()`` and the
``has_*_context()`` checks, run side by side under Flask and FlaskCompat.

Ported from Flask 3.1's tests/test_appctx.py and tests/test_reqctx.py.
"""

from __future__ import annotations

import contextvars
import logging
import typing as t

import pytest

from .harness import Api, both_apps, exc_info

pytestmark = pytest.mark.anyio


def where(api: Api) -> tuple[bool, bool, str | None]:
    app_name = api.current_app.name if api.has_app_context() else None
    return api.has_app_context(), api.has_request_context(), app_name


def test_current_app_attributes() -> None:
    results = []
    for api, app in both_apps():
        app.config["TESTING"] = True
        app.extensions["db"] = "conn"
        with app.app_context():
            ca = api.current_app
            results.append(
                (
                    ca.name,
                    ca.config["TESTING"],
                    ca.config["DEBUG"],
                    ca.config.get("SERVER_NAME"),
                    ca.config["APPLICATION_ROOT"],
                    ca.testing,
                    ca.debug,
                    ca.extensions,
                    isinstance(ca.logger, logging.Logger),
                    ca.logger.name,
                    ca._get_current_object() is app,
                    ca == app,
                    bool(ca),
                )
            )
    theirs, ours = results
    assert ours == theirs
    assert theirs[0] == "parity" and theirs[5] is True and theirs[10] is True


def test_debug_flag_follows_config() -> None:
    results = []
    for api, app in both_apps():
        app.debug = True
        with app.app_context():
            results.append((api.current_app.debug, api.current_app.config["DEBUG"]))
    assert results[0] == results[1] == (True, True)


def test_request_context_means_app_context() -> None:
    results = []
    for api, app in both_apps():
        before = where(api)
        with app.test_request_context():
            inside = where(api), api.current_app._get_current_object() is app
        results.append((before, inside, where(api)))
    theirs, ours = results
    assert ours == theirs
    assert theirs == ((False, False, None), ((True, True, "parity"), True), (False, False, None))


def test_app_context_provides_current_app_without_request() -> None:
    results = []
    for api, app in both_apps():
        with app.app_context():
            results.append(
                (where(api), api.current_app._get_current_object() is app, bool(api.request))
            )
        results.append(where(api))
    assert results[:2] == results[2:]
    assert results[0] == ((True, False, "parity"), True, False)


def nested_trace(api: Api, app: t.Any, other: t.Any) -> list[t.Any]:
    trace = [where(api)]
    with app.app_context():
        api.g.level = "app"
        trace.append(where(api))
        with app.test_request_context("/inner?x=1"):
            trace.append((where(api), api.request.args["x"], api.g.level))
            with other.app_context():
                # Another app's context: its own current_app and an empty g,
                # while the first app's request context stays pushed.
                trace.append((where(api), api.g.get("level")))
                with other.test_request_context("/other"):
                    trace.append((where(api), api.request.path))
                trace.append(where(api))
            trace.append((where(api), api.request.path, api.g.level))
        trace.append(where(api))
    trace.append(where(api))
    return trace


def test_nested_contexts_and_a_second_app() -> None:
    (flask_api, flask_app), (our_api, our_app) = both_apps()
    import flask
    from fastapi import FastAPI

    from fastapi_flaskcompat import FlaskCompat

    flask_other = flask.Flask("other")
    our_other = FlaskCompat(FastAPI(title="other"))
    theirs = nested_trace(flask_api, flask_app, flask_other)
    ours = nested_trace(our_api, our_app, our_other)
    assert ours == theirs
    assert theirs[3] == ((True, True, "other"), None)
    assert theirs[4] == ((True, True, "other"), "/other")


async def test_async_with_matches_flask_with() -> None:
    """Flask's contexts are sync-only; ours also work as ``async with``, with
    the same observable state as Flask's ``with``."""
    (flask_api, flask_app), (our_api, our_app) = both_apps()
    theirs: list[t.Any] = []
    ours: list[t.Any] = []
    for api, app, trace in ((flask_api, flask_app, theirs), (our_api, our_app, ours)):

        @app.teardown_appcontext
        def td_app(exc: t.Any, trace: list[t.Any] = trace) -> None:
            trace.append(("teardown_appcontext", exc))

        @app.teardown_request
        def td_req(exc: t.Any, trace: list[t.Any] = trace, api: Api = api) -> None:
            trace.append(("teardown_request", exc, api.request.path, api.g.get("x")))

    with flask_app.app_context():
        theirs.append(where(flask_api))
        with flask_app.test_request_context("/p", method="POST"):
            flask_api.g.x = 1
            theirs.append((where(flask_api), flask_api.request.method))
        theirs.append(where(flask_api))
    theirs.append(where(flask_api))

    async with our_app.app_context():
        ours.append(where(our_api))
        async with our_app.test_request_context("/p", method="POST"):
            our_api.g.x = 1
            ours.append((where(our_api), our_api.request.method))
        ours.append(where(our_api))
    ours.append(where(our_api))

    assert ours == theirs
    assert ("teardown_request", None, "/p", 1) in theirs
    assert theirs.count(("teardown_appcontext", None)) == 1


def test_teardown_on_pop_and_exceptions() -> None:
    """test_reqctx.test_teardown_on_pop / _with_previous_exception /
    _with_handled_exception and test_appctx.test_app_tearing_down*."""
    results = []
    for _api, app in both_apps():
        buf: list[t.Any] = []
        app.teardown_request(lambda exc, buf=buf: buf.append(("req", exc)))
        app.teardown_appcontext(lambda exc, buf=buf: buf.append(("app", exc)))

        ctx = app.test_request_context()
        ctx.push()
        pushed = list(buf)
        ctx.pop()
        step1 = list(buf)

        try:
            raise Exception("dummy")
        except Exception:
            pass
        with app.test_request_context():
            pass
        step2 = list(buf)

        with app.app_context():
            try:
                raise Exception("handled")
            except Exception:
                pass
        step3 = list(buf)

        err = ValueError("unhandled")
        with pytest.raises(ValueError), app.app_context():
            raise err
        step4 = buf[-1] == ("app", err)
        results.append((pushed, step1, step2, step3, step4))
    theirs, ours = results
    assert ours == theirs
    assert theirs[1] == [("req", None), ("app", None)]
    assert theirs[4] is True


def test_manual_context_binding() -> None:
    """test_reqctx.test_context_binding / test_manual_context_binding."""

    def index(api: Api) -> str:
        return f"Hello {api.request.args['name']}! {api.request.url}"

    results = []
    for api, app in both_apps():
        ctx = app.test_request_context("/meh?name=World")
        ctx.push()
        inside = index(api)
        ctx.pop()
        results.append((inside, exc_info(lambda api=api: index(api)), bool(api.request)))
    theirs, ours = results
    assert ours == theirs
    assert theirs[0] == "Hello World! http://localhost/meh?name=World"
    assert theirs[1] is not None and theirs[1][0] == "RuntimeError"


def test_test_request_context_arguments() -> None:
    """The request a helper sees from ``test_request_context(...)``."""

    def observe(api: Api) -> tuple[t.Any, ...]:
        r = api.request
        return (
            r.method,
            r.path,
            r.full_path,
            r.script_root,
            r.url,
            r.base_url,
            r.url_root,
            r.host,
            r.scheme,
            r.is_secure,
            r.args.getlist("a"),
            r.args.get("n", type=int),
            r.headers.get("X-Token"),
            r.headers.get("x-token"),
            r.mimetype,
            r.content_length,
        )

    results = []
    for api, app in both_apps():
        with app.test_request_context(
            "/items/",
            method="PUT",
            query_string={"a": ["1", "2"], "n": "5"},
            headers={"X-Token": "t0k"},
            json={"k": "v"},
        ):
            results.append(observe(api))
        with app.test_request_context(
            "/x", base_url="https://example.com:8443/", data="body", content_type="text/plain"
        ):
            results.append(observe(api))
    assert results[2:] == results[:2]
    assert results[0][10:12] == (["1", "2"], 5)
    assert results[1][4] == "https://example.com:8443/x"


def test_server_name_in_test_request_context() -> None:
    results = []
    for api, app in both_apps():
        app.config.update(SERVER_NAME="example.org", PREFERRED_URL_SCHEME="https")
        with app.test_request_context("/a"):
            results.append((api.request.url, api.request.host))
    assert results[0] == results[1] == ("https://example.org/a", "example.org")


def test_outside_context_helpers_raise() -> None:
    """Intended difference: Flask's ``jsonify`` needs ``current_app`` and raises
    outside a context; ours serializes without one (Flask's default provider
    rules, no app setting is read)."""
    results = []
    for api, _app in both_apps():
        results.append(
            [
                exc_info(lambda api=api: api.after_this_request(lambda r: r)),
                exc_info(lambda api=api: api.copy_current_request_context(lambda: None)),
                exc_info(lambda api=api: api.url_for("index")),
                exc_info(lambda api=api: api.jsonify(a=1)),
                exc_info(lambda api=api: api.make_response("x")),
            ]
        )
    theirs, ours = results
    assert ours[:3] == theirs[:3]
    assert ours[4] == theirs[4]
    assert theirs[3] is not None and theirs[3][0] == "RuntimeError"
    assert ours[3] is None


async def test_async_with_passes_the_exception_to_teardown() -> None:
    """``async with`` behaves as Flask's ``with``: teardown gets the
    exception that left the block, and the contexts are gone after it."""
    (flask_api, flask_app), (our_api, our_app) = both_apps()
    results = []
    for api, app in ((flask_api, flask_app), (our_api, our_app)):
        buf: list[t.Any] = []
        app.teardown_request(lambda e, buf=buf: buf.append(("req", type(e).__name__)))
        app.teardown_appcontext(lambda e, buf=buf: buf.append(("app", type(e).__name__)))
        try:
            if api is flask_api:
                with app.test_request_context("/"):
                    raise KeyError("k")
            else:
                async with app.test_request_context("/"):
                    raise KeyError("k")
        except KeyError:
            pass
        results.append((buf, where(api)))
    theirs, ours = results
    assert ours == theirs
    assert theirs == ([("req", "KeyError"), ("app", "KeyError")], (False, False, None))


def _pop_in_wrong_order(api: Api, app: t.Any, kind: str) -> tuple[str | None, bool]:
    make = app.app_context if kind == "app" else app.test_request_context
    first, second = make(), make()
    first.push()
    second.push()
    try:
        first.pop()
        error = None
    except AssertionError as e:
        error = str(e).split(" (")[0]  # the reprs of the two contexts differ
    # As Flask, the wrong pop still unbound what ``first`` had bound.
    return error, api.has_app_context()


@pytest.mark.parametrize("kind", ["app", "request"])
def test_popping_the_wrong_context_raises_flasks_error(kind: str) -> None:
    # Each run in a Context of its own: what the misordered pops leave bound dies with it.
    results = [
        contextvars.copy_context().run(_pop_in_wrong_order, api, app, kind)
        for api, app in both_apps()
    ]
    theirs, ours = results
    assert ours == theirs
    assert theirs[0] == f"Popped wrong {kind} context."


@pytest.mark.parametrize("kind", ["app", "request"])
def test_popping_a_context_never_pushed_is_a_clear_error(kind: str) -> None:
    """Flask lets an IndexError/LookupError escape; ours says what happened."""
    from fastapi import FastAPI

    from fastapi_flaskcompat import FlaskCompat

    app = FlaskCompat(FastAPI(title="a"))
    ctx = app.app_context() if kind == "app" else app.test_request_context()
    with pytest.raises(AssertionError, match=f"Popped wrong {kind} context.*is not pushed"):
        ctx.pop()


def test_an_app_context_pushed_inside_a_request() -> None:
    """A request is its app context too; ``with app.app_context():`` inside it
    still gives a new ``g`` and keeps the request visible, as in Flask 3.1."""
    results = []
    for api, app in both_apps():
        trace: list[t.Any] = []
        with app.test_request_context("/r?x=1"):
            api.g.v = "request"
            with app.app_context():
                trace.append((where(api), api.request.args["x"], api.g.get("v"), bool(api.request)))
                api.g.v = "inner"
            trace.append((where(api), api.g.get("v")))
        with app.app_context():
            # No request: the proxy is falsy and not an instance of anything it wraps.
            trace.append((where(api), bool(api.request), isinstance(api.request, dict)))
            trace.append(exc_info(lambda api=api: api.request.path))
        results.append(trace)
    assert results[0] == results[1]
    assert results[0][:2] == [
        ((True, True, "parity"), "1", None, True),
        ((True, True, "parity"), "request"),
    ]
