"""The reference: a ``flask.Flask`` app under Werkzeug's threaded server.

``python -m benchmarks.stress.flask_server module:factory PORT`` — what
``servers.serve("flask", ...)`` runs, so Flask sees the same bytes on the
wire as the ASGI servers do.
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import typing as t


def main(argv: list[str]) -> None:
    target, port = argv[0], int(argv[1])
    module_name, factory = target.split(":", 1)
    app: t.Any = getattr(importlib.import_module(module_name), factory)()
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", port, app, threaded=True)

    def stop(*_: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
