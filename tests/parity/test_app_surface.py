"""The app object's own attributes, under Flask and FlaskCompat: Flask's
``ConfigAttribute`` setters, and attribute errors that say where they looked."""

from __future__ import annotations

import typing as t
from datetime import timedelta

import flask
import flask.ctx
import httpx
import pytest
from fastapi import FastAPI

import fastapi_flaskcompat
from fastapi_flaskcompat import FlaskCompat
from fastapi_flaskcompat import ctx as compat_ctx

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


def _custom_classes(api: t.Any) -> tuple[type, type]:
    """A request class with a legacy property and a ``g`` class with a helper,
    on each framework's own bases."""
    globals_base = flask.ctx._AppCtxGlobals if api is flask else compat_ctx._AppCtxGlobals

    class PagedRequest(api.Request):  # type: ignore[name-defined,misc]
        @property
        def page(self) -> int:
            return int(self.args.get("page", "1"))

    class CountingGlobals(globals_base):  # type: ignore[valid-type,misc]
        def bump(self) -> int:
            self.count = self.get("count", 0) + 1
            return int(self.count)

    return PagedRequest, CountingGlobals


def _paged_view(api: t.Any) -> t.Callable[[], str]:
    def view() -> str:
        api.g.bump()
        return f"{api.request.__class__.__name__} page={api.request.page} count={api.g.bump()}"

    return view


def _serve_flask(app: flask.Flask) -> str:
    app.add_url_rule("/", "view", _paged_view(flask))
    return app.test_client().get("/?page=3").get_data(as_text=True)


async def _serve_compat(compat: FlaskCompat) -> str:
    view = _paged_view(fastapi_flaskcompat)
    fastapi_app = compat.fastapi_app
    assert isinstance(fastapi_app, FastAPI)
    fastapi_app.add_api_route("/", lambda: fastapi_flaskcompat.make_response(view()))
    transport = httpx.ASGITransport(app=fastapi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return (await client.get("/?page=3")).text


@pytest.mark.anyio
async def test_request_and_g_classes_set_on_a_subclass() -> None:
    """Flask's extension point: a subclass names its own request and ``g`` classes."""
    flask_request, flask_globals = _custom_classes(flask)
    our_request, our_globals = _custom_classes(fastapi_flaskcompat)

    class PagedFlask(flask.Flask):
        request_class = flask_request
        app_ctx_globals_class = flask_globals

    class PagedCompat(FlaskCompat):
        request_class = our_request
        app_ctx_globals_class = our_globals

    theirs = _serve_flask(PagedFlask("parity"))
    ours = await _serve_compat(PagedCompat(FastAPI()))
    assert ours == theirs == "PagedRequest page=3 count=2"


@pytest.mark.anyio
async def test_request_and_g_classes_set_on_the_app() -> None:
    """The same, assigned on an app already made (as extensions and set-up code do)."""
    flask_app = flask.Flask("parity")
    flask_app.request_class, flask_app.app_ctx_globals_class = _custom_classes(flask)
    compat = FlaskCompat(FastAPI())
    compat.request_class, compat.app_ctx_globals_class = _custom_classes(fastapi_flaskcompat)
    theirs = _serve_flask(flask_app)
    ours = await _serve_compat(compat)
    assert ours == theirs == "PagedRequest page=3 count=2"
