"""Differential tests: ``fastapi_flaskcompat.config`` against ``flask.config``.

Every scenario runs on both implementations with identical inputs. The
``both`` helper compares return value, resulting contents and any exception
(type, message, errno), and each test also asserts concrete expected values
so that a shared bug cannot pass unnoticed.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import textwrap
import tomllib
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import flask.config
import pytest
from werkzeug.utils import ImportStringError

import fastapi_flaskcompat.config as compat_config
from fastapi_flaskcompat.config import Config, ConfigAttribute

IMPLS = [
    pytest.param(flask.Config, id="flask"),
    pytest.param(Config, id="compat"),
]

Action = Callable[[Any], Any]


@dataclass(frozen=True)
class Outcome:
    """What one implementation did with one scenario."""

    rv: Any
    data: dict[str, Any]
    exc_type: type[BaseException] | None = None
    exc_msg: str | None = None
    exc_errno: int | None = None


def _run(cls: type[Any], root: Any, action: Action, defaults: Any) -> Outcome:
    cfg = cls(root, defaults)
    try:
        rv = action(cfg)
    except Exception as exc:
        return Outcome(
            rv=None,
            data=dict(cfg),
            exc_type=type(exc),
            exc_msg=str(exc),
            exc_errno=getattr(exc, "errno", None),
        )
    return Outcome(rv=rv, data=dict(cfg))


def both(root: Any, action: Action, defaults: dict[str, Any] | None = None) -> Outcome:
    """Run ``action`` on a fresh Flask config and a fresh compat config; they must agree."""
    theirs = _run(flask.Config, root, action, defaults)
    ours = _run(Config, root, action, defaults)
    assert ours == theirs
    return ours


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Drop any ambient FLASK_* variables so default-prefix tests are deterministic."""
    for key in list(os.environ):
        if key.startswith("FLASK_"):
            monkeypatch.delenv(key)
    yield monkeypatch


# --- construction and repr ---------------------------------------------------


@pytest.mark.parametrize("cls", IMPLS)
def test_init_defaults_root_path_and_copy(cls: type[Any], tmp_path: Path) -> None:
    defaults = {"A": 1, "lower": 2}
    cfg = cls(tmp_path, defaults)
    assert dict in type(cfg).__mro__
    # Defaults are copied, unfiltered, and root_path is kept as given.
    assert dict(cfg) == {"A": 1, "lower": 2}
    assert cfg.root_path is tmp_path
    defaults["A"] = 99
    assert cfg["A"] == 1
    assert dict(cls("x")) == {}
    assert dict(cls("x", {})) == {}


def test_repr_matches_including_subclass_name() -> None:
    assert repr(Config("/", {"A": 1})) == repr(flask.Config("/", {"A": 1})) == "<Config {'A': 1}>"

    class Mine(Config):
        pass

    class Theirs(flask.Config):
        pass

    Mine.__name__ = Theirs.__name__ = "Settings"
    assert repr(Mine("/", {"B": [1]})) == repr(Theirs("/", {"B": [1]})) == "<Settings {'B': [1]}>"


# --- from_mapping -----------------------------------------------------------


def test_from_mapping_filters_and_kwargs_override() -> None:
    out = both(
        "/",
        lambda c: c.from_mapping({"A": 1, "b": 2, "Mixed": 3, "C_1": 4}, A=10, d=5, E=6),
        defaults={"KEEP": 0},
    )
    assert out.rv is True
    assert out.data == {"KEEP": 0, "A": 10, "C_1": 4, "E": 6}


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (None, {}),
        ({}, {}),
        (types.MappingProxyType({"X": 1, "y": 2}), {"X": 1}),
        ([("Z", 3), ("z", 4)], {"Z": 3}),  # dict.update accepts pairs, so Flask does too
    ],
    ids=["none", "empty", "mappingproxy", "pairs"],
)
def test_from_mapping_inputs(mapping: Any, expected: dict[str, Any]) -> None:
    out = both("/", lambda c: c.from_mapping(mapping))
    assert out.rv is True
    assert out.data == expected


# --- from_object ------------------------------------------------------------


class _Base:
    INHERITED = "base"
    OVERRIDDEN = "base"


class _Settings(_Base):
    DEBUG = True
    SECRET_KEY = "s3cret"
    OVERRIDDEN = "child"
    _PRIVATE_UPPER = "underscore counts as upper"
    lower = "skipped"
    Mixed = "skipped"
    N1 = 1

    @property
    def COMPUTED(self) -> str:
        return "from property"


def test_from_object_class_takes_upper_and_inherited() -> None:
    out = both("/", lambda c: c.from_object(_Settings))
    assert out.rv is None
    assert out.data["DEBUG"] is True
    assert out.data["SECRET_KEY"] == "s3cret"
    assert out.data["INHERITED"] == "base"
    assert out.data["OVERRIDDEN"] == "child"
    assert out.data["_PRIVATE_UPPER"] == "underscore counts as upper"
    assert out.data["N1"] == 1
    assert "lower" not in out.data
    assert "Mixed" not in out.data
    # On the class, a property stays a property object.
    assert isinstance(out.data["COMPUTED"], property)


def test_from_object_instance_evaluates_properties() -> None:
    out = both("/", lambda c: c.from_object(_Settings()))
    assert out.data["COMPUTED"] == "from property"


def test_from_object_dict_loads_nothing() -> None:
    out = both("/", lambda c: c.from_object({"A": 1}), defaults={"D": 0})
    assert out.data == {"D": 0}


@pytest.fixture
def settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module ``cfgmod_<unique>`` with a class inside."""
    name = f"cfgmod_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            HOST = "localhost"
            PORT = 8080
            helper = "not config"

            class Prod:
                HOST = "prod.example"
                DEBUG = False
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    return name


def test_from_object_import_string_module(settings_module: str) -> None:
    out = both("/", lambda c: c.from_object(settings_module))
    assert out.data == {"HOST": "localhost", "PORT": 8080}


@pytest.mark.parametrize("sep", [".", ":"])
def test_from_object_import_string_attribute(settings_module: str, sep: str) -> None:
    out = both("/", lambda c: c.from_object(f"{settings_module}{sep}Prod"))
    assert out.data == {"HOST": "prod.example", "DEBUG": False}


def test_from_object_bad_import_string(settings_module: str) -> None:
    out = both("/", lambda c: c.from_object(f"{settings_module}.Missing"))
    assert out.exc_type is ImportStringError
    assert out.exc_msg is not None and "Missing" in out.exc_msg
    out = both("/", lambda c: c.from_object("no_such_module_for_config_tests"))
    assert out.exc_type is ImportStringError


# --- from_pyfile ------------------------------------------------------------

PYFILE = """
import os
DEBUG = True
NAME = "app"
HERE = __file__
temp = "lowercase not loaded"
DERIVED = NAME.upper() + os.sep
"""


def test_from_pyfile_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "settings.cfg").write_text(PYFILE)
    out = both(str(tmp_path), lambda c: c.from_pyfile("settings.cfg"), defaults={"OLD": 1})
    assert out.rv is True
    assert out.data == {
        "OLD": 1,
        "DEBUG": True,
        "NAME": "app",
        "HERE": os.path.join(str(tmp_path), "settings.cfg"),
        "DERIVED": "APP" + os.sep,
    }


def test_from_pyfile_absolute_and_pathlike(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "abs.py"
    target.parent.mkdir()
    target.write_text("VALUE = 42\n")
    # An absolute filename wins over root_path (os.path.join semantics).
    out = both("/somewhere/else", lambda c: c.from_pyfile(target))
    assert out.data == {"VALUE": 42}
    out = both(tmp_path, lambda c: c.from_pyfile(Path("sub") / "abs.py"))
    assert out.data == {"VALUE": 42}


def test_from_pyfile_missing_raises_with_prefixed_strerror(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    out = both(str(tmp_path), lambda c: c.from_pyfile("nope.py"))
    assert out.exc_type is FileNotFoundError
    assert out.exc_errno == errno.ENOENT
    assert out.exc_msg == (
        f"[Errno 2] Unable to load configuration file (No such file or directory): '{missing}'"
    )


@pytest.mark.parametrize("kind", ["missing", "directory", "not_a_directory"])
def test_from_pyfile_silent(tmp_path: Path, kind: str) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("X = 1\n")
    name = {"missing": "nope.py", "directory": "adir", "not_a_directory": "afile/x.py"}[kind]
    out = both(str(tmp_path), lambda c: c.from_pyfile(name, silent=True), defaults={"D": 1})
    assert out.rv is False
    assert out.data == {"D": 1}


@pytest.mark.parametrize(
    ("name", "exc_type", "code"),
    [
        ("adir", IsADirectoryError, errno.EISDIR),
        ("afile/x.py", NotADirectoryError, errno.ENOTDIR),
    ],
)
def test_from_pyfile_not_silent_errors(
    tmp_path: Path, name: str, exc_type: type[OSError], code: int
) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("X = 1\n")
    out = both(str(tmp_path), lambda c: c.from_pyfile(name))
    assert out.exc_type is exc_type
    assert out.exc_errno == code
    assert out.exc_msg is not None
    assert "Unable to load configuration file (" in out.exc_msg


def test_from_pyfile_other_oserror_not_silenced(tmp_path: Path) -> None:
    # ENAMETOOLONG is not in the silenced set, even with silent=True.
    out = both(str(tmp_path), lambda c: c.from_pyfile("x" * 300 + ".py", silent=True))
    assert out.exc_type is OSError
    assert out.exc_errno == errno.ENAMETOOLONG
    assert out.exc_msg is not None
    assert out.exc_msg.startswith("[Errno 36] Unable to load configuration file (File name too")


def test_from_pyfile_code_errors_propagate(tmp_path: Path) -> None:
    (tmp_path / "syntax.py").write_text("A = (\n")
    (tmp_path / "boom.py").write_text("A = 1\nraise ValueError('boom')\n")
    out = both(str(tmp_path), lambda c: c.from_pyfile("syntax.py", silent=True))
    assert out.exc_type is SyntaxError
    out = both(str(tmp_path), lambda c: c.from_pyfile("boom.py", silent=True))
    assert out.exc_type is ValueError
    assert out.exc_msg == "boom"
    assert out.data == {}  # nothing is applied when the file fails half-way


def test_from_pyfile_preserves_original_exception_object(tmp_path: Path) -> None:
    # Flask mutates and re-raises the same OSError; filename must survive.
    for cls in (flask.Config, Config):
        with pytest.raises(FileNotFoundError) as info:
            cls(str(tmp_path)).from_pyfile("gone.py")
        assert info.value.filename == str(tmp_path / "gone.py")
        assert (
            info.value.strerror == "Unable to load configuration file (No such file or directory)"
        )


# --- from_envvar ------------------------------------------------------------

ENV_MSG = (
    "The environment variable 'APP_SETTINGS' is not set and as such configuration could"
    " not be loaded. Set this variable and make it point to a configuration file"
)


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_from_envvar_unset_or_empty(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("APP_SETTINGS", raising=False)
    else:
        monkeypatch.setenv("APP_SETTINGS", value)
    out = both("/", lambda c: c.from_envvar("APP_SETTINGS"))
    assert out.exc_type is RuntimeError
    assert out.exc_msg == ENV_MSG
    out = both("/", lambda c: c.from_envvar("APP_SETTINGS", silent=True))
    assert out.rv is False
    assert out.exc_type is None


def test_from_envvar_loads_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "env.cfg").write_text("FROM_ENV = 'yes'\nlower = 1\n")
    # A relative path in the variable is resolved against root_path.
    monkeypatch.setenv("APP_SETTINGS", "env.cfg")
    out = both(str(tmp_path), lambda c: c.from_envvar("APP_SETTINGS"))
    assert out.rv is True
    assert out.data == {"FROM_ENV": "yes"}


def test_from_envvar_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SETTINGS", str(tmp_path / "missing.cfg"))
    out = both(str(tmp_path), lambda c: c.from_envvar("APP_SETTINGS", silent=True))
    assert out.rv is False
    out = both(str(tmp_path), lambda c: c.from_envvar("APP_SETTINGS"))
    assert out.exc_type is FileNotFoundError
    assert out.exc_msg is not None
    assert "Unable to load configuration file (No such file or directory)" in out.exc_msg


# --- from_file --------------------------------------------------------------


def test_from_file_json_text(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"A": [1, 2], "b": 3, "NESTED": {"x": 1}}))
    out = both(str(tmp_path), lambda c: c.from_file("c.json", load=json.load))
    assert out.rv is True
    assert out.data == {"A": [1, 2], "NESTED": {"x": 1}}


def test_from_file_toml_binary(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('NAME = "t"\nPORT = 1\nlow = 2\n')
    out = both(tmp_path, lambda c: c.from_file("c.toml", load=tomllib.load, text=False))
    assert out.data == {"NAME": "t", "PORT": 1}
    # tomllib refuses text handles: proves text=True really opens in text mode.
    out = both(tmp_path, lambda c: c.from_file("c.toml", load=tomllib.load))
    assert out.exc_type is TypeError


def test_from_file_passes_handle_mode(tmp_path: Path) -> None:
    (tmp_path / "raw").write_text("x")
    seen: list[type[Any]] = []

    def load(fh: Any) -> dict[str, Any]:
        seen.append(type(fh.read()))
        return {"OK": True}

    both(str(tmp_path), lambda c: c.from_file("raw", load=load))
    both(str(tmp_path), lambda c: c.from_file("raw", load=load, text=False))
    assert seen == [str, str, bytes, bytes]


@pytest.mark.parametrize("name", ["nope.json", "adir"])
def test_from_file_silent(tmp_path: Path, name: str) -> None:
    (tmp_path / "adir").mkdir()
    out = both(str(tmp_path), lambda c: c.from_file(name, load=json.load, silent=True))
    assert out.rv is False
    assert out.data == {}


def test_from_file_silent_does_not_cover_enotdir(tmp_path: Path) -> None:
    # Unlike from_pyfile, Flask's from_file does not forgive ENOTDIR.
    (tmp_path / "afile").write_text("{}")
    out = both(str(tmp_path), lambda c: c.from_file("afile/x.json", load=json.load, silent=True))
    assert out.exc_type is NotADirectoryError
    assert out.exc_msg == (
        "[Errno 20] Unable to load configuration file (Not a directory): "
        f"'{tmp_path / 'afile' / 'x.json'}'"
    )


def test_from_file_missing_not_silent(tmp_path: Path) -> None:
    out = both(str(tmp_path), lambda c: c.from_file("nope.json", load=json.load))
    assert out.exc_type is FileNotFoundError
    assert out.exc_msg == (
        "[Errno 2] Unable to load configuration file (No such file or directory): "
        f"'{tmp_path / 'nope.json'}'"
    )


def test_from_file_loader_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    out = both(str(tmp_path), lambda c: c.from_file("bad.json", load=json.load, silent=True))
    assert out.exc_type is json.JSONDecodeError

    def oserror_load(fh: Any) -> dict[str, Any]:
        raise OSError(errno.ENOENT, "gone inside loader")

    # An OSError from the loader is inside the same try: silenced or rewritten too.
    out = both(str(tmp_path), lambda c: c.from_file("bad.json", load=oserror_load, silent=True))
    assert out.rv is False
    out = both(str(tmp_path), lambda c: c.from_file("bad.json", load=oserror_load))
    assert out.exc_msg == "[Errno 2] Unable to load configuration file (gone inside loader)"


# --- from_prefixed_env ------------------------------------------------------


def test_from_prefixed_env_json_values(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FLASK_INT", "1")
    clean_env.setenv("FLASK_BOOL", "true")
    clean_env.setenv("FLASK_NULL", "null")
    clean_env.setenv("FLASK_LIST", '[1, "a"]')
    clean_env.setenv("FLASK_DICT", '{"k": {"n": 2}}')
    clean_env.setenv("FLASK_STR", "plain words")
    clean_env.setenv("FLASK_QUOTED", '"quoted"')
    clean_env.setenv("FLASK_lower", "1")
    clean_env.setenv("NOTFLASK_X", "1")
    clean_env.setenv("FLASKX", "1")
    out = both("/", lambda c: c.from_prefixed_env(), defaults={"INT": 0})
    assert out.rv is True
    assert out.data == {
        "INT": 1,
        "BOOL": True,
        "NULL": None,
        "LIST": [1, "a"],
        "DICT": {"k": {"n": 2}},
        "STR": "plain words",
        "QUOTED": "quoted",
        "lower": 1,  # no uppercase filter here
    }


def test_from_prefixed_env_nested(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("APP_DB__HOST", "db.local")
    clean_env.setenv("APP_DB__PORT", "5432")
    clean_env.setenv("APP_DB__OPTS__SSL", "true")
    clean_env.setenv("APP_NEW__DEEP__KEY", '{"a": [1]}')
    clean_env.setenv("APP_EXIST__ADDED", "2")
    out = both(
        "/",
        lambda c: c.from_prefixed_env("APP"),
        defaults={"EXIST": {"KEPT": 1}, "DB": {"USER": "u"}},
    )
    assert out.data == {
        "DB": {"USER": "u", "HOST": "db.local", "PORT": 5432, "OPTS": {"SSL": True}},
        "NEW": {"DEEP": {"KEY": {"a": [1]}}},
        "EXIST": {"KEPT": 1, "ADDED": 2},
    }


def test_from_prefixed_env_nested_into_scalar_fails(clean_env: pytest.MonkeyPatch) -> None:
    # Sorted order: APP_A=1 is set before APP_A__B, which then indexes into an int.
    clean_env.setenv("APP_A", "1")
    clean_env.setenv("APP_A__B", "2")
    out = both("/", lambda c: c.from_prefixed_env("APP"))
    assert out.exc_type is TypeError
    assert out.exc_msg == "'int' object does not support item assignment"
    assert out.data == {"A": 1}


def test_from_prefixed_env_sorted_order(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("APP_X__Y", "2")
    clean_env.setenv("APP_X", '{"Z": 1}')
    out = both("/", lambda c: c.from_prefixed_env("APP"))
    # "APP_X" < "APP_X__Y": the whole dict is set first, then Y is added to it.
    assert out.data == {"X": {"Z": 1, "Y": 2}}


def test_from_prefixed_env_custom_loads(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MY_NUM", "7")
    clean_env.setenv("MY_BAD", "oops")
    clean_env.setenv("MY_N__M", "3")

    def loads(value: str) -> Any:
        if value == "oops":
            raise KeyError(value)  # any exception type falls back to the string
        return int(value) * 2

    out = both("/", lambda c: c.from_prefixed_env("MY", loads=loads))
    assert out.data == {"NUM": 14, "BAD": "oops", "N": {"M": 6}}


def test_from_prefixed_env_no_match(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OTHER_A", "1")
    out = both("/", lambda c: c.from_prefixed_env("UNUSED_PREFIX_QQ"), defaults={"A": 0})
    assert out.rv is True
    assert out.data == {"A": 0}


def test_from_prefixed_env_loads_is_keyword_only() -> None:
    out = both("/", lambda c: c.from_prefixed_env("P", json.loads))
    assert out.exc_type is TypeError


# --- get_namespace ----------------------------------------------------------

NS_DATA = {
    "IMAGE_STORE_TYPE": "fs",
    "IMAGE_STORE_PATH": "/var/img",
    "IMAGE_STORE_BASE_URL": "http://img",
    "IMAGE_OTHER": 1,
    "image_store_lower": 2,
}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"type": "fs", "path": "/var/img", "base_url": "http://img"}),
        (
            {"lowercase": False},
            {"TYPE": "fs", "PATH": "/var/img", "BASE_URL": "http://img"},
        ),
        (
            {"trim_namespace": False},
            {
                "image_store_type": "fs",
                "image_store_path": "/var/img",
                "image_store_base_url": "http://img",
            },
        ),
        (
            {"lowercase": False, "trim_namespace": False},
            {
                "IMAGE_STORE_TYPE": "fs",
                "IMAGE_STORE_PATH": "/var/img",
                "IMAGE_STORE_BASE_URL": "http://img",
            },
        ),
    ],
    ids=["default", "keep-case", "keep-prefix", "raw"],
)
def test_get_namespace(kwargs: dict[str, bool], expected: dict[str, Any]) -> None:
    out = both("/", lambda c: c.get_namespace("IMAGE_STORE_", **kwargs), defaults=NS_DATA)
    assert out.rv == expected


def test_get_namespace_edge_cases() -> None:
    # Matching is case-sensitive; an empty namespace matches everything.
    out = both("/", lambda c: c.get_namespace("image_store_"), defaults=NS_DATA)
    assert out.rv == {"lower": 2}
    out = both("/", lambda c: c.get_namespace("NOPE_"), defaults=NS_DATA)
    assert out.rv == {}
    out = both("/", lambda c: c.get_namespace(""), defaults={"A_B": 1})
    assert out.rv == {"a_b": 1}
    # Lowercasing can collapse keys; the later one wins.
    out = both("/", lambda c: c.get_namespace("P_"), defaults={"P_X": 1, "P_x": 2})
    assert out.rv == {"x": 2}


# --- ConfigAttribute --------------------------------------------------------


def _make_app_classes() -> list[type[Any]]:
    classes: list[type[Any]] = []
    for attr_cls, cfg_cls in (
        (flask.config.ConfigAttribute, flask.Config),
        (ConfigAttribute, Config),
    ):

        class App:
            debug: Any = attr_cls("DEBUG")
            port = attr_cls("PORT", get_converter=int)
            timeout = attr_cls("TIMEOUT", get_converter=lambda v: v * 2)

            def __init__(self, config_cls: type[Any] = cfg_cls) -> None:
                self.config = config_cls("/", {"DEBUG": False, "PORT": "8000", "TIMEOUT": 5})

        classes.append(App)
    return classes


@pytest.mark.parametrize("app_cls", _make_app_classes(), ids=["flask", "compat"])
def test_config_attribute(app_cls: type[Any]) -> None:
    app = app_cls()
    assert app.debug is False
    assert app.port == 8000  # converted on read
    assert app.timeout == 10
    app.debug = True
    app.port = "9001"
    assert app.config["DEBUG"] is True
    assert app.config["PORT"] == "9001"  # stored unconverted
    assert app.port == 9001
    app.config["TIMEOUT"] = 1.5
    assert app.timeout == 3.0
    # Class access yields the descriptor itself.
    descriptor = app_cls.__dict__["port"]
    assert app_cls.port is descriptor
    assert descriptor.__name__ == "PORT"
    assert descriptor.get_converter is int
    assert app_cls.debug.get_converter is None
    del app.config["DEBUG"]
    with pytest.raises(KeyError, match="DEBUG"):
        _ = app.debug


def test_config_attribute_converter_errors_propagate() -> None:
    for app_cls in _make_app_classes():
        app = app_cls()
        app.port = "not-a-number"
        with pytest.raises(ValueError, match="invalid literal for int"):
            _ = app.port


# --- packaging constraint ---------------------------------------------------


def test_config_module_does_not_import_flask() -> None:
    source = Path(compat_config.__file__).read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "flask" not in imported
    assert "werkzeug" in imported
