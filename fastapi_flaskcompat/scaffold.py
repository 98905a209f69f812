"""What ``FlaskCompat`` and ``Blueprint`` share: Flask's registration API.

As in Flask's ``sansio/scaffold.py``: the hook and handler registries
(``before_request_funcs``, ``error_handler_spec``...) keyed by blueprint
name (``None`` for the object itself) and the decorators filling them.

The hook registries are observed: Flask extensions append to them directly
(``app.before_request_funcs.setdefault(None, []).append(f)``, as
Flask-Caching does), and the compiled hook plans must not go stale.
"""

from __future__ import annotations

import os
import sys
import typing as t
from collections import defaultdict
from collections.abc import Callable, Iterable

from werkzeug.exceptions import HTTPException, default_exceptions

F = t.TypeVar("F", bound=Callable[..., t.Any])
T = t.TypeVar("T")
Key = str | None
ErrorHandlerSpec = dict[Key, dict[int | None, dict[type[Exception], Callable[..., t.Any]]]]


class HookList(list[T]):
    """A list that reports every change to its owner."""

    __slots__ = ("_changed",)

    def __init__(self, changed: Callable[[], None], items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self._changed = changed

    def _mutator(name: str) -> t.Any:  # type: ignore[misc]
        method = getattr(list, name)

        def mutate(self: HookList[t.Any], *args: t.Any) -> t.Any:
            rv = method(self, *args)
            self._changed()
            return self if name in ("__iadd__", "__imul__") else rv

        mutate.__name__ = name
        return mutate

    append = _mutator("append")
    extend = _mutator("extend")
    insert = _mutator("insert")
    remove = _mutator("remove")
    pop = _mutator("pop")
    clear = _mutator("clear")
    sort = _mutator("sort")
    reverse = _mutator("reverse")
    __setitem__ = _mutator("__setitem__")
    __delitem__ = _mutator("__delitem__")
    __iadd__ = _mutator("__iadd__")
    __imul__ = _mutator("__imul__")
    del _mutator


class HookDict(dict[Key, HookList[T]]):
    """``defaultdict(list)`` of :class:`HookList`, reporting every change."""

    __slots__ = ("_changed",)

    def __init__(self, changed: Callable[[], None]) -> None:
        super().__init__()
        self._changed = changed

    def _own(self, value: Iterable[T]) -> HookList[T]:
        if isinstance(value, HookList) and value._changed is self._changed:
            return value
        return HookList(self._changed, value)

    def __missing__(self, key: Key) -> HookList[T]:
        value: HookList[T] = HookList(self._changed)
        dict.__setitem__(self, key, value)
        return value

    def __setitem__(self, key: Key, value: Iterable[T]) -> None:
        dict.__setitem__(self, key, self._own(value))
        self._changed()

    def __delitem__(self, key: Key) -> None:
        dict.__delitem__(self, key)
        self._changed()

    def setdefault(self, key: Key, default: Iterable[T] | None = None) -> HookList[T]:
        if key not in self:
            self[key] = default if default is not None else ()
        return dict.__getitem__(self, key)

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._own(value))
        self._changed()

    def pop(self, key: Key, *default: t.Any) -> t.Any:
        rv = dict.pop(self, key, *default)
        self._changed()
        return rv

    def popitem(self) -> tuple[Key, HookList[T]]:
        rv = dict.popitem(self)
        self._changed()
        return rv

    def clear(self) -> None:
        dict.clear(self)
        self._changed()

    def __ior__(self, other: t.Any) -> HookDict[T]:  # type: ignore[override,misc]
        self.update(other)
        return self


class Scaffold:
    """Flask's registration API, shared by the app (``FlaskCompat``) and ``Blueprint``."""

    name: str

    def __init__(self, import_name: str, root_path: str | None = None) -> None:
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else get_root_path(import_name)
        self.error_handler_spec: ErrorHandlerSpec = defaultdict(lambda: defaultdict(dict))
        changed = self._hooks_changed
        self.before_request_funcs: HookDict[Callable[[], t.Any]] = HookDict(changed)
        self.after_request_funcs: HookDict[Callable[[t.Any], t.Any]] = HookDict(changed)
        self.teardown_request_funcs: HookDict[Callable[[t.Any], t.Any]] = HookDict(changed)
        self.url_value_preprocessors: HookDict[Callable[[str | None, t.Any], t.Any]] = HookDict(
            changed
        )
        self.url_default_functions: dict[Key, list[Callable[[str, dict[str, t.Any]], t.Any]]] = (
            defaultdict(list)
        )
        self.template_context_processors: dict[Key, list[Callable[[], dict[str, t.Any]]]] = (
            defaultdict(list)
        )

    def _hooks_changed(self) -> None:
        """Called on every change to a hook registry."""

    def _check_setup_finished(self, f_name: str) -> None:
        """Raise when registering is no longer allowed (a registered blueprint)."""

    # -- decorators, with Flask's names ----------------------------------------

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return value becomes the response."""
        self._check_setup_finished("before_request")
        self.before_request_funcs[None].append(f)
        return f

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self._check_setup_finished("after_request")
        self.after_request_funcs[None].append(f)
        return f

    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context is popped, always."""
        self._check_setup_finished("teardown_request")
        self.teardown_request_funcs[None].append(f)
        return f

    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, view_args)`` before the before_request hooks; it may edit view_args."""
        self._check_setup_finished("url_value_preprocessor")
        self.url_value_preprocessors[None].append(f)
        return f

    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in missing values."""
        self._check_setup_finished("url_defaults")
        self.url_default_functions[None].append(f)
        return f

    def context_processor(self, f: F) -> F:
        """Register a template context processor (used by ``render_template``)."""
        self._check_setup_finished("context_processor")
        self.template_context_processors[None].append(f)
        return f

    def errorhandler(self, code_or_exception: type[Exception] | int) -> Callable[[F], F]:
        """Register a function to handle errors by status code or exception class."""
        self._check_setup_finished("errorhandler")

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: Callable[..., t.Any]
    ) -> None:
        """Non-decorator form of :meth:`errorhandler`."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = exception_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f


def exception_class_and_code(
    exc_class_or_code: type[Exception] | int,
) -> tuple[type[Exception], int | None]:
    """The exception class and status code a handler is registered for, with Flask's errors."""
    exc_class: t.Any
    if isinstance(exc_class_or_code, int):
        try:
            exc_class = default_exceptions[exc_class_or_code]
        except KeyError:
            raise ValueError(
                f"'{exc_class_or_code}' is not a recognized HTTP"
                " error code. Use a subclass of HTTPException with"
                " that code instead."
            ) from None
    else:
        exc_class = exc_class_or_code
    if isinstance(exc_class, Exception):
        raise TypeError(
            f"{exc_class!r} is an instance, not a class. Handlers"
            " can only be registered for Exception classes or HTTP"
            " error codes."
        )
    if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
        name = getattr(exc_class, "__name__", repr(exc_class))
        raise ValueError(
            f"'{name}' is not a subclass of Exception."
            " Handlers can only be registered for Exception classes"
            " or HTTP error codes."
        )
    if issubclass(exc_class, HTTPException):
        return exc_class, exc_class.code
    return exc_class, None


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name``, as Flask's (cwd if unknown)."""
    module = sys.modules.get(import_name)
    path: str | None = getattr(module, "__file__", None)
    if path is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(path))
