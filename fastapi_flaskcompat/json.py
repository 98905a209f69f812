"""``jsonify`` with Flask's default JSON provider rules."""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import typing as t
import uuid
from datetime import date

from werkzeug.http import http_date

from .globals import _cv_app
from .wrappers import Response


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
    """``json.dumps`` with Flask's defaults: sorted keys, ASCII, dates as HTTP dates."""
    kwargs.setdefault("default", _default)
    kwargs.setdefault("ensure_ascii", True)
    kwargs.setdefault("sort_keys", True)
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """``json.loads``, as Flask's provider."""
    return _json.loads(s, **kwargs)


def response(*args: t.Any, **kwargs: t.Any) -> Response:
    """Serialize the arguments as JSON into an ``application/json`` response."""
    if args and kwargs:
        raise TypeError("app.json.response() takes either args or kwargs, not both")
    obj: t.Any
    if not args and not kwargs:
        obj = None
    elif len(args) == 1:
        obj = args[0]
    else:
        obj = args or kwargs
    # Flask: compact separators, pretty-printed (indent only) in debug mode.
    dump_args: dict[str, t.Any] = {"separators": (",", ":")}
    ctx = _cv_app.get(None)
    if ctx is not None and ctx.app.debug:
        dump_args = {"indent": 2}
    return Response(f"{dumps(obj, **dump_args)}\n", mimetype="application/json")


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Flask's ``jsonify``: a JSON response a FastAPI endpoint can return directly."""
    return response(*args, **kwargs)
