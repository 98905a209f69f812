"""Flask's signals, sent by ``FlaskCompat`` at Flask's moments, in Flask's order.

With Flask installed these *are* Flask's own signal objects, so a receiver
connected to ``flask.signals.request_started`` (an extension's, Sentry's)
fires for FastAPI requests too. Without Flask they are blinker signals of
the same names (extra ``fastapi-flaskcompat[signals]``). The sender is the
``FlaskCompat``; keyword arguments are Flask's (``response=``,
``exception=``, ``exc=``, ``message=``/``category=``).

Until this module is imported (it is, by ``FlaskCompat``, whenever Flask's
signals are loaded) and a receiver is connected to one of these signals, a
request sends nothing and checks nothing but one class attribute.
"""

from __future__ import annotations

import sys

try:
    from flask import signals as _flask_signals
except ImportError:  # pragma: no cover - exercised by the bare-install test
    _flask_signals = None  # type: ignore[assignment]

if _flask_signals is not None:
    template_rendered = _flask_signals.template_rendered
    before_render_template = _flask_signals.before_render_template
    request_started = _flask_signals.request_started
    request_finished = _flask_signals.request_finished
    request_tearing_down = _flask_signals.request_tearing_down
    got_request_exception = _flask_signals.got_request_exception
    appcontext_tearing_down = _flask_signals.appcontext_tearing_down
    appcontext_pushed = _flask_signals.appcontext_pushed
    appcontext_popped = _flask_signals.appcontext_popped
    message_flashed = _flask_signals.message_flashed
else:
    try:
        from blinker import Namespace
    except ImportError:
        raise ImportError(
            "fastapi_flaskcompat.signals needs blinker: pip install 'fastapi-flaskcompat[signals]'"
        ) from None
    _signals = Namespace()
    template_rendered = _signals.signal("template-rendered")
    before_render_template = _signals.signal("before-render-template")
    request_started = _signals.signal("request-started")
    request_finished = _signals.signal("request-finished")
    request_tearing_down = _signals.signal("request-tearing-down")
    got_request_exception = _signals.signal("got-request-exception")
    appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
    appcontext_pushed = _signals.signal("appcontext-pushed")
    appcontext_popped = _signals.signal("appcontext-popped")
    message_flashed = _signals.signal("message-flashed")

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

from . import app as _app  # after the signals exist

_SIGNALS = tuple(globals()[name] for name in __all__)

_app.activate_signals(sys.modules[__name__], _SIGNALS)


def _receivers_changed(signal: object, **kwargs: object) -> None:
    _app.refresh_signalling()


# An app's requests check for receivers only while one would be called for it
# (Flask is imported by many processes that never connect one; blinker keeps a
# receiver disconnected from its one sender in `receivers`): otherwise a
# request pays one attribute read for signals. A weakly connected receiver
# that is collected leaves the checks on (blinker does not announce it): only
# slower, never a missed signal.
for _signal in _SIGNALS:
    _signal.receiver_connected.connect(_receivers_changed)
    _signal.receiver_disconnected.connect(_receivers_changed)
_receivers_changed(None)
