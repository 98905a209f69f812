"""Signals cost a request nothing while no receiver is connected, and a
receiver connected at any time fires. In a fresh interpreter: other tests
connect receivers, which turns signalling on for the process while connected."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import flask
    from fastapi import FastAPI
    from starlette.testclient import TestClient
    from fastapi_flaskcompat import FlaskCompat

    app = FastAPI()
    compat = FlaskCompat(app)

    @app.get("/")
    def index():
        return {"ok": True}

    client = TestClient(app)
    assert client.get("/").status_code == 200
    assert compat.signalling is False, "no receiver yet: nothing to check"

    seen = []
    def started(sender, **extra):
        seen.append(("started", sender is compat))
    def finished(sender, response, **extra):
        seen.append(("finished", response.status_code))
    flask.signals.request_started.connect(started)
    flask.signals.request_finished.connect(finished)
    assert client.get("/").status_code == 200
    assert compat.signalling is True
    assert seen == [("started", True), ("finished", 200)], seen
    flask.signals.request_started.disconnect(started)
    assert compat.signalling is True, "request_finished still has its receiver"
    flask.signals.request_finished.disconnect(finished)
    assert compat.signalling is False, "no receiver left: nothing to check"
    assert client.get("/").status_code == 200
    assert seen == [("started", True), ("finished", 200)], seen
    flask.signals.request_finished.connect(finished)
    assert client.get("/").status_code == 200
    assert seen[-1] == ("finished", 200) and len(seen) == 3, seen
    flask.signals.request_finished.disconnect(finished)

    # blinker keeps a receiver disconnected from its one sender in `receivers`,
    # and forgets a collected weak receiver without a word: neither may leave
    # requests on the signal path (each costs the response being held back).
    other = FlaskCompat(FastAPI())
    flask.signals.request_finished.connect(finished, compat)
    assert compat.has_receivers("request_finished")
    assert not other.has_receivers("request_finished"), "connected for another app"
    assert compat.signalling is True
    assert other.signalling is False, "a receiver for another app: nothing to check"
    flask.signals.request_finished.disconnect(finished, compat)
    assert not compat.has_receivers("request_finished"), "disconnected from its sender"
    assert compat.signalling is False, "disconnected from its sender: nothing to check"
    # An app made while a receiver listens to every sender checks from its first request.
    flask.signals.request_started.connect(started)
    assert FlaskCompat(FastAPI()).signalling is True
    flask.signals.request_started.disconnect(started)

    def gone(sender, **extra):
        seen.append("gone")
    flask.signals.request_tearing_down.connect(gone)
    assert compat.has_teardown_receivers()
    del gone
    import gc
    gc.collect()
    assert not compat.has_teardown_receivers(), "a collected weak receiver"
    assert client.get("/").status_code == 200
    assert len(seen) == 3, seen
    print("ok")
    """
)


def run_fresh(script: str) -> None:
    """Run ``script`` in a fresh interpreter; it prints "ok" when its asserts held."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_signals_start_at_the_first_receiver() -> None:
    run_fresh(SCRIPT)


THREADS_SCRIPT = textwrap.dedent(
    """
    import sys
    import threading

    import flask
    from fastapi import FastAPI
    from fastapi_flaskcompat import FlaskCompat
    import fastapi_flaskcompat.signals  # noqa: F401

    # An extension connects a receiver in one thread while apps are made in another
    # (a worker's start-up): connect() must not fail, and no app may miss the receiver.
    errors = []
    apps = []

    def make_apps():
        try:
            for _ in range(300):
                apps.append(FlaskCompat(FastAPI()))
        except Exception as exc:
            errors.append(repr(exc))

    def receiver(sender, **extra):
        pass

    sys.setswitchinterval(1e-5)
    maker = threading.Thread(target=make_apps)
    maker.start()
    try:
        while maker.is_alive():
            flask.signals.request_started.connect(receiver)
            flask.signals.request_started.disconnect(receiver)
    except Exception as exc:
        errors.append(repr(exc))
    maker.join()
    assert not errors, errors
    flask.signals.request_started.connect(receiver)
    assert all(app.signalling for app in apps), "an app missed the receiver"
    print("ok")
    """
)


def test_receivers_connected_while_another_thread_makes_apps() -> None:
    run_fresh(THREADS_SCRIPT)
