from flask import jsonify, make_response, request
from werkzeug.exceptions import HTTPException

from . import bp


def error_response(status, message):
    """The API's error body: {"error": ..., "message": ...} with that status."""
    payload = {"error": status, "message": message}
    return make_response(jsonify(payload), status)


@bp.app_errorhandler(HTTPException)
def handle_http_error(exc):
    return error_response(exc.code, exc.description)


@bp.errorhandler(ValueError)
def handle_bad_value(exc):
    return error_response(400, str(exc))


def wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"
