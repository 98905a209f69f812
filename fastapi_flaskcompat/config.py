"""Flask-compatible configuration mapping.

``Config`` reproduces ``flask.Config`` (Flask 3.1) so that code written against
``app.config`` keeps working: same loaders, same return values, same exception
types and messages. Flask itself is not imported; only Werkzeug is needed.
"""

from __future__ import annotations

import errno
import json
import os
import types
from collections.abc import Callable, Mapping, MutableMapping
from datetime import timedelta
from typing import IO, Any, Generic, Protocol, Self, TypeVar, overload

from werkzeug.utils import import_string

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigAttribute"]

T = TypeVar("T")

# Errors that mean "there is no file here", which ``silent=True`` forgives.
# Flask's from_file deliberately (or historically) omits ENOTDIR; we follow it.
_PYFILE_MISSING = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)
_FILE_MISSING = (errno.ENOENT, errno.EISDIR)


#: Flask 3.1's defaults, so helpers reading ``current_app.config[...]`` find them.
DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}


class _HasConfig(Protocol):
    """Anything exposing a mutable ``config`` mapping (an app)."""

    @property
    def config(self) -> MutableMapping[str, Any]: ...


class ConfigAttribute(Generic[T]):
    """Descriptor forwarding an attribute to a key of ``obj.config``.

    ``debug = ConfigAttribute[bool]("DEBUG")`` on an app class makes
    ``app.debug`` read and write ``app.config["DEBUG"]``. ``get_converter`` is
    applied on read only, as in Flask.
    """

    def __init__(self, name: str, get_converter: Callable[[Any], T] | None = None) -> None:
        """Forward to config key ``name``, converting reads with ``get_converter``."""
        self.__name__ = name
        self.get_converter = get_converter

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(self, obj: _HasConfig, owner: type[Any] | None = None) -> T: ...

    def __get__(self, obj: _HasConfig | None, owner: type[Any] | None = None) -> T | Self:
        """Return the config value (converted), or the descriptor on class access."""
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            return self.get_converter(value)
        # Without a converter the caller's T is trusted, as Flask does.
        result: T = value
        return result

    def __set__(self, obj: _HasConfig, value: Any) -> None:
        """Store ``value`` unconverted under the config key."""
        obj.config[self.__name__] = value


def _unable_to_load(exc: OSError) -> None:
    # Flask rewrites strerror in place and re-raises the same exception object,
    # so errno, filename and traceback survive.
    exc.strerror = f"Unable to load configuration file ({exc.strerror})"


class Config(dict[str, Any]):
    """A ``dict`` that can be filled from objects, Python files, data files and
    the environment, exactly like ``flask.Config``.

    Only UPPERCASE names are taken from objects, Python files and mappings, so
    lowercase helpers in a settings module stay out of the config.

    :param root_path: directory that relative file names are resolved against.
    :param defaults: optional initial values.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: dict[str, Any] | None = None,
    ) -> None:
        """Create a config rooted at ``root_path``, seeded with ``defaults``."""
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by environment variable ``variable_name``.

        An unset or empty variable raises ``RuntimeError`` unless ``silent``;
        ``silent`` is also passed on to :meth:`from_pyfile`.

        :return: ``True`` if a file was loaded.
        """
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set"
                " and as such configuration could not be loaded. Set"
                " this variable and make it point to a configuration"
                " file"
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load environment variables named ``{prefix}_KEY`` into ``KEY``.

        Variables are processed in sorted order. Each value goes through
        ``loads``; if that raises, the raw string is kept. ``A__B`` sets
        ``self["A"]["B"]``, creating missing intermediate dicts. Keys are not
        filtered by case.

        :return: always ``True``.
        """
        start = f"{prefix}_"
        for env_key in sorted(os.environ):
            if not env_key.startswith(start):
                continue
            raw = os.environ[env_key]
            key = env_key.removeprefix(start)
            value: Any
            try:
                value = loads(raw)
            except Exception:
                # Any failure means "not structured data": keep the string.
                value = raw

            *parents, leaf = key.split("__")
            # Typed as Any: intermediates are whatever the user stored there,
            # and a non-dict one must fail the same way it does in Flask.
            target: Any = self
            for part in parents:
                if part not in target:
                    target[part] = {}
                target = target[part]
            target[leaf] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE globals.

        ``filename`` is resolved against ``root_path`` unless absolute. With
        ``silent``, a missing file (or a directory in its place) returns
        ``False`` instead of raising ``OSError``.

        :return: ``True`` if the file was loaded.
        """
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, mode="rb") as fh:
                exec(compile(fh.read(), path, "exec"), module.__dict__)
        except OSError as exc:
            if silent and exc.errno in _PYFILE_MISSING:
                return False
            _unable_to_load(exc)
            raise
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of ``obj`` (a module, class or instance).

        A string is imported first with ``werkzeug.utils.import_string``. A
        ``dict`` contributes nothing: its keys are not attributes.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for name in dir(obj):
            if name.isupper():
                self[name] = getattr(obj, name)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with ``load`` (e.g. ``json.load``, ``tomllib.load``).

        The file is opened in text mode, or binary when ``text`` is false, and
        the resulting mapping goes through :meth:`from_mapping`. With
        ``silent``, a missing file returns ``False``.

        :return: ``True`` if the file was loaded.
        """
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as fh:
                data = load(fh)
        except OSError as exc:
            if silent and exc.errno in _FILE_MISSING:
                return False
            _unable_to_load(exc)
            raise
        return self.from_mapping(data)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Update from ``mapping`` and ``kwargs``, skipping non-UPPERCASE keys.

        Keyword arguments win over ``mapping`` entries with the same key.

        :return: always ``True``.
        """
        merged: dict[str, Any] = {}
        if mapping is not None:
            merged.update(mapping)
        merged.update(kwargs)
        for key, value in merged.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """Return the entries whose key starts with ``namespace``.

        By default the prefix is removed and keys are lowercased, which suits
        passing the result as keyword arguments.
        """
        result: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            out = key[len(namespace) :] if trim_namespace else key
            if lowercase:
                out = out.lower()
            result[out] = value
        return result

    def __repr__(self) -> str:
        """``<Config {...}>``, using the subclass name when subclassed."""
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
