# Build output: never scanned.
from flask import g  # noqa: F401
