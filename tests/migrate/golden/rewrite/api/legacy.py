"""An old module that imports the flask module and reads its attributes."""
import logging

import flask
from fastapi_flaskcompat import Response, current_app, g, jsonify, request as flask_request

log = logging.getLogger(__name__)


def current_user_name():
    user = g.get("user")
    return user["username"] if user else "anonymous"


def client_address(request=None):
    # `request` here is a parameter: the rewrite must not capture it.
    if request is None:
        request = flask_request
    return request.remote_addr


def json_or_text(payload):
    if flask_request.accept_mimetypes.accept_json:
        return jsonify(payload)
    return Response(str(payload), mimetype="text/plain")


def debug_config():
    current_app.logger.debug("config %s", current_app.config["ENV_NAME"])
    return flask.json.dumps(dict(current_app.config), default=str)
