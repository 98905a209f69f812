"""``python -m fastapi_flaskcompat scan|rewrite PATH``: the migration tooling."""

from .migrate.cli import main

raise SystemExit(main())
