"""A JSON API: blueprint, error handlers, hooks, signals."""
from fastapi_flaskcompat import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import errors, hooks, resources  # noqa: E402,F401
