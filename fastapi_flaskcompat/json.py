"""``jsonify`` with Flask's default JSON provider rules."""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

from .globals import _get_ctx
from .wrappers import Response

if t.TYPE_CHECKING:
    from .app import FlaskCompat


def _default(o: t.Any) -> t.Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Flask's ``json.dumps``: the current app's provider (``app.json``); outside
    an app the stdlib's, with Flask's ``default`` (dates as HTTP dates...)."""
    ctx = _get_ctx(None)
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Flask's ``json.loads``: the current app's provider, else the stdlib's."""
    ctx = _get_ctx(None)
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


class DefaultJSONProvider:
    """Flask's JSON provider API (``app.json``): what ``flask.json``, ``jsonify``
    and extensions call through the app. Subclass and set
    ``FlaskCompat.json_provider_class`` to change it, as in Flask."""

    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: FlaskCompat) -> None:
        self._app = weakref.proxy(app)

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return _json.loads(s, **kwargs)

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        return self.loads(fp.read(), **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A response of the app's class with the arguments serialized as JSON."""
        obj = _prepare_response_obj(args, kwargs)
        # Flask: compact separators, pretty-printed (indent only) in debug mode.
        dump_args: dict[str, t.Any] = {}
        if (self.compact is None and self._app.debug) or self.compact is False:
            dump_args.setdefault("indent", 2)
        else:
            dump_args.setdefault("separators", (",", ":"))
        return t.cast(
            Response,
            self._app.response_class(f"{self.dumps(obj, **dump_args)}\n", mimetype=self.mimetype),
        )


def _prepare_response_obj(args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
    if args and kwargs:
        raise TypeError("app.json.response() takes either args or kwargs, not both")
    if not args and not kwargs:
        return None
    if len(args) == 1:
        return args[0]
    return args or kwargs


def response(*args: t.Any, **kwargs: t.Any) -> Response:
    """Serialize the arguments as JSON into an ``application/json`` response,
    with the current app's provider (outside an app: Flask's defaults)."""
    ctx = _get_ctx(None)
    if ctx is not None:
        return ctx.app.json.response(*args, **kwargs)
    obj = _prepare_response_obj(args, kwargs)
    text = _json.dumps(obj, default=_default, sort_keys=True, separators=(",", ":"))
    return Response(f"{text}\n", mimetype="application/json")


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Flask's ``jsonify``: a JSON response a FastAPI endpoint can return directly."""
    return response(*args, **kwargs)
