"""A Flask-WTF app: global CSRF protection and a FlaskForm read from the request."""

from __future__ import annotations

import typing as t

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, generate_csrf
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ..harness import Route, Scenario

csrf = CSRFProtect()


class ProfileForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=8)])
    age = IntegerField("age", validators=[DataRequired(), NumberRange(min=0, max=150)])


def init_app(app: t.Any) -> None:
    csrf.init_app(app)


def token() -> t.Any:
    """What a template's ``{{ csrf_token() }}`` would render."""
    return {"csrf_token": generate_csrf()}


def profile() -> t.Any:
    form = ProfileForm()
    if form.validate_on_submit():
        return {"saved": {"name": form.name.data, "age": form.age.data}}
    return {"errors": form.errors, "submitted": form.is_submitted(), "json": request.is_json}, 422


@csrf.exempt
def webhook() -> t.Any:
    return {"received": request.form.get("event")}


scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret"},
    init_app=init_app,
    routes=[
        Route("/token", "token", token),
        Route("/profile", "profile", profile, ("POST",)),
        Route("/webhook", "webhook", webhook, ("POST",)),
    ],
)
