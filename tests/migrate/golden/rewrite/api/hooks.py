import time
import uuid

from fastapi_flaskcompat import current_app, g, request

from . import bp


@bp.before_request
def assign_request_id():
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    g.started = time.monotonic()


@bp.after_request
def add_request_id(response):
    response.headers["X-Request-Id"] = g.request_id
    return response


@bp.teardown_request
def log_request(exc):
    elapsed = time.monotonic() - g.get("started", time.monotonic())
    current_app.logger.debug("request %s took %.3fs", g.get("request_id"), elapsed)
