"""Migration tooling: ``python -m fastapi_flaskcompat scan|rewrite PATH``.

``scan`` (standard library only) reports where a codebase uses Flask's API
and what this library covers; ``rewrite`` (the ``migrate`` extra, libcst)
moves the imports of covered names to ``fastapi_flaskcompat``.
"""
