"""The app object's own attributes, under Flask and FlaskCompat: Flask's
``ConfigAttribute`` setters, and attribute errors that say where they looked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI

from fastapi_flaskcompat import FlaskCompat

from .harness import both_apps


def test_config_attributes_read_and_write_config() -> None:
    results = []
    for _, app in both_apps():
        app.secret_key = "s3cret"
        app.testing = True
        app.permanent_session_lifetime = 3600  # seconds, converted on read
        results.append(
            (
                app.secret_key,
                app.config["SECRET_KEY"],
                app.testing,
                app.config["TESTING"],
                app.permanent_session_lifetime,
                app.config["PERMANENT_SESSION_LIFETIME"],
            )
        )
    theirs, ours = results
    assert ours == theirs
    assert theirs == ("s3cret", "s3cret", True, True, timedelta(hours=1), 3600)


def test_unknown_attribute_names_the_app_class() -> None:
    messages: list[str] = []
    for _, app in both_apps():
        with pytest.raises(AttributeError) as info:
            app.confg  # noqa: B018  # a typo of config
        messages.append(str(info.value))
    theirs, ours = messages
    assert theirs == "'Flask' object has no attribute 'confg'"
    assert ours == "'FlaskCompat' object has no attribute 'confg'"


@pytest.mark.parametrize("name", ["url_map", "cli", "route", "test_client"])
def test_deliberately_absent_flask_surface_says_what_to_use(name: str) -> None:
    compat = FlaskCompat(FastAPI())
    with pytest.raises(AttributeError, match=f"FlaskCompat has no '{name}': "):
        getattr(compat, name)


def test_the_fastapi_app_is_one_attribute_away() -> None:
    app = FastAPI(title="t")
    compat = FlaskCompat(app)
    assert compat.fastapi_app is app
    assert compat.name == "t"
    # FastAPI's own attributes are not FlaskCompat's (no silent fall-through).
    with pytest.raises(AttributeError, match="'FlaskCompat' object has no attribute 'state'"):
        compat.state  # noqa: B018
