"""The legacy notes service's helpers, served two ways from these same files.

- ``examples/legacy_flask.py``: the original ``flask.Flask`` app;
- ``examples/legacy_service.py``: the FastAPI port, with
  ``FlaskCompat(app, bridge_flask=True)``.

The modules are byte-identical between the two, import lines included:
they say ``from flask import g, request, ...`` and ``from flask_login import
current_user, ...``, and under FastAPI the bridge makes Flask's names this
request's. Changing the import lines instead (``from fastapi_flaskcompat
import g, request``) is the other way to port a helper, but these use
Flask-Login, which itself imports from ``flask``: the bridge serves both.

``init_app`` is the usual Flask extension pattern: it receives the
``flask.Flask`` or the ``FlaskCompat`` and registers the same hooks.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException

from . import audit, auth, db, errors, notes


def init_app(app: Any) -> None:
    """App-wide set-up: login, request ids, audit trail, database, JSON errors."""
    auth.login_manager.init_app(app)
    app.before_request(audit.begin)
    app.after_request(audit.audit_log)
    app.teardown_appcontext(db.close_db)
    app.register_error_handler(HTTPException, errors.http_error)


def init_blueprint(bp: Any) -> None:
    """The notes blueprint's own hooks and error handlers (``flask.Blueprint``
    or ``fastapi_flaskcompat.Blueprint``): its routes are declared by each app."""
    bp.before_request(notes.require_login)
    bp.after_request(notes.private_headers)
    bp.register_error_handler(notes.NoteNotFound, notes.note_not_found)
    bp.register_error_handler(403, notes.forbidden)
