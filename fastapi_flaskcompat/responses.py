"""Turning what a view (or hook, or error handler) returns into a response.

Flask's ``Flask.make_response`` rules, with Flask's ``TypeError`` messages:
``str``/``bytes``, ``dict``/``list`` (JSON), tuples ``(body, status)``,
``(body, headers)``, ``(body, status, headers)``, Werkzeug responses and
exceptions, WSGI callables; Starlette responses pass as they are or are
converted when Flask's API is needed (after_request hooks).
"""

from __future__ import annotations

import sys
import typing as t

from starlette.responses import Response as StarletteResponse
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from .globals import _no_req_msg, _request_ctx
from .wrappers import Response

if t.TYPE_CHECKING:
    from .app import FlaskCompat


def make_response(app: FlaskCompat, rv: t.Any) -> Response:
    """Flask's ``Flask.make_response`` conversion rules, with Flask's ``TypeError``s."""
    status: t.Any = None
    headers: t.Any = None
    if isinstance(rv, tuple):
        len_rv = len(rv)
        if len_rv == 3:
            rv, status, headers = rv
        elif len_rv == 2:
            if isinstance(rv[1], (Headers, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError(
                "The view function did not return a valid response tuple."
                " The tuple must have the form (body, status, headers),"
                " (body, status), or (body, headers)."
            )
    if rv is None:
        ctx = _request_ctx()
        if ctx is None:
            # Flask's message names request.endpoint, which needs a request.
            raise RuntimeError(_no_req_msg)
        endpoint = ctx.request.endpoint
        raise TypeError(
            f"The view function for {endpoint!r} did not"
            " return a valid response. The function either returned"
            " None or ended without a return statement."
        )
    response: Response
    if isinstance(rv, Response):
        response = rv
    elif isinstance(rv, (str, bytes, bytearray)) or _is_iterator(rv):
        response = app.response_class(rv, status=status, headers=headers)
        status = headers = None
    elif isinstance(rv, (dict, list)):
        from .json import response as json_response

        response = json_response(rv)
    elif isinstance(rv, StarletteResponse):
        response = app.response_class.from_starlette(rv)
    elif isinstance(rv, HTTPException):
        response = app.response_class.force_type(rv.get_response(_environ()))  # type: ignore[assignment]
    elif isinstance(rv, WerkzeugResponse):
        # A Flask or Werkzeug response (an extension's): Flask's force_type.
        response = app.response_class.force_type(rv)  # type: ignore[assignment]
    elif callable(rv):
        try:
            response = t.cast(Response, app.response_class.force_type(rv, _environ()))
        except TypeError as e:
            raise TypeError(
                f"{e}\nThe view function did not return a valid"
                " response. The return type must be a string,"
                " dict, list, tuple with headers or status,"
                " Response instance, or WSGI callable, but it"
                f" was a {type(rv).__name__}."
            ).with_traceback(sys.exc_info()[2]) from None
    else:
        raise TypeError(
            "The view function did not return a valid"
            " response. The return type must be a string,"
            " dict, list, tuple with headers or status,"
            " Response instance, or WSGI callable, but it was a"
            f" {type(rv).__name__}."
        )
    if status is not None:
        if isinstance(status, (str, bytes, bytearray)):
            response.status = status  # type: ignore[assignment]
        else:
            response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _is_iterator(rv: t.Any) -> bool:
    return hasattr(rv, "__next__") and hasattr(rv, "__iter__")


def _environ() -> dict[str, t.Any] | None:
    ctx = _request_ctx()
    return ctx.request.environ if ctx is not None else None
