"""Flask's signals, run side by side under Flask and FlaskCompat.

Ported from Flask 3.1's tests/test_signals.py (all but the two template
cases: rendering templates is not this library's): test_request_signals,
test_request_exception_signal, test_appcontext_signals, test_flash_signal,
test_appcontext_tearing_down_signal; plus the whole sequence of every
request signal against the hooks, for a plain, a handled-error, an
unhandled-error and a routing-error request.

The signal objects are the same on both sides (ours are Flask's when Flask
is installed), so each receiver is connected for its own app as sender.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import flask
import flask.signals
import pytest

import fastapi_flaskcompat.signals

from .twoapps import Req, Side, run

pytestmark = pytest.mark.anyio

Connection = tuple[t.Any, t.Callable[..., t.Any], t.Any]
_connected: list[Connection] = []


@pytest.fixture(autouse=True)
def disconnect_receivers() -> Iterator[None]:
    yield
    while _connected:
        signal, receiver, sender = _connected.pop()
        signal.disconnect(receiver, sender)


def signals_of(s: Side) -> t.Any:
    return flask.signals if s.is_flask else fastapi_flaskcompat.signals


def connect(s: Side, name: str, receiver: t.Callable[..., t.Any]) -> None:
    signal = getattr(signals_of(s), name)
    signal.connect(receiver, s.app)
    _connected.append((signal, receiver, s.app))


def test_the_signal_objects_are_flasks() -> None:
    names = fastapi_flaskcompat.signals.__all__
    assert len(names) == 10
    for name in names:
        assert getattr(fastapi_flaskcompat.signals, name) is getattr(flask.signals, name)


async def test_request_signals() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        def before_request_signal(sender: t.Any) -> None:
            ev.append(("before-signal", sender is s.app))

        def after_request_signal(sender: t.Any, response: t.Any) -> None:
            ev.append(("after-signal", response.get_data()))

        @s.app.before_request
        def before_request_handler() -> None:
            ev.append("before-handler")

        @s.app.after_request
        def after_request_handler(response: t.Any) -> t.Any:
            ev.append("after-handler")
            response.data = "stuff"
            return response

        def index() -> str:
            ev.append("handler")
            return "ignored anyway"

        s.route(s.app, "/", index)
        connect(s, "request_started", before_request_signal)
        connect(s, "request_finished", after_request_signal)

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert theirs[0].body == b"stuff"
    assert theirs[0].events == [
        ("before-signal", True),
        "before-handler",
        "handler",
        "after-handler",
        ("after-signal", b"stuff"),
    ]


class Boom(Exception):
    pass


def full_sequence_setup(s: Side, ev: list[t.Any]) -> None:
    """Every request signal and every hook, recording Flask's moments."""
    api = s.api

    def receiver(name: str) -> t.Callable[..., None]:
        def receive(sender: t.Any, **kwargs: t.Any) -> None:
            assert sender is s.app
            args = {
                k: (type(v).__name__ if k != "response" else v.status_code)
                for k, v in sorted(kwargs.items())
                if k != "_async_wrapper"
            }
            ev.append((name, args))

        receive.__name__ = name
        return receive

    for name in (
        "appcontext_pushed",
        "request_started",
        "got_request_exception",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ):
        connect(s, name, receiver(name))

    s.app.before_request(lambda: ev.append("before_request"))

    @s.app.after_request
    def after(response: t.Any) -> t.Any:
        ev.append("after_request")
        return response

    s.app.teardown_request(lambda exc: ev.append(("teardown_request", type(exc).__name__)))
    s.app.teardown_appcontext(lambda exc: ev.append(("teardown_appcontext", type(exc).__name__)))

    class Handled(Exception):
        pass

    @s.app.errorhandler(Handled)
    def handled(e: Exception) -> t.Any:
        ev.append("errorhandler")
        return "handled", 409

    @s.app.errorhandler(500)
    def server_error(e: t.Any) -> t.Any:
        ev.append(("errorhandler 500", type(e.original_exception).__name__))
        return "server error", 500

    def ok() -> str:
        ev.append("view")
        return "ok"

    def handled_view() -> t.Any:
        raise Handled()

    def boom() -> t.Any:
        raise Boom()

    s.route(s.app, "/", ok, endpoint="ok")
    s.route(s.app, "/handled", handled_view, endpoint="handled")
    s.route(s.app, "/boom", boom, endpoint="boom")
    s.route(s.app, "/abort", lambda: api.abort(418), endpoint="abort")


PUSHED = [("appcontext_pushed", {}), ("request_started", {}), "before_request"]


def popped(exc: str) -> list[t.Any]:
    return [
        ("teardown_request", exc),
        ("request_tearing_down", {"exc": exc}),
        ("teardown_appcontext", exc),
        ("appcontext_tearing_down", {"exc": exc}),
        ("appcontext_popped", {}),
    ]


async def test_the_whole_signal_sequence_in_flasks_order() -> None:
    paths = ["/", "/handled", "/boom", "/abort", "/missing", Req("/", method="POST")]
    theirs, ours = await run(full_sequence_setup, paths)
    for mine, flasks in zip(ours, theirs, strict=True):
        assert (mine.status, mine.events) == (flasks.status, flasks.events)
    # Intended difference: the bodies of 404/405 without a Flask handler are FastAPI's.
    assert [o.body for o in ours[:4]] == [o.body for o in theirs[:4]]
    finished = [("after_request"), ("request_finished", {"response": 200})]
    assert theirs[0].events == [*PUSHED, "view", *finished, *popped("NoneType")]
    assert theirs[1].events == [
        *PUSHED,
        "errorhandler",
        "after_request",
        ("request_finished", {"response": 409}),
        *popped("NoneType"),
    ]
    # Unhandled: got_request_exception first, then the 500 handler.
    assert theirs[2].events == [
        *PUSHED,
        ("got_request_exception", {"exception": "Boom"}),
        ("errorhandler 500", "Boom"),
        "after_request",
        ("request_finished", {"response": 500}),
        *popped("Boom"),
    ]
    # An HTTP error without a handler is handled (its own response): no exception signal.
    for o, status in zip(theirs[3:], (418, 404, 405), strict=True):
        assert o.events == [
            *PUSHED,
            "after_request",
            ("request_finished", {"response": status}),
            *popped("NoneType"),
        ]


async def test_request_exception_signal() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.route(s.app, "/", lambda: 1 // 0, endpoint="index")
        connect(s, "got_request_exception", lambda sender, exception: ev.append(exception))

    theirs, ours = await run(setup, ["/"])
    assert (ours[0].status, len(ours[0].events)) == (theirs[0].status, len(theirs[0].events))
    assert (theirs[0].status, len(theirs[0].events)) == (500, 1)
    assert isinstance(theirs[0].events[0], ZeroDivisionError)
    assert isinstance(ours[0].events[0], ZeroDivisionError)


async def test_appcontext_signals() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.route(s.app, "/", lambda: "Hello", endpoint="index")
        connect(s, "appcontext_pushed", lambda sender, **kw: ev.append("push"))
        connect(s, "appcontext_popped", lambda sender, **kw: ev.append("pop"))

    theirs, ours = await run(setup, ["/"])
    assert ours == theirs
    assert (theirs[0].body, theirs[0].events) == (b"Hello", ["push", "pop"])


async def test_flash_signal() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api

        def index() -> t.Any:
            api.flash("This is a flash message", category="notice")
            return api.redirect("/other")

        s.route(s.app, "/", index, endpoint="index")
        s.route(
            s.app,
            "/other",
            lambda: repr(api.get_flashed_messages(with_categories=True)),
            endpoint="other",
        )
        connect(
            s,
            "message_flashed",
            lambda sender, message, category: ev.append((message, category)),
        )

    theirs, ours = await run(setup, ["/", "/other"], config={"SECRET_KEY": "s"}, select=())
    assert ours == theirs
    assert theirs[0].events == [("This is a flash message", "notice")]
    assert theirs[0].status == 302
    # The message travelled in the session cookie to the next request.
    assert theirs[1].body == b"[('notice', 'This is a flash message')]"


async def test_appcontext_tearing_down_signal() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        s.route(s.app, "/", lambda: 1 // 0, endpoint="index")
        connect(s, "appcontext_tearing_down", lambda sender, exc: ev.append(type(exc).__name__))

    theirs, ours = await run(setup, ["/"])
    assert (ours[0].status, ours[0].events) == (theirs[0].status, theirs[0].events)
    assert (theirs[0].status, theirs[0].events) == (500, ["ZeroDivisionError"])


async def test_signals_of_a_blueprint_request() -> None:
    """A blueprint's hooks run between the same signals as the app's."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.before_request(lambda: ev.append("bp before"))
        bp.teardown_request(lambda exc: ev.append("bp teardown"))
        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.register(s.app, bp)
        connect(s, "request_started", lambda sender: ev.append("started"))
        connect(
            s,
            "request_finished",
            lambda sender, response: ev.append(("finished", response.status_code)),
        )
        connect(s, "request_tearing_down", lambda sender, exc: ev.append(("tearing_down", exc)))

    theirs, ours = await run(setup, ["/bp/x"])
    assert ours == theirs
    assert theirs[0].events == [
        "started",
        "bp before",
        ("finished", 200),
        "bp teardown",
        ("tearing_down", None),
    ]
