"""Context-local proxies, shaped for speed.

Werkzeug's ``LocalProxy`` forwards through ``__getattr__``, so every
``g.x`` first runs (and fails) the normal attribute lookup on the proxy.
These proxies override ``__getattribute__`` instead: one Python call, one
``ContextVar.get()``, one ``getattr`` on the real object.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any


def _returning(obj: Any) -> Any:
    # Outside __getattribute__: a lambda there would make ``obj`` a cell,
    # allocated on every attribute read (~20% of a ``g.x`` read).
    return lambda: obj


def make_proxy(
    var: ContextVar[Any],
    attribute: str,
    message: str,
    name: str,
    doc: str = "",
    *,
    bare_attribute_errors: bool = False,
) -> Any:
    """Return an object that forwards everything to ``getattr(var.get(), attribute)``.

    ``bare_attribute_errors``: a missing attribute raises ``AttributeError(key)``,
    Flask's message for ``g``. Done here, off the hot path, because a Python
    ``__getattr__``/``__delattr__`` on the target class slows every hit.

    Outside the context the proxy raises ``RuntimeError(message)``, except
    for ``bool()`` (``False``) and ``repr()``, as Werkzeug's proxy does.
    """

    def _current() -> Any:
        try:
            return getattr(var.get(), attribute)
        except LookupError:
            raise RuntimeError(message) from None

    def _bound() -> bool:
        try:
            getattr(var.get(), attribute)
        except (LookupError, RuntimeError):
            # RuntimeError: an app context with no request, for ``request``.
            return False
        return True

    class ContextProxy:
        __slots__ = ()
        __doc__ = doc

        def __getattribute__(self, key: str) -> Any:
            try:
                obj = getattr(var.get(), attribute)
            except LookupError:
                if key == "__class__":
                    # isinstance() outside a context answers False, as Werkzeug's proxy.
                    return ContextProxy
                raise RuntimeError(message) from None
            except RuntimeError:
                # ``request`` in an app context with no request: its own message.
                if key == "__class__":
                    return ContextProxy
                raise
            try:
                return getattr(obj, key)
            except AttributeError:
                # Off the hot path: the proxy API Werkzeug's LocalProxy offers.
                if key == "_get_current_object":
                    return _returning(obj)
                if bare_attribute_errors:
                    raise AttributeError(key) from None
                raise

        def __setattr__(self, key: str, value: Any) -> None:
            try:
                obj = getattr(var.get(), attribute)
            except LookupError:
                raise RuntimeError(message) from None
            setattr(obj, key, value)

        def __delattr__(self, key: str) -> None:
            try:
                delattr(_current(), key)
            except AttributeError:
                if bare_attribute_errors:
                    raise AttributeError(key) from None
                raise

        def __repr__(self) -> str:
            if not _bound():
                return f"<{name} unbound>"
            return repr(_current())

        def __str__(self) -> str:
            return str(_current())

        def __bool__(self) -> bool:
            return _bound() and bool(_current())

        def __dir__(self) -> list[str]:
            return dir(_current()) if _bound() else []

        def __contains__(self, item: object) -> bool:
            return item in _current()

        def __iter__(self) -> Iterator[Any]:
            return iter(_current())

        def __len__(self) -> int:
            return len(_current())

        def __getitem__(self, key: Any) -> Any:
            return _current()[key]

        def __setitem__(self, key: Any, value: Any) -> None:
            _current()[key] = value

        def __delitem__(self, key: Any) -> None:
            del _current()[key]

        def __eq__(self, other: object) -> bool:
            return bool(_current() == other)

        def __ne__(self, other: object) -> bool:
            return bool(_current() != other)

        def __hash__(self) -> int:
            return hash(_current())

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return _current()(*args, **kwargs)

    ContextProxy.__name__ = ContextProxy.__qualname__ = f"{name}Proxy"
    return ContextProxy()


def make_g_proxy(var: ContextVar[Any], message: str, doc: str = "") -> Any:
    """``make_proxy(var, "g", ...)`` with its two hot methods naming ``.g`` directly.

    ``g`` is the proxy legacy code hits most; an attribute load is ~20 ns
    cheaper than ``getattr(ctx, "g")`` on every read and write.
    """
    base: type = type(make_proxy(var, "g", message, "g", doc, bare_attribute_errors=True))

    class GProxy(base):  # type: ignore[misc]
        __slots__ = ()

        def __getattribute__(self, key: str) -> Any:
            try:
                obj = var.get().g
            except LookupError:
                if key == "__class__":
                    return GProxy
                raise RuntimeError(message) from None
            try:
                return getattr(obj, key)
            except AttributeError:
                if key == "_get_current_object":
                    return _returning(obj)
                raise AttributeError(key) from None

        def __setattr__(self, key: str, value: Any) -> None:
            try:
                obj = var.get().g
            except LookupError:
                raise RuntimeError(message) from None
            setattr(obj, key, value)

    GProxy.__name__ = GProxy.__qualname__ = "gProxy"
    return GProxy()
