"""A Flask-SeaSurf app: CSRF tokens in the session and a cookie, checked in before_request."""

from __future__ import annotations

import time
import typing as t

from flask import g, render_template_string, request, session
from flask_seasurf import SeaSurf

from ..harness import Route, Scenario

csrf = SeaSurf()


def init_app(app: t.Any) -> None:
    csrf.init_app(app)


def form() -> t.Any:
    """A page rendering the token into a form, as SeaSurf's docs show."""
    return render_template_string(
        '<form method="post"><input type="hidden" name="_csrf_token"'
        ' value="{{ csrf_token() }}"></form>'
    )


def home() -> t.Any:
    return {"page": "home"}


def submit() -> t.Any:
    return {"method": request.method, "name": request.values.get("name")}


def slow_submit() -> t.Any:
    """Lets other requests run, then says whose token it checked."""
    time.sleep(0.005)
    return {"token": g.seasurf_csrf_token == session.get("_csrf_token")}


@csrf.exempt
def webhook() -> t.Any:
    return {"exempt": True, "event": request.form.get("event")}


@csrf.exempt
def manual() -> t.Any:
    """Exempt, but validates itself unless the caller says it is a machine."""
    if request.headers.get("X-Machine") != "yes":
        csrf.validate()
    return {"validated": request.headers.get("X-Machine") != "yes"}


def rotate() -> t.Any:
    csrf.generate_new_token()
    return {"rotated": True}


scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret"},
    init_app=init_app,
    routes=[
        Route("/form", "form", form),
        Route("/home", "home", home),
        Route("/submit", "submit", submit, ("POST", "PUT", "DELETE")),
        Route("/slow-submit", "slow_submit", slow_submit, ("POST",)),
        Route("/webhook", "webhook", webhook, ("POST",)),
        Route("/manual", "manual", manual, ("POST",)),
        Route("/rotate", "rotate", rotate, ("POST",)),
    ],
)
