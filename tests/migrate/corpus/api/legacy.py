"""An old module that imports the flask module and reads its attributes."""
import logging

import flask

log = logging.getLogger(__name__)


def current_user_name():
    user = flask.g.get("user")
    return user["username"] if user else "anonymous"


def client_address(request=None):
    # `request` here is a parameter: the rewrite must not capture it.
    if request is None:
        request = flask.request
    return request.remote_addr


def json_or_text(payload):
    if flask.request.accept_mimetypes.accept_json:
        return flask.jsonify(payload)
    return flask.Response(str(payload), mimetype="text/plain")


def debug_config():
    flask.current_app.logger.debug("config %s", flask.current_app.config["ENV_NAME"])
    return flask.json.dumps(dict(flask.current_app.config), default=str)
