"""Helpers from the old Flask service, kept as they were.

Each module's import line changed:

    from flask import g, request, current_app, abort   # before
    from fastapi_flaskcompat import g, request, current_app, abort   # after

and one argument: ``check_same_thread=False`` in ``get_db()``, because under
FastAPI one request's code runs on more than one thread (docs/migration.md).
tests/test_example.py runs these same modules under a real Flask app too.

``init_app`` is the usual Flask extension pattern; it receives the
``FlaskCompat`` instead of the ``Flask`` app and registers the same hooks.
"""

from __future__ import annotations

from typing import Any

from . import audit, auth, db


def init_app(app: Any) -> None:
    app.before_request(auth.load_user)
    app.after_request(audit.audit_log)
    app.teardown_appcontext(db.close_db)
