"""The Flask bridge: unmodified ``from flask import ...`` code on FastAPI.

``FlaskCompat(app, bridge_flask=True)`` (extra ``fastapi-flaskcompat[flask]``).

The mechanism is Flask's own context variables: every push of this app's
contexts also sets ``flask.globals._cv_app`` (and, for a request, Flask 3.1's
``_cv_request``) to this library's context object, so ``flask.g``, ``flask.request``,
``flask.current_app`` and ``flask.session`` — Werkzeug proxies over those
variables — resolve to this request's objects, whatever was imported when.
Nothing of the ``flask`` module is patched: a real ``flask.Flask`` app in
the same process pushes its own contexts into the same variables, as it
always does. Flask's helper functions then run against the ``FlaskCompat``
(``current_app.aborter``, ``.json``, ``.make_response``, ``.ensure_sync``,
``.jinja_env``, ``.url_for``...), which offers them.

For the ``isinstance`` checks extensions make, the app's request and
response classes become subclasses of ``flask.Request``/``flask.Response``
too, and blueprints instances of ``flask.Blueprint``.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .app import FlaskCompat

#: What of Flask's API works for unmodified modules through the bridge (SPEC:
#: "Running old ``from flask import ...`` modules untouched"). The migration
#: tool reports these names as "through the bridge".
BRIDGED = frozenset(
    {
        "g",
        "request",
        "current_app",
        "session",
        "has_request_context",
        "has_app_context",
        "after_this_request",
        "copy_current_request_context",
        "stream_with_context",
        "abort",
        "redirect",
        "url_for",
        "flash",
        "get_flashed_messages",
        "jsonify",
        "make_response",
        "render_template",
        "render_template_string",
        # Flask's own, not re-exported here: they only read what the bridge gives them.
        "json",
        "stream_template",
        "stream_template_string",
    }
)


def _flask() -> t.Any:
    try:
        import flask
        import flask.globals
    except ImportError:
        raise RuntimeError(
            "bridge_flask=True runs unmodified Flask code and needs Flask:"
            " install fastapi-flaskcompat[flask]."
        ) from None
    return flask


def install(app: FlaskCompat) -> None:
    """Bind Flask's context variables with this app's contexts, and give the app
    Flask's classes for ``isinstance`` checks."""
    flask = _flask()
    # Flask 3.1 has a request variable beside the app one; a Flask that merged
    # them (as 3.2 does) has only the app one, read for ``request`` too.
    app.flask_context_vars = (flask.globals._cv_app, getattr(flask.globals, "_cv_request", None))
    app.request_class = flask_class(app.request_class, flask.Request)
    app.response_class = flask_class(app.response_class, flask.Response)
    from . import blueprints
    from . import signals as _signals  # noqa: F401  # Flask's signals, sent from now on

    blueprints.use_base_class(flask.Blueprint)


_classes: dict[tuple[type, type], type] = {}


def flask_class(ours: type, theirs: type) -> type:
    """``ours`` that is also a ``theirs`` (our methods first), made once.

    Its instances pickle (Flask-Caching stores a view's response so) as
    ``ours`` and ``theirs``, which import by name where this class does not,
    and come back as this class, rebuilt in a process that never installed
    the bridge too."""
    if issubclass(ours, theirs):
        return ours
    cls = _classes.get((ours, theirs))
    if cls is None:
        cls = _classes[ours, theirs] = type(
            ours.__name__,
            (ours, theirs),
            {"__module__": ours.__module__, "__reduce_ex__": _reduce_ex},
        )
    return cls


def _reduce_ex(self: t.Any, protocol: t.SupportsIndex) -> t.Any:
    cls = type(self)
    reduced = object.__reduce_ex__(self, protocol)
    bases = cls.__bases__
    # A subclass of the bridge's class imports by its own name: pickled as usual.
    if not isinstance(reduced, tuple) or len(bases) != 2 or _classes.get(bases) is not cls:
        return reduced
    ours, theirs = bases
    # ``copyreg.__newobj__, (cls, *args), state, ...``: the class by its parts.
    _newobj, (_cls, *args), *rest = reduced
    return (_new_instance, (ours, theirs, *args), *rest)


def _new_instance(ours: type, theirs: type, *args: t.Any) -> t.Any:
    """Unpickling: an instance of ``flask_class(ours, theirs)``, its state set after."""
    cls = flask_class(ours, theirs)
    return cls.__new__(cls, *args)
