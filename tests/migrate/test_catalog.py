"""The "covered" status follows what the library provides, read from its code."""

from __future__ import annotations

import sys
import types

import pytest
from fastapi import APIRouter

import fastapi_flaskcompat
from fastapi_flaskcompat import FlaskCompat
from fastapi_flaskcompat.migrate import catalog
from fastapi_flaskcompat.migrate.catalog import (
    BRIDGE,
    BRIDGED,
    CAVEAT,
    COVERED,
    FLASK_TOP_LEVEL,
    MISSING,
    SIGNALS,
    Coverage,
)
from fastapi_flaskcompat.migrate.scan import scan_source


def test_flask_names_are_covered_exactly_when_the_package_exports_them() -> None:
    coverage = Coverage.from_library()
    exported = set(fastapi_flaskcompat.__all__)
    has_signals = coverage.signals is not None
    for name in FLASK_TOP_LEVEL:
        status = coverage.flask_name(f"flask.{name}").status
        if name in exported or (name in SIGNALS and has_signals and name in coverage.signals):
            assert status in (COVERED, CAVEAT), name
        elif name in BRIDGED:
            assert status == BRIDGE, name
        else:
            assert status == MISSING, name


def test_app_attributes_follow_flaskcompat() -> None:
    from fastapi_flaskcompat.app import ABSENT

    coverage = Coverage.from_library()
    compat = FlaskCompat()
    for attr in catalog.APP_API:
        # Names FlaskCompat defines only to say they are absent are not provided.
        provided = (attr in dir(FlaskCompat) or attr in vars(compat)) and attr not in ABSENT
        status = coverage.app_attribute(attr, "app").status
        assert (status in (COVERED, CAVEAT)) == provided, attr


def test_blueprint_hooks_follow_the_blueprint_class() -> None:
    coverage = Coverage.from_library()
    blueprint = getattr(fastapi_flaskcompat, "Blueprint", None)
    for attr in ("before_app_request", "before_request", "route", "app_errorhandler"):
        provided = blueprint is not None and hasattr(blueprint, attr)
        status = coverage.app_attribute(attr, "blueprint").status
        assert (status in (COVERED, CAVEAT)) == provided, attr


def test_request_attributes_follow_the_request_class() -> None:
    coverage = Coverage.from_library()
    compat = FlaskCompat()
    request = compat.test_request_context("/").request
    for attr in ("method", "headers", "args", "form", "get_json", "no_such_thing"):
        status = coverage.request_attribute(attr).status
        assert (status != MISSING) == hasattr(request, attr), attr


def test_a_new_export_becomes_covered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The day ``Blueprint`` is exported, the scan says so, with no change to the tool."""
    source = (
        "from flask import Blueprint\n"
        "bp = Blueprint('auth', __name__)\n"
        "@bp.before_app_request\n"
        "def load(): ...\n"
    )
    without = [n for n in fastapi_flaskcompat.__all__ if n != "Blueprint"]
    monkeypatch.setattr(fastapi_flaskcompat, "__all__", without)
    before = {u.name: u.status for u in scan_source(source, Coverage.from_library()).uses}
    assert before == {"flask.Blueprint": MISSING, "blueprint.before_app_request": MISSING}

    class Blueprint(APIRouter):
        def __init__(self, name: str, import_name: str, **kw: object) -> None:
            super().__init__()

        def before_app_request(self, f: object) -> object:
            return f

    monkeypatch.setattr(fastapi_flaskcompat, "Blueprint", Blueprint, raising=False)
    monkeypatch.setattr(fastapi_flaskcompat, "__all__", [*without, "Blueprint"])
    coverage = Coverage.from_library()
    after = {u.name: u.status for u in scan_source(source, coverage).uses}
    assert after == {"flask.Blueprint": COVERED, "blueprint.before_app_request": COVERED}
    assert coverage.target("flask.Blueprint") == "fastapi_flaskcompat"


def test_a_signals_module_makes_signals_covered(monkeypatch: pytest.MonkeyPatch) -> None:
    source = "from flask import request_started, template_rendered\n"
    # Whatever the library has today: first without signals, then with a module.
    without = [n for n in fastapi_flaskcompat.__all__ if n not in SIGNALS]
    monkeypatch.setattr(fastapi_flaskcompat, "__all__", without)
    monkeypatch.setattr(catalog.importlib.util, "find_spec", lambda name: None)
    statuses = {u.name: u.status for u in scan_source(source, Coverage.from_library()).uses}
    assert statuses == {"flask.request_started": MISSING, "flask.template_rendered": MISSING}

    module = types.ModuleType("fastapi_flaskcompat.signals")
    module.request_started = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fastapi_flaskcompat.signals", module)
    monkeypatch.setattr(
        catalog.importlib.util, "find_spec", lambda name: object() if "signals" in name else None
    )
    coverage = Coverage.from_library()
    statuses = {u.name: u.status for u in scan_source(source, coverage).uses}
    assert statuses == {"flask.request_started": COVERED, "flask.template_rendered": MISSING}
    assert coverage.target("flask.request_started") == "fastapi_flaskcompat.signals"
    assert coverage.target("flask.signals.request_started") == "fastapi_flaskcompat.signals"


def test_a_new_flaskcompat_method_becomes_covered(monkeypatch: pytest.MonkeyPatch) -> None:
    source = "from flask import Flask\napp = Flask(__name__)\napp.errorhandler(404)(print)\n"
    names = {u.name: u.status for u in scan_source(source, Coverage.from_library()).uses}
    assert names["app.errorhandler(404)"] == (
        COVERED if hasattr(FlaskCompat, "errorhandler") else MISSING
    )
    monkeypatch.setattr(FlaskCompat, "errorhandler", lambda self, code: None, raising=False)
    names = {u.name: u.status for u in scan_source(source, Coverage.from_library()).uses}
    assert names["app.errorhandler(404)"] == COVERED


def test_bridge_note_follows_the_bridge_flask_option(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name only the bridge serves (Flask's own function, not re-exported here).
    name = "flask." + min(BRIDGED - set(fastapi_flaskcompat.__all__))
    note = Coverage.from_library().flask_name(name).note
    import inspect

    has_bridge = "bridge_flask" in inspect.signature(FlaskCompat.__init__).parameters
    assert ("no bridge_flask yet" in note) == (not has_bridge)

    original = FlaskCompat.__init__

    def with_bridge(self: FlaskCompat, app: object = None, *, bridge_flask: bool = False) -> None:
        original(self)

    monkeypatch.setattr(FlaskCompat, "__init__", with_bridge)
    verdict = Coverage.from_library().flask_name(name)
    assert verdict.status == BRIDGE and "no bridge_flask yet" not in verdict.note


def test_caveats_and_advice_name_real_flask_names() -> None:
    # A typo in the catalog would silently never match.
    for key in [*catalog.CAVEATS, *catalog.ADVICE]:
        kind, _, rest = key.partition(".")
        if kind == "flask":
            name = rest.split(".")[-1]
            assert (
                rest.split(".")[0] in catalog.FLASK_SUBMODULES
                or name in FLASK_TOP_LEVEL
                or (name == "*")
            ), key
        elif kind == "app":
            assert rest in catalog.APP_API | catalog.BLUEPRINT_API, key
        else:
            assert kind == "request", key
    assert BRIDGED <= FLASK_TOP_LEVEL
