"""Metrics and error reporting through Flask's signals."""
from fastapi_flaskcompat.signals import got_request_exception, request_finished, request_started
from flask.signals import Namespace

_signals = Namespace()
item_created = _signals.signal("item-created")

COUNTS = {"started": 0, "finished": 0, "errors": 0}


def count_start(sender, **extra):
    COUNTS["started"] += 1


def count_finish(sender, response, **extra):
    COUNTS["finished"] += 1


def report_error(sender, exception, **extra):
    COUNTS["errors"] += 1
    sender.logger.warning("unhandled: %r", exception)


def connect(app):
    request_started.connect(count_start, app)
    request_finished.connect(count_finish, app)
    got_request_exception.connect(report_error, app)
